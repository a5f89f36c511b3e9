"""Symmetry folding of the measure-form primal and the transport dual (DESIGN §1.2).

Under a group of signed axis permutations keeping c, B and the grid measure
mu (:class:`solvers.symmetry.GridSymmetry`), both LPs have symmetric optima:
u constant on point orbits, and equal mass on every move of one move orbit.
A move (an edge move a -> b, a spread on (lo, mid, hi), a radial move a -> b)
is mapped by mapping its points; its cost is kept because B is. The primal's
stencil rows and the transport columns are the same list of moves, so one
orbit computation folds both: the primal keeps one row per move orbit over
one column per point orbit, the transport LP one column per move orbit over
one balance row per point orbit. The unfolded arrays are rebuilt by the
lifts and certified as usual.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from grids import Grid
from solvers.measure.lp import LPData, TransportLayout
from solvers.measure.stencil import Stencil
from solvers.symmetry import GridSymmetry


def _move_keys(st: Stencil, N: int, perm: np.ndarray) -> np.ndarray:
    """An integer naming each move (layout order) after its points are mapped by ``perm``.

    Edge moves a -> b in [0, N^2), radial moves N^2 + [0, N^2), spreads
    2 N^2 + mid N^2 + min(lo, hi) N + max(lo, hi): distinct moves, distinct keys.
    """
    N2 = N * N
    t, h = perm[st.edge_tail], perm[st.edge_head]
    lo, hi, mid = perm[st.spread_lo], perm[st.spread_hi], perm[st.spread_mid]
    return np.concatenate([
        t * N + h, h * N + t,
        2 * N2 + mid * N2 + np.minimum(lo, hi) * N + np.maximum(lo, hi),
        N2 + perm[st.radial_from] * N + perm[st.radial_to],
    ])


@dataclass(frozen=True, eq=False)
class MeasureFold:
    """Lifts of the folded measure-form LPs: u = lift_u @ U and z = lift_z @ Z."""

    symmetry: GridSymmetry
    lift_u: sparse.csr_matrix     # N x (point orbits)
    lift_z: sparse.csr_matrix     # moves x (move orbits)
    rep_moves: np.ndarray         # one move of every move orbit

    @classmethod
    def build(cls, symmetry: GridSymmetry, st: Stencil) -> "MeasureFold":
        N = symmetry.grid.size
        if N ** 3 + 2 * N ** 2 >= np.iinfo(np.int64).max:
            raise ValueError(f"move keys overflow int64 at N = {N}")
        canon = _move_keys(st, N, symmetry.perms[0])
        for perm in symmetry.perms[1:]:
            np.minimum(canon, _move_keys(st, N, perm), out=canon)
        _, rep_moves, orbit = np.unique(canon, return_index=True, return_inverse=True)
        orbit = orbit.ravel()
        R = len(symmetry.reps)
        lift_u = sparse.csr_matrix((np.ones(N), (np.arange(N), symmetry.orbit)), shape=(N, R))
        lift_z = sparse.csr_matrix((np.ones(len(canon)), (np.arange(len(canon)), orbit)),
                                   shape=(len(canon), len(rep_moves)))
        return cls(symmetry, lift_u, lift_z, rep_moves)

    def primal(self, lp: LPData, grid: Grid) -> LPData:
        """One row per move orbit over one column U per point orbit."""
        rows = (lp.rows[self.rep_moves] @ self.lift_u).tocsr()
        upper = np.full(self.lift_u.shape[1], np.inf)
        upper[self.symmetry.orbit[grid.pin_index]] = 0.0
        return LPData(np.asarray(self.lift_u.T @ lp.cost), np.zeros(len(upper)), upper, rows,
                      lp.row_lower[self.rep_moves])

    def transport(self, lp: LPData, layout: TransportLayout, moves: sparse.csr_matrix,
                  grid: Grid, mu_total: np.ndarray) -> LPData:
        """One column Z per move orbit (its mass on each member) over one balance row per point orbit != c."""
        reps = self.symmetry.reps[self.symmetry.reps != grid.pin_index]
        rows = (-(moves[reps] @ self.lift_z)).tocsr()
        ncol = self.lift_z.shape[1]
        return LPData(np.asarray(self.lift_z.T @ lp.cost), np.zeros(ncol), np.full(ncol, np.inf), rows,
                      grid.size * mu_total[reps])
