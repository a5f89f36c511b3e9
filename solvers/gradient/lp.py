"""The gradient-form primal LP of DESIGN §1.1, scaled, with lazily added pair rows.

Unknowns v_i = k u_i and g_i in B at the grid points x_i = m_i / k. Each pair row
(i, j) reads, after multiplying the convexity row by k,

    v_j - v_i - <g_i, m_j - m_i> >= 0,

with small integer coefficients. The objective sum_i w_i (<g_i, d_i> - u_i) is
multiplied by S = N so its coefficients are of order one. Columns are ordered
[v_0 .. v_{N-1}, g_0 (n entries), .., g_{N-1}]. The bounding box of B gives
column bounds; a polytope B adds the fixed rows -A g_i >= -b per grid point
(each row divided by its largest |coefficient|), loaded before the pair rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from grids import Grid, Setting

SCAN_CHUNK_ENTRIES = 4_000_000  # entries of one block of the all-pairs scan (32 MB of float64)
PLANE_QUANTUM = 1e-9            # supporting planes whose coefficients round alike share one bound in the scan


@dataclass(frozen=True, eq=False)
class GradientLP:
    """Column data of the scaled LP; rows are made by :meth:`pair_rows`."""

    setting: Setting
    grid: Grid
    cost: np.ndarray      # maximize cost @ z
    col_lower: np.ndarray
    col_upper: np.ndarray
    scale: float          # design objective = (cost @ z) / scale

    @classmethod
    def build(cls, setting: Setting, grid: Grid) -> "GradientLP":
        """Objective and bounds: v >= 0, v_pin = 0, g_i in the bounding box of B."""
        N, k = grid.size, grid.k
        x, w = grid.points, grid.weights
        d = (1.0 - setting.alpha) * (x - setting.c)
        scale = float(N)
        cost = np.concatenate([-scale * w / k, (scale * w[:, None] * d).ravel()])
        B = setting.B
        lower = np.concatenate([np.zeros(N), np.tile(B.lower, N)])
        upper = np.concatenate([np.full(N, np.inf), np.tile(B.upper, N)])
        upper[grid.pin_index] = 0.0
        return cls(setting, grid, cost, lower, upper, scale)

    def fixed_rows(self) -> tuple[sparse.csr_matrix, np.ndarray]:
        """The polytope rows -A g_i >= -b for every grid point (none for a box B), and their lower bounds.

        Row r of A is divided by max_j |A_rj| so the coefficients are of order one.
        """
        B, N, n = self.setting.B, self.num_points, self.grid.n
        A, b = B.A, B.b
        if B.is_box or len(A) == 0:
            return sparse.csr_matrix((0, N * (n + 1))), np.zeros(0)
        norm = np.abs(A).max(axis=1)
        A, b = A / norm[:, None], b / norm
        per_point = sparse.kron(sparse.eye(N, format="csr"), sparse.csr_matrix(-A), format="csr")
        rows = sparse.hstack([sparse.csr_matrix((per_point.shape[0], N)), per_point], format="csr")
        return rows, np.tile(-b, N)

    @property
    def num_points(self) -> int:
        return self.grid.size

    def unpack(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(u, g) from a column vector z: u = v / k, g of shape (N, n)."""
        N = self.num_points
        return z[:N] / self.grid.k, z[N:].reshape(N, self.grid.n)

    def pack(self, u: np.ndarray, g: np.ndarray) -> np.ndarray:
        """The column vector of (u, g)."""
        return np.concatenate([u * self.grid.k, np.asarray(g, dtype=np.float64).ravel()])

    def pair_rows(self, i: np.ndarray, j: np.ndarray) -> sparse.csr_matrix:
        """Rows v_j - v_i - <g_i, m_j - m_i> >= 0 for the pairs (i, j), as CSR."""
        N, n = self.num_points, self.grid.n
        m = self.grid.lattice
        r = len(i)
        dm = m[j] - m[i]
        rows = np.repeat(np.arange(r), n + 2)
        cols = np.column_stack([j, i, N + i[:, None] * n + np.arange(n)]).ravel()
        vals = np.column_stack([np.ones(r), -np.ones(r), -dm]).ravel().astype(np.float64)
        keep = vals != 0.0
        return sparse.csr_matrix((vals[keep], (rows[keep], cols[keep])), shape=(r, N * (n + 1)))

    def stencil_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """Both orientations of every axis-neighbour pair (i, i + e_a)."""
        shape, n = self.grid.shape, self.grid.n
        idx = np.arange(self.num_points).reshape(shape)
        lo, hi = [], []
        for a in range(n):
            lo.append(np.take(idx, np.arange(shape[a] - 1), axis=a).ravel())
            hi.append(np.take(idx, np.arange(1, shape[a]), axis=a).ravel())
        lo_all, hi_all = np.concatenate(lo), np.concatenate(hi)
        return np.concatenate([lo_all, hi_all]), np.concatenate([hi_all, lo_all])


