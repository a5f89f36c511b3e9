"""Solutions against the closed forms of DESIGN §1.4."""

from __future__ import annotations

import pytest

from grids import make_setting
from solvers import solve
from solvers.menu_profit import evaluate_menu

from reference import (AMM2D_PROFIT_ALPHA0, MONOPOLIST2D_BUNDLE_PRICE, MONOPOLIST2D_REVENUE,
                       MONOPOLIST2D_SINGLE_PRICE, spread_half_width, spread_profit_1d, table2_menu)

ALPHAS = (0.0, 0.25, 0.5)


@pytest.mark.parametrize("alpha", ALPHAS)
def test_amm1d_value_converges_at_first_order_from_above(alpha: float) -> None:
    exact = spread_profit_1d(alpha)
    errors = []
    for k in (32, 64, 128):
        sol = solve("amm1d", k, alpha=alpha)
        assert sol.status == "optimal"
        errors.append(sol.primal.value - exact)
    # The grid LP relaxes convexity (rows only between grid points) and the cell
    # weights are the trapezoid rule: an O(h) upward bias, at most h/4 (DESIGN §6:
    # exactly 1/(4k) at alpha = 0). 1e-12: float64 round-off of the LP values.
    for k, err in zip((32, 64, 128), errors):
        assert -1e-12 <= err <= 0.25 / k + 1e-12
    assert errors[2] < errors[1] < errors[0]


def test_amm1d_alpha0_bias_is_exactly_quarter_h() -> None:
    for k in (16, 64):
        # DESIGN §6: trapezoid weights at alpha = 0 give exactly 1/8 + 1/(4k);
        # 1e-12 is the LP's float64 accuracy (dual simplex, feasibility tolerance 1e-10 / N scaling).
        assert abs(solve("amm1d", k).primal.value - (0.125 + 0.25 / k)) <= 1e-12


@pytest.mark.parametrize("alpha", ALPHAS)
def test_amm1d_bid_ask_and_menu_profit(alpha: float) -> None:
    exact, s = spread_profit_1d(alpha), spread_half_width(alpha)
    for k in (64, 128):
        sol = solve("amm1d", k, alpha=alpha)
        menu = {item.allocation: item.price for item in sol.menu()}
        assert set(menu) == {(-1.0,), (0.0,), (1.0,)}
        # Prices are read off a grid: the kink of u sits on a grid point, so each
        # price is within one cell h = 1/k of the continuous one.
        assert abs(menu[(1.0,)] - (0.5 + s)) <= 1 / k
        assert abs(-menu[(-1.0,)] - (0.5 - s)) <= 1 / k
        mp = sol.menu_profit()
        assert mp.method == "exact" and mp.stderr == 0.0
        # A menu is a feasible continuous mechanism: its exact profit never exceeds
        # the optimum (1e-12: float round-off of the exact integration).
        assert mp.value <= exact + 1e-12
        # Each side of the spread earns a concave quadratic in its own half spread with
        # second derivative -(2 - alpha) (tests/reference.py), so ask and bid errors da, db
        # cost exactly (2 - alpha)/2 (da^2 + db^2) (1e-12: exact integration), <= (2 - alpha) h^2
        # for errors <= h. Measured: up to 0.89 h^2 (alpha = 0.25, k = 64).
        da, db = menu[(1.0,)] - (0.5 + s), -menu[(-1.0,)] - (0.5 - s)
        assert exact - mp.value == pytest.approx((2 - alpha) / 2 * (da**2 + db**2), abs=1e-12)
        assert exact - mp.value <= (2 - alpha) / k**2


@pytest.mark.parametrize("alpha", (0.0, 0.5))
def test_amm2d_menu_matches_table2(alpha: float, amm2d_k64) -> None:
    sol = amm2d_k64[alpha]
    assert sol.status == "optimal"
    menu = sol.menu()
    got = {item.allocation: item.price for item in menu}
    alloc, prices = table2_menu(alpha)
    want = {tuple(float(v) for v in a): p for a, p in zip(alloc, prices)}
    want[(0.0, 0.0)] = 0.0
    assert set(got) == set(want), "the 9 deterministic items of Table 2"
    for a, p in want.items():
        # kinks of u lie on grid lines: each price within one grid spacing h = 1/64
        assert abs(got[a] - p) <= 1 / 64, (a, got[a], p)
    assert sum(item.mass for item in menu) == pytest.approx(1.0, abs=1e-12)  # weights sum to 1


@pytest.mark.parametrize("alpha", (0.0, 0.5))
def test_amm2d_menu_profit_near_table2_profit(alpha: float, amm2d_k64) -> None:
    setting = make_setting("amm2d", alpha=alpha)
    alloc, prices = table2_menu(alpha)
    exact = evaluate_menu(setting, alloc, prices).value
    if alpha == 0.0:
        # the closed form 2/9 + sqrt2/27 of DESIGN §1.4 (exact polytope integration: 1e-12)
        assert exact == pytest.approx(AMM2D_PROFIT_ALPHA0, abs=1e-12)
    mp = amm2d_k64[alpha].menu_profit()
    assert mp.method == "exact"
    # Prices within h = 1/64 (test above) and profit stationary at the optimal prices: the loss
    # is second order, h^2 = 2.4e-4 at k = 64 (measured 9.5e-5 at alpha = 0, 1.7e-5 at 0.5).
    # Never above the optimum (1e-12: round-off of the exact integration).
    assert abs(mp.value - exact) <= 1 / 64**2
    assert mp.value <= exact + 1e-12


