"""Row generation of the measure form's convexity rows (solvers/measure/row_generation.py).

The generated LP must reach the optimum of the LP with every row, its optimum
must satisfy every row, and its multipliers (zero on rows never added) must
certify it: checked on settings without symmetry, including beta types, where
spread rows are violated at the first round (k = 16, c at the centre, the LP
built unfolded), so the loop really adds rows.
"""

from __future__ import annotations

import numpy as np
import pytest

from grids import make_grid, make_setting
from grids.measure import grid_measure
from solvers import solve
from solvers.backends import BackendOptions, make_backend
from solvers.measure import row_generation
from solvers.measure.lp import measure_primal
from solvers.measure.row_generation import solve_generating_rows
from solvers.measure.solve import deferred_spread_rows
from solvers.measure.stencil import Stencil

ROW_TOL = 1e-9       # the measure form's default row tolerance (solve_measure's row_tol)
OBJ_TOL = 1e-9       # relative: both optima come from dual simplex at feasibility tolerance 1e-10 on O(1) data
CASES = [("amm2d", 16, {"belief": "0.25,0.375"}), ("amm2d", 16, {"dist": "beta:2,5"}),
         ("monopolist2d", 16, {}), ("amm3d", 8, {"belief": "0.25,0.375,0.5"}),
         ("suite-ddt", 16, {})]


def _lp(name: str, k: int, kw: dict):
    s = make_setting(name, **kw)
    g = make_grid(s, k)
    st = Stencil.build(s, g, 1)
    lp = measure_primal(s, g, grid_measure(s, g), st)
    return s, g, st, lp


@pytest.mark.parametrize("name,k,kw", CASES, ids=["off-centre", "beta", "monopolist", "amm3d", "ddt"])
def test_generated_rows_reach_the_optimum_of_every_row(name: str, k: int, kw: dict) -> None:
    _, _, st, lp = _lp(name, k, kw)
    full = make_backend("highs", BackendOptions())
    full.load(lp.cost, lp.col_lower, lp.col_upper, lp.rows, row_lower=lp.row_lower)
    every = full.solve()
    deferred = deferred_spread_rows(lp, st, None)
    assert deferred.sum() == len(st.spread_mid) > 0
    res, rounds, active = solve_generating_rows(lp, deferred, make_backend("highs", BackendOptions()), ROW_TOL)
    assert res.status == every.status == "optimal"
    assert abs(res.objective - every.objective) <= OBJ_TOL * max(1.0, abs(every.objective))
    assert np.min(lp.rows @ res.z - lp.row_lower) >= -ROW_TOL       # feasible for every row, deferred ones too
    assert active < lp.rows.shape[0] and rounds[-1].added == 0
    assert len(res.row_dual) == lp.rows.shape[0]
    # the scattered multipliers are a dual certificate of the full LP (max cost z, rows z >= lower,
    # 0 <= z, the pin boxed at 0): y >= 0, cost + A^T y <= 0 on every column not boxed, value -lower @ y.
    # Tolerances: HiGHS's dual feasibility 1e-10 on the scaled LP, scaled back by the largest cost.
    scale = np.abs(lp.cost).max()
    assert np.min(res.row_dual) >= -1e-7 * scale
    reduced = lp.cost + lp.rows.T @ res.row_dual
    assert np.max(reduced[np.isinf(lp.col_upper)]) <= 1e-7 * scale
    dual_value = -lp.row_lower @ res.row_dual
    assert abs(dual_value - every.objective) <= 1e-7 * max(1.0, abs(every.objective))  # solve's gap tolerance


def test_beta_types_need_more_than_one_round() -> None:
    """beta:2,5 at k = 16 (LP unfolded) violates 3 spread rows at the first optimum: the loop runs."""
    _, _, st, lp = _lp("amm2d", 16, {"dist": "beta:2,5"})
    _, rounds, _ = solve_generating_rows(lp, deferred_spread_rows(lp, st, None),
                                         make_backend("highs", BackendOptions()), ROW_TOL)
    assert len(rounds) > 1 and rounds[0].added > 0 and rounds[0].max_violation > ROW_TOL


def test_round_limit_adds_every_row_and_still_ends_at_the_optimum(monkeypatch: pytest.MonkeyPatch) -> None:
    _, _, st, lp = _lp("amm2d", 16, {"dist": "beta:2,5"})
    deferred = deferred_spread_rows(lp, st, None)
    plain, _, _ = solve_generating_rows(lp, deferred, make_backend("highs", BackendOptions()), ROW_TOL)
    monkeypatch.setattr(row_generation, "MAX_ROUNDS", 1)
    capped, rounds, active = solve_generating_rows(lp, deferred, make_backend("highs", BackendOptions()), ROW_TOL)
    assert len(rounds) == 2 and active == lp.rows.shape[0]    # one round, then every deferred row at once
    assert abs(capped.objective - plain.objective) <= OBJ_TOL * max(1.0, abs(plain.objective))


def test_rows_with_a_nonzero_lower_bound_cannot_be_deferred() -> None:
    _, _, st, lp = _lp("amm2d", 8, {})
    with pytest.raises(ValueError, match="lower bound 0"):
        solve_generating_rows(lp, np.ones(lp.rows.shape[0], bool), make_backend("highs", BackendOptions()), ROW_TOL)


@pytest.mark.parametrize("name,k,kw", [("amm2d", 16, {"dist": "beta:2,5", "belief": "0.25,0.375"}),
                                       ("amm2d", 16, {"dist": "beta:2,2"})], ids=["unfolded", "folded"])
def test_solve_certifies_the_generated_lp_with_either_transport_source(name: str, k: int, kw: dict) -> None:
    """The transport LP (its own LP) and the multipliers (zeros on rows never added) give the same certificate."""
    own = solve(name, k, form="measure", transport="lp", **kw)
    read = solve(name, k, form="measure", transport="multipliers", **kw)
    assert own.status == read.status == "optimal"
    assert own.primal.value == read.primal.value       # the same u-only LP, the same deterministic solve
    assert abs(read.gap) <= 1e-7 * max(1.0, abs(read.primal.value))  # solve's relative gap tolerance
    assert abs(own.dual.bound - read.dual.bound) <= 1e-7 * max(1.0, abs(own.dual.bound))
    assert read.stats.rounds == len(read.stats.history) >= 1
