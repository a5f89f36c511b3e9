"""Symmetry folding of the gradient-form LP: one variable per orbit of grid points.

A signed axis permutation M (M e_a = s_a e_{pi(a)}) acts on types by
x -> c + M (x - c) and on allocations by g -> M g. When it maps the grid onto
itself, keeps B and keeps every quadrature weight, it maps feasible (u, g) to
feasible (u o M^-1, M g M^-1) of equal value; the LP is convex, so averaging
over the group gives an optimum with u constant on orbits and g_{M x} = M g_x.
Restricting to such solutions (the fixed subspace) loses nothing:

    u_i = U_[i],   g_i = M_{s(i)} B_[i] p_[i],

with B_r a basis of the allocations fixed by the stabilizer of the orbit
representative r and M_{s(i)} a group element taking r to i. Pair rows in one
orbit fold to one row; multipliers y_r of a folded row lift to y_r / G on each
of the G images, which is dual feasible for the full LP with the same value.
The certificate is recomputed on the lifted arrays, so a folding error would
show as a gap, never as a wrong optimum.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from grids import Grid, Setting
from solvers.gradient_lp import GradientLP

MAX_DIMENSION = 4    # 384 candidate elements in 4D; above, only the identity (no folding)
WEIGHT_RTOL = 1e-12  # weights equal to this relative accuracy count as invariant (quadrature round-off)


def signed_permutations(n: int) -> np.ndarray:
    """All n! 2^n signed permutation matrices, shape (n! 2^n, n, n), the identity first."""
    mats = []
    for perm in itertools.permutations(range(n)):
        for signs in itertools.product((1, -1), repeat=n):
            M = np.zeros((n, n), dtype=np.int64)
            M[np.arange(n), perm] = signs
            mats.append(M)
    return np.array(mats)


@dataclass(frozen=True, eq=False)
class GridSymmetry:
    """A group of signed axis permutations that fixes c, B and the weights, acting on grid indices.

    Attributes
    ----------
    mats : (G, n, n) int array, the group elements acting on vectors (identity first).
    perms : (G, N) int array, ``perms[s, i]`` the index of c + M_s (x_i - c).
    orbit : (N,) int array, orbit number of every point.
    reps : (R,) int array, the smallest index of every orbit (its representative).
    """

    grid: Grid
    mats: np.ndarray
    perms: np.ndarray
    orbit: np.ndarray
    reps: np.ndarray

    @classmethod
    def detect(cls, setting: Setting, grid: Grid, invariant: np.ndarray | None = None) -> "GridSymmetry":
        """The largest such group (trivial when none; the n! 2^n candidates are tried up to n = MAX_DIMENSION).

        ``invariant`` is the grid vector every element must keep (default: the
        weights; the measure form passes its measure mu).
        """
        n, k = grid.n, grid.k
        mc = grid.lattice[grid.c_index]
        w = grid.weights if invariant is None else invariant
        mats, perms = [], []
        symmetric_box = setting.market.lo == -setting.market.hi
        candidates = signed_permutations(n) if n <= MAX_DIMENSION else np.eye(n, dtype=np.int64)[None]
        for M in candidates:
            flips = np.flatnonzero(M.sum(axis=1) < 0)          # output axes with a sign change
            src = np.abs(M).argmax(axis=1)                     # output axis a reads input axis src[a]
            if len(flips) and (not symmetric_box or np.any(2 * mc[flips] != k)):
                continue
            if np.any(mc[src] != mc):
                continue
            image = mc + (grid.lattice - mc) @ M.T
            p = np.ravel_multi_index(image.T, grid.shape)
            if np.max(np.abs(w[p] - w)) > WEIGHT_RTOL * np.max(np.abs(w)):
                continue
            mats.append(M)
            perms.append(p)
        perms_arr = np.array(perms)
        rep_of = perms_arr.min(axis=0)
        reps, orbit = np.unique(rep_of, return_inverse=True)
        return cls(grid, np.array(mats), perms_arr, orbit.ravel(), reps)

    @property
    def order(self) -> int:
        return len(self.mats)

    @property
    def trivial(self) -> bool:
        return self.order == 1

    def canonical_pairs(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Key min_s (s(i) N + s(j)) of each ordered pair: equal keys, one folded row."""
        N = self.grid.size
        return (self.perms[:, i] * N + self.perms[:, j]).min(axis=0)

    def images(self, i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """All G images (s(i), s(j)) of each pair, shape (G, len(i)) each."""
        return self.perms[:, i], self.perms[:, j]

    def fixed_bases(self) -> tuple[np.ndarray, list[np.ndarray]]:
        """Stabilizer class of every representative, and per class an n x d basis (entries 0, +-1)
        of the allocations that class's stabilizer fixes: the range of the group average of its M."""
        stab = self.perms[:, self.reps] == self.reps[None, :]      # (G, R)
        classes, which = np.unique(stab.T, axis=0, return_inverse=True)
        n = self.mats.shape[1]
        bases = []
        for mask in classes:
            P = self.mats[mask].mean(axis=0)
            cols: list[np.ndarray] = []
            for v in P.T:
                if np.max(np.abs(v)) < 0.5 / self.order:
                    continue                                      # the axis is sent to minus itself: fixed at 0
                v = np.round(v / np.max(np.abs(v)))
                v = v * np.sign(v[np.flatnonzero(v)[0]])
                if not any(np.array_equal(v, c) for c in cols):
                    cols.append(v)
            bases.append(np.array(cols, dtype=np.float64).T.reshape(n, len(cols)))
        return which.ravel(), bases

    def carriers(self) -> np.ndarray:
        """For every point i, a group element s with s(rep of i) = i."""
        elem = np.zeros(self.grid.size, dtype=np.int64)
        for s in range(self.order - 1, -1, -1):
            elem[self.perms[s, self.reps]] = s
        return elem


@dataclass(frozen=True, eq=False)
class FoldedLP:
    """The gradient-form LP restricted to group-invariant (u, g); identity when the group is trivial.

    Columns: U (one per orbit), then p (the fixed-subspace coordinates of every
    representative's allocation); ``lift`` maps them to the full columns (v, g)
    of :class:`solvers.gradient_lp.GradientLP`. Rows are identified by the
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
        grid, mkt = lp.grid, lp.setting.market
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
        lower = np.concatenate([np.zeros(R), np.full(ncol - R, mkt.lo)])
        upper = np.concatenate([np.full(R, np.inf), np.full(ncol - R, mkt.hi)])
        upper[symmetry.orbit[grid.c_index]] = 0.0
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
