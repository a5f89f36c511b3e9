"""The measure-form primal and its transport dual (DESIGN §1.2), as two separate LPs.

Primal, in v = k u:   max sum_i mu_i u_i  s.t.  lo <= v_{i+e} - v_i <= hi on axis edges,
    v_{i-p} - 2 v_i + v_{i+p} >= 0 on the spread stencil, v_{i+p_i} - v_i >= 0 on
    radial steps (AMM), v >= 0, v_c = 0.

Transport dual, in masses:   min sum_e h (hi F_e^- + (-lo) F_e^+)  s.t. for i != c
    mu_i + (moves)_i <= 0, where flow F^+ on edge (i, i+e) carries mass forward,
    F^- backward, a spread s on (i-p, i, i+p) takes 2s off i and puts s on each
    side, and a radial move r carries mass from i to i + p_i (free moves raise
    integral u d(mu) for every feasible u). The mass at c is unconstrained.

The two are built independently (rows of one, columns of the other); their
optimal values must agree, which is the gap test of the measure form.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from grids import Grid, Setting
from grids.measure import GridMeasure
from solvers.measure.stencil import Stencil


@dataclass(frozen=True, eq=False)
class LPData:
    """maximize cost @ z  s.t.  row_lower <= rows @ z,  col_lower <= z <= col_upper."""

    cost: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    rows: sparse.csr_matrix
    row_lower: np.ndarray


def _rows(entries: list[tuple[np.ndarray, np.ndarray, float]], nrows: int, ncols: int) -> sparse.csr_matrix:
    """Sparse rows from (row index array, column index array, value) triples."""
    r = np.concatenate([e[0] for e in entries])
    c = np.concatenate([e[1] for e in entries])
    v = np.concatenate([np.full(len(e[0]), e[2], dtype=np.float64) for e in entries])
    return sparse.csr_matrix((v, (r, c)), shape=(nrows, ncols))


def edge_bounds(setting: Setting, grid: Grid, st: Stencil) -> tuple[np.ndarray, np.ndarray]:
    """lo_a and hi_a of B (a box) for every stencil edge, a its axis."""
    axis = np.abs(grid.lattice[st.edge_head] - grid.lattice[st.edge_tail]).argmax(axis=1)
    return setting.B.lower[axis], setting.B.upper[axis]


def measure_primal(setting: Setting, grid: Grid, mu: GridMeasure, st: Stencil) -> LPData:
    """The u-only LP; its objective is scaled by N (design value = objective / N)."""
    N, k = grid.size, grid.k
    lo, hi = edge_bounds(setting, grid, st)
    E, S, R = len(st.edge_tail), len(st.spread_mid), len(st.radial_from)
    e, s, r = np.arange(E), np.arange(S), np.arange(R)
    rows = _rows([
        (e, st.edge_head, 1.0), (e, st.edge_tail, -1.0),                # v_h - v_t >= lo
        (E + e, st.edge_tail, 1.0), (E + e, st.edge_head, -1.0),        # v_t - v_h >= -hi
        (2 * E + s, st.spread_lo, 1.0), (2 * E + s, st.spread_hi, 1.0), (2 * E + s, st.spread_mid, -2.0),
        (2 * E + S + r, st.radial_to, 1.0), (2 * E + S + r, st.radial_from, -1.0),
    ], 2 * E + S + R, N)
    row_lower = np.concatenate([lo, -hi, np.zeros(S + R)])
    upper = np.full(N, np.inf)
    upper[grid.pin_index] = 0.0
    return LPData(N * mu.total / k, np.zeros(N), upper, rows, row_lower)


def implied_column_box(setting: Setting, grid: Grid) -> np.ndarray:
    """Column upper bounds v_i <= k h_B(x_i - x_pin) + 1 (0 at the pin): 1 above what the edge rows imply.

    Along a monotone lattice path from the pin, each edge row bounds the step of v
    by hi (or -lo), so v_i <= k h_B(x_i - x_pin) for a box B. One unit above it the
    bound is never active, so it changes no optimum and no multiplier; it only gives
    every column a finite upper bound (a dual simplex then needs no phase 1).
    """
    box = setting.B.support(grid.points - grid.points[grid.pin_index]) * grid.k + 1.0
    box[grid.pin_index] = 0.0
    return box


@dataclass(frozen=True, eq=False)
class TransportLayout:
    """Column blocks of the transport LP: forward flows, backward flows, spreads, radial moves."""

    edges: int
    spreads: int
    radial: int

    def split(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        E, S = self.edges, self.spreads
        return z[:E], z[E:2 * E], z[2 * E:2 * E + S], z[2 * E + S:]


def moves_matrix(N: int, st: Stencil) -> sparse.csr_matrix:
    """Mass added at each point by unit amounts of every move (columns: the layout's blocks)."""
    E, S, R = len(st.edge_tail), len(st.spread_mid), len(st.radial_from)
    e, s, r = np.arange(E), np.arange(S), np.arange(R)
    cols = _rows([
        (e, st.edge_head, 1.0), (e, st.edge_tail, -1.0),                 # forward: tail -> head
        (E + e, st.edge_tail, 1.0), (E + e, st.edge_head, -1.0),         # backward: head -> tail
        (2 * E + s, st.spread_lo, 1.0), (2 * E + s, st.spread_hi, 1.0), (2 * E + s, st.spread_mid, -2.0),
        (2 * E + S + r, st.radial_to, 1.0), (2 * E + S + r, st.radial_from, -1.0),
    ], 2 * E + S + R, N)
    return cols.T.tocsr()


def transport_dual(setting: Setting, grid: Grid, mu: GridMeasure, st: Stencil) -> tuple[LPData, TransportLayout]:
    """The transport LP in masses scaled by N, as a maximization of minus the cost.

    Cost per unit mass: h (-lo) forward and h hi backward, i.e. h both ways for
    a market maker, and for a monopolist 0 upward and h downward; in the LP the
    costs are multiplied by k, so design cost = -objective / N / k.
    """
    N = grid.size
    lo, hi = edge_bounds(setting, grid, st)
    layout = TransportLayout(len(st.edge_tail), len(st.spread_mid), len(st.radial_from))
    M = moves_matrix(N, st)
    keep = np.flatnonzero(np.arange(N) != grid.pin_index)
    cost = np.concatenate([lo, -hi, np.zeros(layout.spreads + layout.radial)])   # maximize -cost
    ncol = len(cost)
    # rows:  -(M z)_i >= N mu_i  for i != c
    return LPData(cost, np.zeros(ncol), np.full(ncol, np.inf), (-M[keep]).tocsr(), N * mu.total[keep]), layout