def scan_planes(
    targets: np.ndarray, u_targets: np.ndarray, g: np.ndarray, offset: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each target x_j: the plane i maximizing offset_i + <g_i, x_j>, and that max minus u_j.

    Runs in blocks of targets with one matrix product per block, so memory stays at
    :data:`SCAN_CHUNK_ENTRIES` floats.
    """
    block = max(1, SCAN_CHUNK_ENTRIES // max(1, len(offset)))
    best_all, viol_all = [np.zeros(0, dtype=np.intp)], [np.zeros(0)]
    for start in range(0, len(targets), block):
        planes = targets[start:start + block] @ g.T
        planes += offset
        best = planes.argmax(axis=1)
        best_all.append(best)
        viol_all.append(planes[np.arange(len(best)), best] - u_targets[start:start + block])
    return np.concatenate(best_all), np.concatenate(viol_all)


def most_violated_pairs(
    u: np.ndarray, g: np.ndarray, points: np.ndarray, tol: float
) -> tuple[np.ndarray, np.ndarray, float]:
    """Scan all ordered pairs for u_i + <g_i, x_j - x_i> - u_j > tol.

    The supporting planes P_i(x) = u_i + <g_i, x - x_i> of an LP solution
    repeat the few menu items up to round-off, so they are first grouped by
    their coefficients rounded to :data:`PLANE_QUANTUM`. Each group's
    representative r bounds its members on the box: P_i(x) <= P_r(x) + delta
    with delta = max_i (|g_i - g_r|_1 max|x| + |off_i - off_r|), exactly. The
    N x (groups) scan of these bounds clears every target whose bound is within
    ``tol``; only the remaining targets are scanned against all N planes.
    For each violated target j the most violating plane is kept: one row per
    violated target point.

    Returns
    -------
    i, j : np.ndarray
        The violated pairs (one per target j).
    max_violation : float
        An upper bound on max over all pairs of u_i + <g_i, x_j - x_i> - u_j
        (>= 0): exact on the targets scanned in full, the group bound elsewhere.
    """
    offset = u - np.einsum("ij,ij->i", g, points)
    coeffs = np.column_stack([g, offset])
    _, rep, group = np.unique(np.round(coeffs / PLANE_QUANTUM), axis=0, return_index=True, return_inverse=True)
    group = group.ravel()
    dev = np.abs(g - g[rep][group]).sum(axis=1) * np.abs(points).max() + np.abs(offset - offset[rep][group])
    delta = np.zeros(len(rep))
    np.maximum.at(delta, group, dev)
    _, bound = scan_planes(points, u, g[rep], offset[rep] + delta)
    suspect = np.flatnonzero(bound > tol)
    best, viol = scan_planes(points[suspect], u[suspect], g, offset)
    worst = max(0.0, float(np.max(viol, initial=0.0)), float(np.max(np.delete(bound, suspect), initial=0.0)))
    hit = viol > tol
    return best[hit], suspect[hit], worst
