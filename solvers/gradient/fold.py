"""The gradient-form LP folded by a symmetry group: one column per orbit, one row per orbit of pairs.

The group (:class:`solvers.symmetry.GridSymmetry`) keeps c, B and every weight;
the LP is convex and the group keeps it, so a group-invariant optimum exists
and nothing is lost. Multipliers of a folded row are lifted evenly onto its
images; the certificate is recomputed on the unfolded arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from solvers.gradient.lp import GradientLP
from solvers.symmetry import GridSymmetry


@dataclass(frozen=True, eq=False)
class FoldedLP:
    """The gradient-form LP restricted to group-invariant (u, g); identity when the group is trivial.

    Columns: U (one per orbit), then p (the fixed-subspace coordinates of every
    representative's allocation); ``lift`` maps them to the full columns (v, g)
    of :class:`solvers.gradient.lp.GradientLP`. Rows are identified by the
    canonical key of their pair orbit.
    """

    lp: GradientLP
    symmetry: GridSymmetry | None
    lift: sparse.csr_matrix | None
    cost: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray

    @classmethod
    def build(cls, lp: GradientLP, symmetry: GridSymmetry | None) -> "FoldedLP":
        if symmetry is None or symmetry.trivial:
            return cls(lp, None, None, lp.cost, lp.col_lower, lp.col_upper)
        grid, B = lp.grid, lp.setting.B  # an equal-axes box (solvers.symmetry folds only then)
        N, n, R = grid.size, grid.n, len(symmetry.reps)
        which, bases = symmetry.fixed_bases()
        dims = np.array([b.shape[1] for b in bases])[which]
        offset = R + np.concatenate([[0], np.cumsum(dims)[:-1]])
        elem = symmetry.carriers()
        cls_of_point = which[symmetry.orbit]
        rows, cols, vals = [np.arange(N)], [symmetry.orbit], [np.ones(N)]
        for c, basis in enumerate(bases):
            for s in range(symmetry.order):
                idx = np.flatnonzero((cls_of_point == c) & (elem == s))
                if len(idx) == 0 or basis.shape[1] == 0:
                    continue
                MB = symmetry.mats[s] @ basis                              # (n, d)
                a, b = np.nonzero(MB)
                rows.append((N + idx[:, None] * n + a[None, :]).ravel())
                cols.append((offset[symmetry.orbit[idx]][:, None] + b[None, :]).ravel())
                vals.append(np.broadcast_to(MB[a, b], (len(idx), len(a))).ravel())
        ncol = R + int(dims.sum())
        lift = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                                 shape=(N * (n + 1), ncol))
        lower = np.concatenate([np.zeros(R), np.full(ncol - R, B.lo[0])])
        upper = np.concatenate([np.full(R, np.inf), np.full(ncol - R, B.hi[0])])
        upper[symmetry.orbit[grid.pin_index]] = 0.0
        return cls(lp, symmetry, lift, np.asarray(lift.T @ lp.cost), lower, upper)

    @property
    def scale(self) -> float:
        return self.lp.scale

    def keys(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """One key per row: the pair itself, or the canonical pair of its orbit."""
        if self.symmetry is None:
            return i * self.lp.num_points + j
        return self.symmetry.canonical_pairs(i, j)

    def pair_rows(self, i: np.ndarray, j: np.ndarray) -> sparse.csr_matrix:
        """Rows of the pairs (i, j) in the folded columns."""
        rows = self.lp.pair_rows(i, j)
        if self.lift is None:
            return rows
        folded = (rows @ self.lift).tocsr()
        folded.sum_duplicates()
        folded.eliminate_zeros()
        return folded

    def expand(self, z: np.ndarray) -> np.ndarray:
        """Full column vector (v, g) of a folded solution."""
        return z if self.lift is None else self.lift @ z

    def restrict(self, z: np.ndarray) -> np.ndarray:
        """Folded columns of a full (v, g): the average over each column's members (the lift's
        columns have disjoint supports, so this is its least-squares inverse)."""
        if self.lift is None:
            return z
        weight = np.asarray(abs(self.lift).sum(axis=0)).ravel()
        return np.asarray(self.lift.T @ z).ravel() / weight

    def unpack(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.lp.unpack(self.expand(z))

    def lift_duals(self, y: np.ndarray, i: np.ndarray, j: np.ndarray) -> sparse.csr_matrix:
        """Pair multipliers of the full LP: y_r / G on each of the G images of row r's pair."""
        N = self.lp.num_points
        if self.symmetry is None:
            out = sparse.csr_matrix((y, (i, j)), shape=(N, N))
        else:
            G = self.symmetry.order
            ii, jj = self.symmetry.images(i, j)
            out = sparse.csr_matrix((np.broadcast_to(y / G, ii.shape).ravel(), (ii.ravel(), jj.ravel())),
                                    shape=(N, N))
        out.sum_duplicates()
        out.eliminate_zeros()
        return out
