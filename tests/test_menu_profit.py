"""Exact, QMC and empirical menu profits against closed forms (DESIGN §1.4)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import integrate, stats

import grids
from solvers.menu_profit import MenuProfit, evaluate_menu

SQRT2 = math.sqrt(2.0)


def spread(alpha: float) -> float:
    """Optimal 1D half-spread s = 1 / (2 (2 - alpha))."""
    return 1.0 / (2.0 * (2.0 - alpha))


def profit_1d(alpha: float) -> float:
    """Optimal 1D profit (1 - alpha)^2 / (4 (2 - alpha))."""
    return (1.0 - alpha) ** 2 / (4.0 * (2.0 - alpha))


def separate_menu(n: int, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Each good traded on its own at ask 1/2 + s, bid 1/2 - s: all 3^n - 1 trades."""
    s = spread(alpha)
    price = {-1: -(0.5 - s), 0: 0.0, 1: 0.5 + s}
    trades = [t for t in itertools.product((-1, 0, 1), repeat=n) if any(t)]
    return np.array(trades, dtype=np.float64), np.array([sum(price[v] for v in t) for t in trades])


def table2_menu(alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """The 8 trades of the paper's Table 2 (DESIGN §1.4), lam = 1 - alpha."""
    lam = 1.0 - alpha
    den = 4.0 * lam + 2.0
    one, sell1 = (3 * lam + 2) / den, -lam / den
    both, sellboth = (6 * lam - SQRT2 * lam + 4) / den, -(2 + SQRT2) * lam / den
    swap = (2 * lam - SQRT2 * lam + 2) / den
    items = [((1, 0), one), ((0, 1), one), ((-1, 0), sell1), ((0, -1), sell1),
             ((1, 1), both), ((-1, -1), sellboth), ((1, -1), swap), ((-1, 1), swap)]
    return np.array([a for a, _ in items], dtype=np.float64), np.array([p for _, p in items])


@pytest.mark.parametrize("alpha", [0.0, 0.25, 0.5])
def test_amm1d_spread_is_exact(alpha: float) -> None:
    s = spread(alpha)
    res = evaluate_menu(grids.make_setting("amm1d", alpha=alpha), np.array([[1.0], [-1.0]]),
                        np.array([0.5 + s, -(0.5 - s)]))
    assert isinstance(res, MenuProfit) and res.method == "exact" and res.stderr == 0.0
    # 1e-12: closed-form interval arithmetic, only float rounding (~1e-16) separates them
    assert res.value == pytest.approx(profit_1d(alpha), abs=1e-12)
    # each side is chosen on an interval of length 1/2 - s; no trade on the rest (2 s): masses sum to 1
    np.testing.assert_allclose(res.masses, [0.5 - s, 0.5 - s], atol=1e-12)
    assert res.masses.sum() + 2 * s == pytest.approx(1.0, abs=1e-12)


def test_amm2d_table2_at_alpha0_is_half_the_monopolist() -> None:
    a, p = table2_menu(0.0)
    res = evaluate_menu(grids.make_setting("amm2d", alpha=0.0), a, p)
    assert res.method == "exact"
    # 1e-10: polytope volumes and centroids from qhull vertices, exact up to float rounding (~1e-15)
    assert res.value == pytest.approx(2 / 9 + SQRT2 / 27, abs=1e-10)


def test_amm2d_table2_at_alpha_half_beats_separate_selling() -> None:
    a, p = table2_menu(0.5)
    res = evaluate_menu(grids.make_setting("amm2d", alpha=0.5), a, p)
    separate = 2 * profit_1d(0.5)
    # DESIGN §1.4: about 11% above separate selling at intermediate alpha (measured 0.0928564, +11.4%)
    assert res.value > 1.1 * separate


def test_masses_with_no_trade_sum_to_one() -> None:
    setting = grids.make_setting("amm2d", alpha=0.5)
    a, p = table2_menu(0.5)
    plain = evaluate_menu(setting, a, p)
    with_zero = evaluate_menu(setting, np.vstack([a, np.zeros((1, 2))]), np.r_[p, 0.0])
    # 1e-12: the regions tile the square; only float rounding of 9 polytope volumes remains
    assert with_zero.masses.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(with_zero.masses[:-1], plain.masses, atol=1e-12)
    assert with_zero.value == pytest.approx(plain.value, abs=1e-12)
    # the central octagon (no trade) and symmetry: the four single-good trades have equal mass
    assert 0.0 < with_zero.masses[-1] < 1.0
    np.testing.assert_allclose(plain.masses[:4], plain.masses[0], atol=1e-12)


def test_duplicate_items_do_not_change_the_value() -> None:
    setting = grids.make_setting("amm2d", alpha=0.25)
    a, p = table2_menu(0.25)
    base = evaluate_menu(setting, a, p)
    dup = evaluate_menu(setting, np.vstack([a, a, a + 1e-14]), np.r_[p, p, p + 1e-14])
    # 1e-12: merged copies differ by 1e-14, so profits differ by at most ~1e-13
    assert dup.value == pytest.approx(base.value, abs=1e-12)
    np.testing.assert_allclose(dup.masses[:8], base.masses, atol=1e-12)   # mass goes to the first copy
    assert np.all(dup.masses[8:] == 0.0)


def test_monopolist2d_manelli_vincent() -> None:
    a = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    p = np.array([2 / 3, 2 / 3, (4 - SQRT2) / 3])
    res = evaluate_menu(grids.make_setting("monopolist2d"), a, p)
    # 1e-10: exact polytope integration, float rounding only
    assert res.value == pytest.approx(4 / 9 + 2 * SQRT2 / 27, abs=1e-10)


@pytest.mark.parametrize("alpha", [0.0, 0.5])
def test_amm3d_separate_selling_is_three_times_1d(alpha: float) -> None:
    a, p = separate_menu(3, alpha)
    res = evaluate_menu(grids.make_setting("amm3d", alpha=alpha), a, p)
    # 1e-10: exact polytope integration in 3D, float rounding only
    assert res.value == pytest.approx(3 * profit_1d(alpha), abs=1e-10)


@pytest.mark.parametrize("n", [2, 3])
def test_exact_agrees_with_monte_carlo_on_random_menus(n: int) -> None:
    rng = np.random.default_rng(7)
    setting = grids.make_setting(f"amm{n}d", alpha=0.3)
    a = rng.uniform(-1, 1, (25, n))
    p = a @ setting.c + rng.uniform(0.0, 0.3, 25)
    exact = evaluate_menu(setting, a, p)
    x = rng.random((400_000, n))
    util = np.c_[x @ a.T - p, np.zeros(len(x))]
    k = util.argmax(axis=1)
    prof = np.r_[p, 0.0][k] - np.einsum("ij,ij->i", np.r_[a, np.zeros((1, n))][k],
                                        setting.c + setting.alpha * (x - setting.c))
    # 5 standard errors of plain Monte Carlo (false alarm ~6e-7)
    assert abs(exact.value - prof.mean()) < 5 * prof.std() / math.sqrt(len(x))


def test_qmc_beta_matches_quadrature() -> None:
    alpha = 0.5  # at alpha = 0 profit is a step function with dyadic CDF jumps: Sobol is exact, stderr 0
    setting = grids.make_setting("amm2d", alpha=alpha, dist="beta:2,2")
    a, p = separate_menu(2, alpha)
    res = evaluate_menu(setting, a, p, seed=3)
    s, f = spread(alpha), stats.beta(2, 2).pdf
    ask = integrate.quad(lambda x: f(x) * (0.5 + s - (0.5 + alpha * (x - 0.5))), 0.5 + s, 1.0, epsabs=1e-14)[0]
    bid = integrate.quad(lambda x: f(x) * (0.5 + alpha * (x - 0.5) - (0.5 - s)), 0.0, 0.5 - s, epsabs=1e-14)[0]
    assert res.method == "qmc"
    assert 0.0 < res.stderr < 1e-3
    # 4 randomized-QMC standard errors (16 replicates) plus 1e-6 for the quad error margin
    assert abs(res.value - 2 * (ask + bid)) < 4 * res.stderr + 1e-6


def test_empirical_uniform_sample(tmp_path) -> None:
    path = tmp_path / "types.npy"
    np.save(path, np.random.default_rng(11).random((20_000, 2)))
    a, p = table2_menu(0.5)
    emp = evaluate_menu(grids.make_setting("amm2d", alpha=0.5, dist=f"samples:{path}"), a, p)
    exact = evaluate_menu(grids.make_setting("amm2d", alpha=0.5), a, p)
    assert emp.method == "empirical" and emp.stderr > 0.0
    # 4 Monte Carlo standard errors of the sample mean w.r.t. the uniform population
    assert abs(emp.value - exact.value) < 4 * emp.stderr
    assert 0.0 < emp.masses.sum() < 1.0


def test_empirical_ties_favour_the_market_maker(tmp_path) -> None:
    path = tmp_path / "ties.npy"
    np.save(path, np.array([[0.75], [0.25]]))   # exactly at the ask and the bid for alpha = 0
    res = evaluate_menu(grids.make_setting("amm1d", dist=f"samples:{path}"),
                        np.array([[1.0], [-1.0]]), np.array([0.75, -0.25]))
    # both types are indifferent to no trade; the trade earns the market maker 1/4 (exact arithmetic)
    assert res.value == 0.25 and res.stderr == 0.0
    np.testing.assert_array_equal(res.masses, [0.5, 0.5])


def test_bad_menu_shapes_are_refused() -> None:
    with pytest.raises(grids.InvalidInput):
        evaluate_menu(grids.make_setting("amm2d"), np.zeros((3, 3)), np.zeros(3))
    with pytest.raises(grids.InvalidInput):
        evaluate_menu(grids.make_setting("amm2d"), np.zeros((3, 2)), np.array([0.0, np.nan, 0.0]))
