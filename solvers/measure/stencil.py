"""Grid stencils shared by the measure-form primal and the transport dual.

- edges: axis neighbours (i, i + e_a);
- spreads: (i - p, i, i + p) for primitive directions p with |p|_inf <= radius
  (one sign per direction);
- radial steps (AMM only): (i, i + p_i) with p_i the primitive lattice step
  along the ray from c through x_i, where it stays on the grid.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from math import gcd

import numpy as np

from grids import Grid, Setting


def primitive_directions(n: int, radius: int) -> np.ndarray:
    """Integer vectors p with |p|_inf <= radius, gcd 1, first nonzero entry positive."""
    out = []
    for p in itertools.product(range(-radius, radius + 1), repeat=n):
        nz = [v for v in p if v]
        if not nz or nz[0] < 0 or gcd(*[abs(v) for v in nz]) != 1:
            continue
        out.append(p)
    return np.array(out, dtype=np.int64).reshape(-1, n)


@dataclass(frozen=True, eq=False)
class Stencil:
    """Index arrays of the edges, spreads and radial steps of one grid."""

    edge_tail: np.ndarray     # i
    edge_head: np.ndarray     # i + e_a
    spread_mid: np.ndarray    # i
    spread_lo: np.ndarray     # i - p
    spread_hi: np.ndarray     # i + p
    spread_dir: np.ndarray    # index into directions
    directions: np.ndarray
    radial_from: np.ndarray   # i
    radial_to: np.ndarray     # i + p_i
    radius: int

    @classmethod
    def build(cls, setting: Setting, grid: Grid, radius: int) -> "Stencil":
        k, n = grid.k, grid.n
        m = grid.lattice
        shape = grid.shape
        ravel = lambda pts: np.ravel_multi_index(pts.T, shape)  # noqa: E731
        tails, heads = [], []
        for a in range(n):
            sel = np.flatnonzero(m[:, a] < k)
            step = np.zeros(n, dtype=np.int64)
            step[a] = 1
            tails.append(sel)
            heads.append(ravel(m[sel] + step))
        dirs = primitive_directions(n, radius)
        mids, los, his, dd = [], [], [], []
        for q, p in enumerate(dirs):
            ok = np.all((m - p >= 0) & (m - p <= k) & (m + p >= 0) & (m + p <= k), axis=1)
            sel = np.flatnonzero(ok)
            mids.append(sel)
            los.append(ravel(m[sel] - p))
            his.append(ravel(m[sel] + p))
            dd.append(np.full(len(sel), q))
        rf, rt = np.empty(0, np.int64), np.empty(0, np.int64)
        if setting.market.fixed_belief is None:  # AMM: u is nondecreasing along rays from the pin c
            q = m - m[grid.pin_index]
            g = np.gcd.reduce(np.abs(q), axis=1)
            sel = np.flatnonzero(g > 0)
            step = q[sel] // g[sel, None]
            target = m[sel] + step
            inside = np.all((target >= 0) & (target <= k), axis=1)
            rf, rt = sel[inside], ravel(target[inside])
        cat = np.concatenate
        return cls(cat(tails), cat(heads), cat(mids), cat(los), cat(his), cat(dd), dirs, rf, rt, radius)