def test_amm2d_bundling_beats_selling_separately(amm2d_k64) -> None:
    for alpha, sol in amm2d_k64.items():
        # separate selling earns 2 x the 1D optimum; bundling earns about 10% more at
        # alpha = 0 (DESIGN §1.4); the margin 0.05 x is far above the O(h^2) menu error.
        assert sol.menu_profit().value >= 1.05 * 2 * spread_profit_1d(alpha)


def test_monopolist2d_menu_profit() -> None:
    sol = solve("monopolist2d", 64)
    assert sol.status == "optimal"
    mp = sol.menu_profit()
    got = {item.allocation: item.price for item in sol.menu()}
    assert abs(got[(1.0, 0.0)] - MONOPOLIST2D_SINGLE_PRICE) <= 1 / 64  # price per good 2/3, within h
    assert abs(got[(1.0, 1.0)] - MONOPOLIST2D_BUNDLE_PRICE) <= 1 / 64  # bundle (4 - sqrt2)/3, within h
    # Prices within h and revenue stationary at the optimal prices: an O(h^2) loss, h^2 = 2.4e-4
    # at k = 64 (measured 1.4e-4). The menu is a feasible mechanism, so it cannot beat
    # Manelli-Vincent's optimum (1e-12: round-off of exact integration).
    assert abs(mp.value - MONOPOLIST2D_REVENUE) <= 1 / 64**2
    assert mp.value <= MONOPOLIST2D_REVENUE + 1e-12


@pytest.mark.parametrize("name,n,k", [("amm2d", 2, 16), ("amm3d", 3, 12)])
def test_grid_optimum_at_least_separate_selling(name: str, n: int, k: int) -> None:
    one = solve("amm1d", k).primal.value
    sol = solve(name, k)
    assert sol.status == "optimal"
    # u(x) = sum_a u1(x_a) of the 1D grid optimum is feasible on the product grid and
    # the product weights give it exactly n times the 1D objective, so P_n(k) >= n P_1(k);
    # 1e-9: the pair-row tolerance of both solves.
    assert sol.primal.value >= n * one - 1e-9
    # Bundling strictly helps here (DESIGN §1.4: ~10% in 2D), far above solver accuracy.
    assert sol.primal.value > 1.02 * n * one


# The same closed forms in solvers.known_values (the bounds table's source) and in tests/reference.py
# (derived there): computed by the same few float64 operations in possibly another order, they agree
# to a few ulps of numbers below 2; 1e-15 allows ~4 ulps (2.2e-16 in [1, 2)).
SAME_FORMULA = 1e-15


@pytest.mark.parametrize("alpha", (0.0, 0.1, 0.25, 0.5, 0.75, 0.9))
def test_known_values_agree_with_the_reference(alpha: float) -> None:
    from solvers import known_values as kv

    assert kv.spread_profit_1d(alpha) == pytest.approx(spread_profit_1d(alpha), abs=SAME_FORMULA)
    ka, kp = kv.table2_menu(alpha)
    ra, rp = table2_menu(alpha)
    want = {tuple(a): p for a, p in zip(ra.tolist(), rp.tolist())}
    got = {tuple(a): p for a, p in zip(ka.tolist(), kp.tolist())}
    assert set(got) == set(want) and len(ka) == len(ra) == 8
    for a, p in want.items():
        assert got[a] == pytest.approx(p, abs=SAME_FORMULA), (alpha, a)
    # known_optimum, what Solution.bounds() prints as "closed form", for the 1D spread
    value, _ = kv.known_optimum(make_setting("amm1d", alpha=alpha))
    assert value == pytest.approx(spread_profit_1d(alpha), abs=SAME_FORMULA)
    # and for amm2d: the exact profit of its Table 2 menu against that of the reference menu (the same
    # integrator on prices a few ulps apart: 1e-12 is float round-off of the polytope integration)
    setting = make_setting("amm2d", alpha=alpha)
    value, _ = kv.known_optimum(setting)
    assert value == pytest.approx(evaluate_menu(setting, ra, rp).value, abs=1e-12)


def test_known_constants_agree_with_the_reference() -> None:
    from solvers import known_values as kv

    assert kv.MONOPOLIST2D_REVENUE == pytest.approx(MONOPOLIST2D_REVENUE, abs=SAME_FORMULA)
    assert kv.AMM2D_PROFIT_ALPHA0 == pytest.approx(AMM2D_PROFIT_ALPHA0, abs=SAME_FORMULA)
    assert kv.known_optimum(make_setting("monopolist2d"))[0] == pytest.approx(MONOPOLIST2D_REVENUE, abs=SAME_FORMULA)
    assert kv.known_optimum(make_setting("monopolist1d"))[0] == 0.25   # posted price 1/2: 1/2 x 1/2, exact
    # amm2d: the exact profit of Table 2 (polytope integration, 1e-10 as in test_menu_profit.py)
    assert kv.known_optimum(make_setting("amm2d"))[0] == pytest.approx(AMM2D_PROFIT_ALPHA0, abs=1e-10)
    assert kv.known_optimum(make_setting("amm2d", belief="0.25,0.5")) is None   # no closed form off centre
