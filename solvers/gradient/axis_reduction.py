"""The axis-stencil LP with the allocations eliminated: same optimum, far fewer columns.

On the axis stencil each g_ia enters only the rows F_ia: v_{i+e} - v_i - g_ia >= 0
and B_ia: v_{i-e} - v_i + g_ia >= 0, its box and its objective term c_ia g_ia.
Where c_ia > 0 the optimum has g_ia = v_{i+e} - v_i (hi at the upper edge), where
c_ia < 0 it has g_ia = v_i - v_{i-e} (lo at the lower edge); g_ia is kept as a
column where c_ia = 0. Substituting turns F/B into second differences; the box
of an eliminated g_ia is implied by the chain of second differences towards the
boundary, so it is dropped. The reduction is exact, and its simplex basis maps
to a basis of the full gradient-form LP: every eliminated g_ia is basic with its
defining row F_ia or B_ia nonbasic at 0. HiGHS restarted from that basis on
the full LP confirms optimality and returns the pair multipliers itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from solvers.gradient.lp import GradientLP

KEPT, FWD, BACK, CONST_HI, CONST_LO = 0, 1, 2, 3, 4
BASIC, LOWER, UPPER = 1, 0, 2  # HiGHS basis status codes


@dataclass(frozen=True, eq=False)
class AxisReduction:
    """The reduced LP and the maps back to the gradient form.

    Columns: v (N), then the kept g_ia. Rows: the axis pair rows (pi, pj) that
    are not defining rows, with g substituted; ``row_of`` gives each one's index
    among the axis rows.
    """

    lp: GradientLP
    mode: np.ndarray        # (N, n) elimination mode of every g_ia
    kept: np.ndarray        # flat indices i*n + a of the kept g columns
    cost: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    rows: sparse.csr_matrix
    row_lower: np.ndarray
    row_of: np.ndarray      # reduced row -> axis row
    defining: np.ndarray    # axis rows that define an eliminated g (nonbasic in the full basis)
    offset: float           # constant objective part from g fixed at hi or lo

    @classmethod
    def build(cls, lp: GradientLP, pi: np.ndarray, pj: np.ndarray) -> "AxisReduction":
        """Reduce the axis-stencil LP with pair rows (pi, pj) (both orientations)."""
        grid, B = lp.grid, lp.setting.B  # a box (solve_gradient reduces only then): per-axis lo, hi
        lo, hi = B.lower, B.upper
        N, n, k = grid.size, grid.n, grid.k
        m = grid.lattice
        cg = lp.cost[N:].reshape(N, n)
        mode = np.full((N, n), KEPT, dtype=np.int8)
        mode[(cg > 0) & (m < k)] = FWD
        mode[(cg > 0) & (m == k)] = CONST_HI
        mode[(cg < 0) & (m > 0)] = BACK
        mode[(cg < 0) & (m == 0)] = CONST_LO
        step = np.array([(k + 1) ** (n - 1 - a) for a in range(n)])
        kept = np.flatnonzero(mode.ravel() == KEPT)
        kept_col = np.full(N * n, -1)
        kept_col[kept] = N + np.arange(len(kept))

        dm = m[pj] - m[pi]
        axis = np.abs(dm).argmax(axis=1)
        sign = dm[np.arange(len(pi)), axis]            # +1: row F_{i,a}; -1: row B_{i,a}
        md = mode[pi, axis]
        is_def = ((md == FWD) & (sign == 1)) | ((md == BACK) & (sign == -1))
        keep = np.flatnonzero(~is_def)
        # row:  v_j - v_i - sign * phi_ia >= 0,  phi = v_{i+e}-v_i | v_i-v_{i-e} | hi | lo | g
        i, j, a, s, md_k = pi[keep], pj[keep], axis[keep], sign[keep], md[keep]
        r = np.arange(len(keep))
        fwd_nb, back_nb = i + step[a], i - step[a]
        ent_r = [r, r]
        ent_c = [j, i]
        ent_v = [np.ones(len(r)), -np.ones(len(r))]
        lower = np.zeros(len(r))
        sel = md_k == FWD
        ent_r += [r[sel], r[sel]]
        ent_c += [fwd_nb[sel], i[sel]]
        ent_v += [-s[sel].astype(float), s[sel].astype(float)]
        sel = md_k == BACK
        ent_r += [r[sel], r[sel]]
        ent_c += [i[sel], back_nb[sel]]
        ent_v += [-s[sel].astype(float), s[sel].astype(float)]
        sel = md_k == KEPT
        ent_r.append(r[sel])
        ent_c.append(kept_col[i[sel] * n + a[sel]])
        ent_v.append(-s[sel].astype(float))
        lower[md_k == CONST_HI] = s[md_k == CONST_HI] * hi[a[md_k == CONST_HI]]
        lower[md_k == CONST_LO] = s[md_k == CONST_LO] * lo[a[md_k == CONST_LO]]
        ncol = N + len(kept)
        rows = sparse.csr_matrix(
            (np.concatenate(ent_v), (np.concatenate(ent_r), np.concatenate(ent_c))), shape=(len(r), ncol)
        )
        rows.sum_duplicates()
        rows.eliminate_zeros()

        cost = np.concatenate([lp.cost[:N], np.zeros(len(kept))])
        ii, aa = np.nonzero(mode == FWD)
        np.add.at(cost, ii + step[aa], cg[ii, aa])
        np.add.at(cost, ii, -cg[ii, aa])
        ii, aa = np.nonzero(mode == BACK)
        np.add.at(cost, ii, cg[ii, aa])
        np.add.at(cost, ii - step[aa], -cg[ii, aa])
        offset = float((cg * hi)[mode == CONST_HI].sum() + (cg * lo)[mode == CONST_LO].sum())
        col_lower = np.concatenate([lp.col_lower[:N], lo[kept % n]])
        col_upper = np.concatenate([lp.col_upper[:N], hi[kept % n]])
        return cls(lp, mode, kept, cost, col_lower, col_upper, rows, lower, keep, np.flatnonzero(is_def), offset)

    def expand(self, z: np.ndarray) -> np.ndarray:
        """Full gradient-form column vector (v, g) from a reduced solution."""
        grid, B = self.lp.grid, self.lp.setting.B
        N, n, k = grid.size, grid.n, grid.k
        v = z[:N]
        step = np.array([(k + 1) ** (n - 1 - a) for a in range(n)])
        g = np.zeros((N, n))
        for a in range(n):
            md = self.mode[:, a]
            idx = np.flatnonzero(md == FWD)
            g[idx, a] = v[idx + step[a]] - v[idx]
            idx = np.flatnonzero(md == BACK)
            g[idx, a] = v[idx] - v[idx - step[a]]
            g[md == CONST_HI, a] = B.upper[a]
            g[md == CONST_LO, a] = B.lower[a]
        g.ravel()[self.kept] = z[N:]
        return np.concatenate([v, g.ravel()])

    def full_basis(
        self, col_status: np.ndarray, row_status: np.ndarray, n_axis_rows: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Basis of the full LP (columns v, g; the axis rows) from the reduced basis."""
        N, n = self.lp.grid.size, self.lp.grid.n
        g_status = np.full(N * n, BASIC, dtype=np.int64)
        flat_mode = self.mode.ravel()
        g_status[flat_mode == CONST_HI] = UPPER
        g_status[flat_mode == CONST_LO] = LOWER
        g_status[self.kept] = col_status[N:]
        rows = np.full(n_axis_rows, LOWER, dtype=np.int64)  # defining rows: nonbasic at 0
        rows[self.row_of] = row_status
        return np.concatenate([col_status[:N], g_status]), rows
