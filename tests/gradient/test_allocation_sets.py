"""Gradient form with allocation sets other than the market's box, and with type boxes.

Known optima, derived here by exact integration over the regions where each
menu item is chosen (polygons clipped by half-planes, areas by the shoelace
formula), not with :mod:`solvers.menu_profit`:

- Daskalakis, Deckelbaum and Tzamos (2017): an additive monopolist, x1 ~ U[4,16],
  x2 ~ U[4,7]. Optimal: no sale, the lottery (1/2, 1) (good 1 with probability
  1/2, good 2 surely) at 8, the bundle (1, 1) at 12. By hand: types with
  x1 >= 8 buy the bundle (x1 + x2 >= 12 always holds there), types with x1 < 8
  buy the lottery when x1/2 + x2 >= 8; revenue (8 * 8 + 12 * 24) / 36 = 88/9.
  (The allocation (1, 1/2) at 8 would be worse: nobody would then prefer the
  bundle, revenue < 8.)
- Unit demand {a >= 0, a1 + a2 <= 1}, U[0,1]^2 monopolist: each good at
  p = 1/sqrt3, revenue p (1 - p^2) = 2 / (3 sqrt3).
"""

from __future__ import annotations

import numpy as np
import pytest

from grids import make_grid, make_setting
from solvers import solve
from solvers.certificate import certify, dual_terms, primal_value

DDT_TYPES = "4:16,4:7"
DDT_MENU = (np.array([[0.5, 1.0], [1.0, 1.0]]), np.array([8.0, 12.0]))
UNIT_DEMAND_PRICE = 1.0 / np.sqrt(3.0)


def _clip(poly: list[np.ndarray], a: np.ndarray, b: float) -> list[np.ndarray]:
    """Sutherland-Hodgman: the part of a convex polygon where <a, x> <= b."""
    out = []
    for p, q in zip(poly, poly[1:] + poly[:1]):
        fp, fq = a @ p - b, a @ q - b
        if fp <= 0:
            out.append(p)
        if fp * fq < 0:
            out.append(p + (q - p) * fp / (fp - fq))
    return out


def _area(poly: list[np.ndarray]) -> float:
    if len(poly) < 3:
        return 0.0
    x, y = np.array(poly).T
    return 0.5 * abs(float(x @ np.roll(y, -1) - y @ np.roll(x, -1)))


