"""The single-bidder benchmark suite: each closed form certified by the LP, the menus against the mechanisms.

For a closed form R (solvers/suite_values.py, derived there by exact integration):
the exact profit of the LP's menu is a true lower bound (a mechanism of the
continuous problem), and the grid LP value sits above the optimum by the cell
rule's bias, at most h/4 per axis in units of that axis's width (DESIGN §6:
exactly h/4 in 1D at alpha = 0; measured 0.3-0.4 h in 2D). So R must lie in
[menu profit, LP value], with LP value - R <= (h/4) sum_i width_i.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from grids import make_setting
from solvers import solve
from solvers.known_values import known_optimum
from solvers.suite_values import SUITE_OPTIMA, bundle_baseline_04_03, bundle_baseline_additive

K = 32
EXACT = 1e-12  # menu profits of polytope/uniform laws are exact integrals: float round-off only


@pytest.fixture(scope="module")
def solved() -> dict:
    # the gradient form: its grid value is the one that sits above the continuous optimum (the bracket);
    # form="auto" would take the measure form on the scaled type boxes (solvers/form_rule.py)
    return {name: solve(name, K, form="gradient") for name in SUITE_OPTIMA}


@pytest.mark.parametrize("name", list(SUITE_OPTIMA))
def test_closed_form_lies_in_the_certified_bracket(solved: dict, name: str) -> None:
    sol, closed = solved[name], SUITE_OPTIMA[name]
    assert sol.status == "optimal"
    assert abs(sol.gap) <= 1e-7 * max(1.0, abs(sol.primal.value))   # solve's relative gap tolerance
    widths = sol.setting.types.width
    menu_profit = sol.menu_profit().value
    assert menu_profit <= closed.value + EXACT <= sol.primal.value + 2 * EXACT
    # the cell rule's bias, h/4 per axis times its width (DESIGN §6)
    assert sol.primal.value - closed.value <= widths.sum() / (4 * K)
    assert known_optimum(sol.setting) == (closed.value, closed.source)


@pytest.mark.parametrize("name", list(SUITE_OPTIMA))
def test_lp_menu_has_the_closed_form_items(solved: dict, name: str) -> None:
    """Every item of the literature's mechanism is in the LP menu: the same allocation (clustering
    tolerance 0.02 of solvers.menu, plus solver noise), its price within one grid cell per axis."""
    sol, closed = solved[name], SUITE_OPTIMA[name]
    menu = sol.menu()
    widths = sol.setting.types.width
    alloc, price = menu.allocations, menu.prices
    for a, p in zip(*closed.menu):
        near = np.abs(alloc - a).max(axis=1) <= 0.03
        assert near.any(), (name, a, menu.as_dict() if hasattr(menu, "as_dict") else alloc)
        # a kink of u moves at most one cell per axis: p = <g, x> - u moves by <= sum_i |a_i| width_i h
        cell = float(np.abs(a) @ widths) / K
        assert np.min(np.abs(price[near] - p)) <= cell, (name, a, p, price[near])


def test_ddt_lottery_is_half_of_good_one_and_all_of_good_two(solved: dict) -> None:
    """The issue read DDT's lottery as (1, 1/2); with the bundle at 12 that lottery would leave the
    bundle unsold (bundle - lottery utility = x2/2 - 4 < 0 on x2 <= 7). The LP sells (1/2, 1)."""
    menu = solved["suite-ddt"].menu()
    masses = {tuple(round(v, 2) for v in it.allocation): it.mass for it in menu}
    assert masses.get((0.5, 1.0), 0.0) > 0.2 and masses.get((1.0, 0.5), 0.0) < 0.01


def test_uniform_04_03_lp_menu_beats_bundling_and_separate_sale() -> None:
    bundle, separate = bundle_baseline_04_03()
    assert bundle == pytest.approx(4 * math.sqrt(2) / 3, abs=1e-15) and separate == 1.75
    sol = solve("suite-04-03", K, form="gradient")
    mp = sol.menu_profit().value
    assert mp > max(bundle, separate)        # measured 1.9139 against 1.8856 at k = 32
    assert sol.primal.value >= mp


def test_additive_10_bundle_baseline() -> None:
    """The 10-good baselines: separate sale at 1/2 each (10/4) and the best bundle price."""
    bundle, separate = bundle_baseline_additive(10)
    assert separate == 2.5
    # the suite's baseline quotes the bundle at 3.9292; p P(S >= p) is flat at the top: 1e-3 of it
    rng = np.random.default_rng(5)
    s = rng.random((200_000, 10)).sum(axis=1)
    mc = 3.9292 * np.mean(s >= 3.9292)
    assert bundle >= mc - 4 * 3.9292 * np.sqrt(0.5 * 0.5 / len(s))  # 4 Monte Carlo standard errors
    assert bundle == pytest.approx(mc, abs=0.02)


def test_suite_settings_take_their_own_defaults_and_overrides_lose_the_closed_form() -> None:
    s = make_setting("suite-pavlov")
    assert s.types.lo == (2.0, 2.0) and s.allocations.name == "unit-demand"
    assert known_optimum(make_setting("suite-pavlov", types="2:4,2:3")) is None
    assert make_setting("suite-triangle").dist.spec.startswith("triangle")


def test_the_triangle_in_the_measure_form_approaches_its_closed_form() -> None:
    """suite-triangle in the measure form (the histogram mu of its exact cell volumes) tends to 2/(3 sqrt 3)."""
    closed = SUITE_OPTIMA["suite-triangle"].value
    errors = []
    for k in (32, 64):
        sol = solve("suite-triangle", k, form="measure")
        assert sol.status == "optimal" and sol.form == "measure"
        assert abs(sol.gap) <= 1e-7 * max(1.0, abs(sol.primal.value))   # solve's relative gap tolerance
        assert sol.menu_profit().value <= closed + EXACT   # any menu's exact profit is a lower bound
        errors.append(abs(sol.primal.value - closed))
    # first order in h: within the gradient form's cell-rule bias bound h/4 per axis (DESIGN §6), used here
    # as a bracket width for the other discretization (measured 0.01 h, far inside it), and shrinking
    assert errors[0] <= 2 / (4 * 32) and errors[1] <= 2 / (4 * 64) and errors[1] < errors[0], errors
