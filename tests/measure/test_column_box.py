"""The implied column box of the measure form's row generation (solvers/measure/lp.py, row_generation.py).

Boxing every column by the bound the edge rows imply must change nothing but
the path: the same optimum, no column at its new bound, and multipliers that
still certify the LP without the box. Checked on laws without symmetry (a
sample, a kde, beta off the centre, the monopolist, 3D) and on a folded one.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from grids import make_grid, make_setting
from grids.measure import grid_measure
from solvers.backends import BackendOptions, make_backend
from solvers.measure.lp import implied_column_box, measure_primal
from solvers.measure.row_generation import column_box_pays, solve_generating_rows
from solvers.measure.solve import deferred_spread_rows, solve_measure
from solvers.measure.stencil import Stencil

ROW_TOL = 1e-9   # the measure form's default row tolerance (solve_measure's row_tol)
OBJ_TOL = 1e-9   # relative: both optima come from dual simplex at feasibility tolerance 1e-10 on O(1) data
GAP_TOL = 1e-7   # solve's relative gap tolerance


@pytest.fixture(scope="module")
def trades(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """400 correlated trades in the unit box, seeded."""
    rng = np.random.default_rng(3)
    x = rng.multivariate_normal([0.45, 0.4], [[0.04, 0.02], [0.02, 0.03]], size=1000)
    path = tmp_path_factory.mktemp("box") / "trades.npy"
    np.save(path, x[np.all((x >= 0) & (x <= 1), axis=1)][:400])
    return path


def _cases(trades: Path) -> list[tuple[str, int, dict]]:
    return [("amm2d", 16, {"dist": f"samples:{trades}"}), ("amm2d", 16, {"dist": f"kde:0.05:{trades}"}),
            ("amm2d", 16, {"dist": "beta:2,5", "belief": "0.25,0.375"}), ("monopolist2d", 16, {}),
            ("amm3d", 8, {"belief": "0.25,0.375,0.5"}), ("suite-ddt", 16, {})]


IDS = ["samples", "kde", "beta off-centre", "monopolist", "amm3d", "ddt"]


@pytest.mark.parametrize("case", range(6), ids=IDS)
def test_boxed_generation_reaches_the_same_optimum_with_multipliers_of_the_unboxed_lp(case: int,
                                                                                      trades: Path) -> None:
    name, k, kw = _cases(trades)[case]
    s = make_setting(name, **kw)
    g = make_grid(s, k)
    st = Stencil.build(s, g, 1)
    lp = measure_primal(s, g, grid_measure(s, g), st)
    box = implied_column_box(s, g)
    boxed = replace(lp, col_upper=np.minimum(lp.col_upper, box))
    deferred = deferred_spread_rows(lp, st, None)
    plain, _, _ = solve_generating_rows(lp, deferred, make_backend("highs", BackendOptions()), ROW_TOL)
    res, _, _ = solve_generating_rows(boxed, deferred, make_backend("highs", BackendOptions()), ROW_TOL)
    assert res.status == plain.status == "optimal"
    assert abs(res.objective - plain.objective) <= OBJ_TOL * max(1.0, abs(plain.objective))
    free = np.arange(g.size) != g.pin_index
    # the bound is one unit of v = k u (h in u) above the implied one: no column comes within it
    # (1e-7: HiGHS's primal feasibility 1e-7 on v = k u)
    assert np.max((res.z - box)[free]) <= -1.0 + 1e-7
    # so the multipliers are a dual of the LP without the box: reduced costs <= 0 on every free
    # column (HiGHS's dual feasibility 1e-10 on the scaled LP, scaled back by the largest cost)
    scale = np.abs(lp.cost).max()
    reduced = lp.cost + lp.rows.T @ res.row_dual
    assert np.max(reduced[free]) <= 1e-7 * scale
    assert abs(-lp.row_lower @ res.row_dual - plain.objective) <= GAP_TOL * max(1.0, abs(plain.objective))


def test_the_box_is_the_lattice_distance_from_the_pin_plus_one_step() -> None:
    """amm2d (B = [-1,1]^2): k |x - x_pin|_1 + 1; monopolist (B = [0,1]^2, pin 0): k (x1 + x2) + 1; 0 at the pin."""
    k = 8
    s = make_setting("amm2d", belief="0.25,0.375")
    g = make_grid(s, k)
    box = implied_column_box(s, g)
    m = g.lattice
    expected = np.abs(m - m[g.pin_index]).sum(axis=1) + 1.0
    expected[g.pin_index] = 0.0
    np.testing.assert_array_equal(box, expected)       # integers: exact
    s = make_setting("monopolist2d")
    g = make_grid(s, k)
    expected = g.lattice.sum(axis=1) + 1.0
    expected[g.pin_index] = 0.0
    np.testing.assert_array_equal(implied_column_box(s, g), expected)


@pytest.mark.parametrize("kw", [{"dist": "beta:2,2"}, {"dist": "beta:2,5", "belief": "0.25,0.375"}],
                         ids=["folded", "unfolded"])
def test_solve_measure_certifies_the_same_optimum_boxed_or_not(kw: dict) -> None:
    s = make_setting("amm2d", **kw)
    g = make_grid(s, 16)
    plain = solve_measure(s, g, column_box=False)
    boxed = solve_measure(s, g, column_box=True)
    assert plain.status == boxed.status == "optimal"
    assert abs(boxed.primal.value - plain.primal.value) <= OBJ_TOL * max(1.0, abs(plain.primal.value))
    assert abs(boxed.gap) <= GAP_TOL * max(1.0, abs(boxed.primal.value))
    assert abs(boxed.dual.bound - plain.dual.bound) <= GAP_TOL * max(1.0, abs(plain.dual.bound))


def test_the_rule_boxes_laws_with_a_histogram_mu_only(trades: Path) -> None:
    for dist in (f"kde:scott:{trades}", f"samples:{trades}", "density:1+3*x1*x2", "triangle"):
        assert column_box_pays(make_setting("amm2d", dist=dist)), dist
    for dist in ("uniform", "beta:2,5", "truncnorm:0.3,0.2"):
        assert not column_box_pays(make_setting("amm2d", dist=dist, belief="0.25,0.375")), dist


def test_the_default_follows_the_rule(trades: Path) -> None:
    """HiGHS is deterministic, so the default's simplex path is the boxed one for a kde, the plain one for beta."""
    paths = {}
    for dist in (f"kde:0.05:{trades}", "beta:2,5"):
        s = make_setting("amm2d", dist=dist, belief="0.25,0.375")
        g = make_grid(s, 32)
        paths[dist] = [solve_measure(s, g, column_box=b).stats.iterations for b in (None, True, False)]
    kde, beta = paths.values()
    assert kde[1] != kde[2] and beta[1] != beta[2]   # the box changes the path here, so the test can tell
    assert kde[0] == kde[1] and beta[0] == beta[2]
