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

from grids import Grid, Setting

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
    """A group of signed axis permutations that fixes the pin, the belief c, B and the weights, acting on grid indices.

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
        mc = grid.lattice[grid.pin_index]
        w = grid.weights if invariant is None else invariant
        mats, perms = [], []
        B = setting.B
        symmetric_box = B.lo[0] == -B.hi[0]
        belief = setting.c * k - mc  # the belief (where d vanishes) relative to the pin, lattice units
        candidates = signed_permutations(n) if n <= MAX_DIMENSION else np.eye(n, dtype=np.int64)[None]
        if not B.equal_axes:  # conservative: only a box with equal axes is kept by axis permutations
            candidates = candidates[:1]
        for M in candidates:
            flips = np.flatnonzero(M.sum(axis=1) < 0)          # output axes with a sign change
            src = np.abs(M).argmax(axis=1)                     # output axis a reads input axis src[a]
            if len(flips) and (not symmetric_box or np.any(2 * mc[flips] != k)):
                continue
            if np.any(mc[src] != mc) or not np.allclose(M @ belief, belief, rtol=0.0, atol=1e-9):
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
