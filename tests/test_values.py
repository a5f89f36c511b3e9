"""Solutions against the closed forms of DESIGN §1.4."""

from __future__ import annotations

import numpy as np
import pytest

from grids import make_setting
from solvers import solve
from solvers.menu_profit import evaluate_menu

from conftest import spread_half_width
from solvers.known_values import (AMM2D_PROFIT_ALPHA0, MONOPOLIST2D_REVENUE, spread_profit_1d,
                                  table2_menu)

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
        # the optimum (1e-12: float round-off of the exact integration). Profit is
        # stationary at the optimal prices, so a price error <= h costs <= h^2.
        assert mp.value <= exact + 1e-12
        assert exact - mp.value <= 1 / k**2


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
    # The target: within 1e-3 of the exact profit at k = 64 (prices within
    # h = 1/64 cost O(h^2) ~ 2.4e-4 of profit); never above the optimum.
    assert abs(mp.value - exact) <= 1e-3
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
    # The target 1e-3 at k = 64; the menu is a feasible mechanism so it
    # cannot beat Manelli-Vincent's optimum (1e-12: round-off of exact integration).
    assert abs(mp.value - MONOPOLIST2D_REVENUE) <= 1e-3
    assert mp.value <= MONOPOLIST2D_REVENUE + 1e-12
    got = {item.allocation: item.price for item in sol.menu()}
    assert abs(got[(1.0, 0.0)] - 2 / 3) <= 1 / 64  # price per good 2/3, within h
    assert abs(got[(1.0, 1.0)] - (4 - np.sqrt(2)) / 3) <= 1 / 64  # bundle (4 - sqrt2)/3, within h


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