def uniform_menu_revenue(alloc: np.ndarray, prices: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    """Exact expected revenue of a 2-good menu (no-trade added) for types uniform on [lo, hi]:
    sum_k p_k P(item k maximizes <a_k, x> - p_k), by clipping the box to each item's region."""
    A, P = np.vstack([alloc, np.zeros(2)]), np.append(prices, 0.0)
    box = [np.array(v, dtype=float) for v in [(lo[0], lo[1]), (hi[0], lo[1]), (hi[0], hi[1]), (lo[0], hi[1])]]
    total = 0.0
    for k in range(len(prices)):
        region = box
        for j in range(len(A)):
            if j != k:  # <a_j - a_k, x> <= p_j - p_k: item k at least as good as item j
                region = _clip(region, A[j] - A[k], P[j] - P[k])
        total += P[k] * _area(region)
    return total / float(np.prod(hi - lo))


DDT_REVENUE = uniform_menu_revenue(*DDT_MENU, np.array([4.0, 4.0]), np.array([16.0, 7.0]))
UNIT_DEMAND_REVENUE = uniform_menu_revenue(np.eye(2), np.full(2, UNIT_DEMAND_PRICE), np.zeros(2), np.ones(2))


def test_reference_revenues_match_the_hand_derivations() -> None:
    """The clipping integrator against the closed forms in the module docstring (float round-off)."""
    assert DDT_REVENUE == pytest.approx(88 / 9, abs=1e-12)
    assert UNIT_DEMAND_REVENUE == pytest.approx(2 / (3 * np.sqrt(3)), abs=1e-12)


def _recomputed(sol) -> tuple[float, float]:
    """Primal and dual values recomputed from the returned arrays, and their gap."""
    p = primal_value(sol.setting, sol.grid, sol.primal.u, sol.primal.g)
    d, _ = dual_terms(sol.setting, sol.grid, sol.dual.y)
    return p, d - p


@pytest.mark.parametrize("name,allocations", [
    ("amm2d", "box:-1:0.5,-0.5:1"),                    # per-axis box
    ("monopolist2d", "unit-demand"),
    ("monopolist2d", "polytope:1 1 <= 1; 2 1 <= 1.5; -1 0 <= 0; 0 -1 <= 0"),  # a polytope in [0,1]^2
    ("amm2d", "polytope:1 1 <= 1; -1 -1 <= 1; 1 -1 <= 1.5; -1 1 <= 1.5"),
])
def test_allocation_sets_certify(name: str, allocations: str) -> None:
    """Status optimal, the gap recomputed from (u, g, y) at solver accuracy, g in B, h_B bounds u.

    k = 16. The gap tolerance 1e-9 is the HiGHS optimality tolerance (1e-10
    on the scaled LP, DESIGN §6) times the objective scale; measured gaps are
    below 1e-14 here.
    """
    sol = solve(name, 16, allocations=allocations)
    assert sol.status == "optimal"
    p, gap = _recomputed(sol)
    assert p == pytest.approx(sol.primal.value, abs=1e-12)
    assert abs(gap) <= 1e-9
    B = sol.setting.B
    assert B.violation(sol.primal.g) <= 1e-9  # solver feasibility tolerance 1e-10, scaled
    assert np.all(sol.primal.u <= B.support(sol.grid.points - sol.setting.pin) + 1e-9)


def test_polytope_rows_bind_and_change_the_optimum() -> None:
    """Unit demand is a strict subset of [0,1]^2: its optimum is lower than the box's, and the LP's
    allocations use the diagonal face a1 + a2 = 1 (no point has a1 + a2 > 1 beyond solver tolerance)."""
    box = solve("monopolist2d", 16)
    unit = solve("monopolist2d", 16, allocations="unit-demand")
    assert unit.primal.value < box.primal.value - 0.1  # measured 0.405 against 0.574
    assert float(np.max(unit.primal.g.sum(axis=1))) <= 1.0 + 1e-9


def test_certificate_bound_holds_for_any_nonnegative_y() -> None:
    """D(y) with h_B of the polytope is an upper bound for every y >= 0: perturbed multipliers only
    raise the certified bound above the primal value (weak duality, exact up to round-off)."""
    sol = solve("monopolist2d", 8, allocations="unit-demand")
    rng = np.random.default_rng(0)
    y = sol.dual.y.copy()
    y.data = y.data * rng.uniform(0.5, 1.5, y.nnz)
    cert = certify(sol.setting, sol.grid, sol.primal.u, sol.primal.g, y, 0.0)
    assert cert.dual_bound >= cert.primal_value - 1e-12


def test_type_box_is_exactly_the_unit_box_problem_with_scaled_allocations() -> None:
    """AMM on types [2,4] x [1,2], belief (3, 1.5), alpha 0.3 against the unit-box AMM with
    B' = D B = [-2,2] x [-1,1] and belief (1/2, 1/2): the same LP, so the same value (to the
    solver's tolerance 1e-9, measured equal to the last bit), and the menus correspond by
    a = a'/D, p = p' + <a, lo>."""
    typed = solve("amm2d", 16, types="2:4,1:2", belief=(3.0, 1.5), alpha=0.3, form="gradient")
    unit = solve("amm2d", 16, allocations="box:-2:2,-1:1", belief=(0.5, 0.5), alpha=0.3, form="gradient")
    assert typed.status == unit.status == "optimal"
    assert typed.primal.value == pytest.approx(unit.primal.value, abs=1e-9)
    lo, width = np.array([2.0, 1.0]), np.array([2.0, 1.0])
    mine = {tuple(np.round(it.allocation, 9)): it.price for it in typed.menu()}
    for it in unit.menu():
        a = np.asarray(it.allocation) / width
        assert mine[tuple(np.round(a, 9))] == pytest.approx(it.price + a @ lo, abs=1e-9)


def test_profit_is_invariant_under_the_type_box_map() -> None:
    """E[<g, (1 - alpha)(x - c)> - u] in the user's units (x = lo + D y, g = g'/D) equals the LP's
    unit-box value (round-off only: the two sums differ by the order of summation)."""
    sol = solve("amm2d", 12, types="2:4,1:2", belief=(3.0, 1.5), alpha=0.3, form="gradient")
    user = sol.user_arrays()
    d = 0.7 * (user["x"] - np.array([3.0, 1.5]))
    value = float(sol.grid.weights @ (np.einsum("ij,ij->i", user["g"], d) - user["u"]))
    assert value == pytest.approx(sol.primal.value, abs=1e-12)
    assert np.allclose(user["x"].min(axis=0), [2.0, 1.0]) and np.allclose(user["x"].max(axis=0), [4.0, 2.0])


def test_monopolist_type_box_pins_the_lower_corner() -> None:
    """c = 0 lies outside [4,16] x [4,7]: d vanishes at c' = -lo/D off the unit box, u = 0 at the
    lower corner (the pin); the grid builds and u is 0 there."""
    s = make_setting("monopolist2d", types=DDT_TYPES)
    assert np.allclose(s.c, [-1 / 3, -4 / 3]) and np.array_equal(s.pin, [0.0, 0.0])
    g = make_grid(s, 8)
    assert g.pin_index == 0
    assert np.allclose(s.B.upper, [12.0, 3.0])


@pytest.mark.parametrize("k", [16, 32])
def test_ddt_lp_value_and_menu(k: int) -> None:
    """The LP converges to the DDT revenue 88/9 from above at first order: measured
    (P(k) - 88/9) k = 3.302, 3.302, 3.302, 3.315 at k = 16, 32, 48, 64 (cell rule: upward O(h)
    bias, DESIGN §6), so 0 <= P(k) - 88/9 <= 3.5/k. The LP menu has the lottery (1/2, 1) and the
    bundle (1, 1) with prices within 9/k and 15/k of 8 and 12 (a conjugate price max_i <a, x_i> - u_i
    moves by at most one grid cell per axis, 12/k in x1 and 3/k in x2, weighted by a: 6/k + 3/k and
    12/k + 3/k; measured 8.44/12.69 at k = 16, 8.06/12.13 at 32, 8.02/12.08 at 64),
    and its exact profit is a lower bound within 0.01 (measured 88/9 - 0.066 at 16, - 0.002 at 32)."""
    sol = solve("monopolist2d", k, types=DDT_TYPES, form="gradient")
    assert sol.status == "optimal"
    assert 0.0 <= sol.primal.value - DDT_REVENUE <= 3.5 / k
    items = {tuple(np.round(it.allocation, 6)): it.price for it in sol.menu()}
    assert abs(items[(0.5, 1.0)] - 8.0) <= 9.0 / k and abs(items[(1.0, 1.0)] - 12.0) <= 15.0 / k
    mp = sol.menu_profit().value
    assert mp <= DDT_REVENUE + 1e-9 and DDT_REVENUE - mp <= (0.07 if k == 16 else 0.01)


@pytest.mark.slow
def test_ddt_at_k64() -> None:
    """k = 64 (70-140 s on one core): the bounds of :func:`test_ddt_lp_value_and_menu` (measured
    (P - 88/9) k = 3.315, prices 8.016 and 12.078, menu profit 88/9 - 9.8e-4)."""
    k = 64
    sol = solve("monopolist2d", k, types=DDT_TYPES, form="gradient")
    assert 0.0 <= sol.primal.value - DDT_REVENUE <= 3.5 / k
    items = {tuple(np.round(it.allocation, 6)): it.price for it in sol.menu()}
    assert abs(items[(0.5, 1.0)] - 8.0) <= 9.0 / k and abs(items[(1.0, 1.0)] - 12.0) <= 15.0 / k
    assert 0.0 <= DDT_REVENUE - sol.menu_profit().value <= 2e-3


def test_unit_demand_monopolist_prices_each_good_at_one_over_sqrt3() -> None:
    """U[0,1]^2, unit demand, k = 32: LP value above 2/(3 sqrt3) by O(h) (measured (P - R) k = 0.333
    at k = 32 and 0.332 at k = 64: bound 0.4/k), the menu is the two goods at one price within
    1/k of 1/sqrt3 (measured 0.594 at 32, 0.578 at 64), its exact profit a lower bound within
    1e-3 (measured R - 4.7e-4 at 32, R - 1.0e-6 at 64)."""
    k = 32
    sol = solve("monopolist2d", k, allocations="unit-demand")
    assert sol.status == "optimal"
    assert 0.0 <= sol.primal.value - UNIT_DEMAND_REVENUE <= 0.4 / k
    traded = [it for it in sol.menu() if max(it.allocation) > 0]
    assert sorted(it.allocation for it in traded) == [(0.0, 1.0), (1.0, 0.0)]
    assert all(abs(it.price - UNIT_DEMAND_PRICE) <= 1.0 / k for it in traded)
    mp = sol.menu_profit().value
    assert mp <= UNIT_DEMAND_REVENUE + 1e-9 and UNIT_DEMAND_REVENUE - mp <= 1e-3


def test_type_box_with_unit_demand_is_the_unit_box_polytope() -> None:
    """Monopolist on [0,2] x [0,1] (lo = 0, so c' = 0 = pin) with unit demand against the unit-box
    monopolist with D B = {a' >= 0, a1'/2 + a2' <= 1}: the same LP (polytope rows scaled per row),
    equal values to the solver's tolerance (1e-9), both certified."""
    typed = solve("monopolist2d", 12, types="0:2,0:1", allocations="unit-demand")
    unit = solve("monopolist2d", 12, allocations="polytope:0.5 1 <= 1; -1 0 <= 0; 0 -1 <= 0")
    assert typed.status == unit.status == "optimal"
    assert typed.primal.value == pytest.approx(unit.primal.value, abs=1e-9)
    assert abs(_recomputed(typed)[1]) <= 1e-9


def test_measure_form_on_a_type_box_matches_the_unit_box_problem() -> None:
    """The measure form (box B only) on the type box [2,4] x [1,2] solves the unit-box measure LP
    with per-axis edge bounds D B: equal values (solver tolerance 1e-9) and a certified gap."""
    typed = solve("amm2d", 12, types="2:4,1:2", belief=(3.0, 1.5), form="measure")
    unit = solve("amm2d", 12, allocations="box:-2:2,-1:1", form="measure")
    assert typed.status == unit.status == "optimal"
    assert typed.primal.value == pytest.approx(unit.primal.value, abs=1e-9)


def test_unequal_axes_are_not_folded() -> None:
    """Axis permutations do not keep B = [-1,0.5] x [-0.5,1] or the type box [2,4] x [1,2]: the
    symmetry group is trivial; an equal-axes box on an equal type box folds as before."""
    assert solve("amm2d", 8, allocations="box:-1:0.5,-0.5:1").stats.group_order == 1
    assert solve("amm2d", 8, types="2:4,1:2", form="gradient").stats.group_order == 1
    assert solve("amm2d", 8, types="2:4,2:4", form="gradient").stats.group_order == 8
