"""Solving and certifying with laws that are not products: the triangle, formula densities, correlated samples.

The triangle monopolist's reference is the literature's optimum (RochetNet's
``additive_1x2_uniform_triangle``, Dütting et al.): the grand bundle at price
p = sqrt(1/3), revenue p P(x1 + x2 >= p) = p (1 - p^2) under the uniform law
on {x >= 0, x1 + x2 <= 1} (P(x1 + x2 <= s) = s^2), computed here in closed form.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from grids import make_grid, make_setting
from solvers import solve
from solvers.menu_profit import evaluate_menu
from solvers.report import format_summary
from solvers.symmetry import GridSymmetry

P_TRIANGLE = math.sqrt(1 / 3)
R_TRIANGLE = P_TRIANGLE * (1 - P_TRIANGLE**2)      # 2 / (3 sqrt 3) = 0.3849
GAP_TOL = 1e-7                                     # solvers.api.GAP_TOL (relative, primal ~ 0.4)
FIRST_ORDER = 0.4  # k (LP - R): measured 0.328, 0.338, 0.337, 0.334, 0.334 at k = 16, 32, 48, 64, 96


@pytest.fixture(scope="module")
def triangle_solutions():
    return {k: solve("monopolist2d", k, dist="triangle") for k in (32, 64)}


def test_triangle_monopolist_lp_converges_at_first_order_to_the_bundle_revenue(triangle_solutions) -> None:
    for k, sol in triangle_solutions.items():
        assert sol.status == "optimal" and abs(sol.certificate.gap) <= GAP_TOL
        err = sol.certificate.primal_value - R_TRIANGLE
        assert 0 < err < FIRST_ORDER / k            # the grid relaxes convexity: O(h) from above (measured 0.334/k)
    p32, p64 = (triangle_solutions[k].certificate.primal_value for k in (32, 64))
    # Richardson 2 P(64) - P(32) cancels the O(h) term: measured 1.1e-4 from R; the O(h^2) rest is below 4 (0.4/64)^2
    assert abs(2 * p64 - p32 - R_TRIANGLE) < 4 * (FIRST_ORDER / 64) ** 2 + 1e-4


def test_triangle_menu_is_the_bundle_near_sqrt_one_third(triangle_solutions) -> None:
    sol = triangle_solutions[64]
    menu = sol.menu()
    bundle = [it for it in menu.items if np.allclose(it.allocation, (1.0, 1.0))]
    assert len(bundle) == 1
    # the grid prices bundle at a lattice kink: within one cell h = 1/64 of sqrt(1/3) (measured 0.5781 vs 0.5774)
    assert abs(bundle[0].price - P_TRIANGLE) < 1 / 64
    assert bundle[0].mass > 0.6                     # exact: P(x1 + x2 >= p) = 2/3; the grid items take ~0.014 more
    mp = sol.menu_profit()
    assert mp.method == "exact" and mp.stderr == 0.0
    # a feasible menu's exact revenue is below the optimum; measured 1.4e-4 below at k = 64 (9.6e-4 at k = 32)
    assert mp.value <= R_TRIANGLE + 1e-12
    assert R_TRIANGLE - mp.value < 1e-3


@pytest.mark.parametrize("price", [0.2, P_TRIANGLE, 0.9])
def test_triangle_menu_profit_is_exact_for_a_bundle(price: float) -> None:
    s = make_setting("monopolist2d", dist="triangle")
    mp = evaluate_menu(s, np.array([[1.0, 1.0]]), np.array([price]))
    assert mp.method == "exact"
    assert abs(mp.value - price * (1 - price**2)) < 1e-14          # qhull volumes: round-off
    assert abs(mp.masses[0] - (1 - price**2)) < 1e-14


def test_triangle_menu_profit_matches_a_monte_carlo_estimate() -> None:
    """A three-item menu with alpha > 0 on amm2d: exact (clipped regions) vs the mean over 2^17 triangle samples."""
    s = make_setting("amm2d", alpha=0.3, belief="0.25,0.25", dist="triangle")
    a = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, -1.0]])
    p = np.array([0.45, 0.4, 0.75, -0.3])
    exact = evaluate_menu(s, a, p)
    x = s.dist.sample(np.random.default_rng(11), 2**17, 2)
    util = x @ a.T - p
    best = np.where(util.max(axis=1) > 0, util.argmax(axis=1), -1)
    phi = s.c + s.alpha * (x - s.c)
    prof = np.where(best >= 0, p[best] - np.sum(a[best] * phi, axis=1), 0.0)
    se = prof.std() / np.sqrt(len(prof))
    assert exact.method == "exact" and abs(exact.value - prof.mean()) < 4 * se   # 4 MC standard errors


def test_folding_keeps_the_triangle_swap_and_the_optimum() -> None:
    """The triangle is symmetric under x1 <-> x2 only; folding by it gives the unfolded optimum."""
    s = make_setting("monopolist2d", dist="triangle")
    assert GridSymmetry.detect(s, make_grid(s, 16)).order == 2
    folded, unfolded = solve(s, 16, fold=True), solve(s, 16, fold=False)
    assert abs(folded.certificate.primal_value - unfolded.certificate.primal_value) < GAP_TOL


@pytest.mark.parametrize("dist,order", [("density:1+x1*x2", 2), ("density:1+x1", 2), ("density:1+x1+2*x2", 1),
                                        ("density:1+(x1-0.5)**2*(x2-0.5)**2", 8)])
def test_folding_follows_the_symmetry_of_a_formula_density(dist: str, order: int) -> None:
    """amm2d, c = 1/2: the group of signed swaps about c that keep f. 1 + x1 keeps x2 -> 1 - x2 only."""
    s = make_setting("amm2d", dist=dist)
    assert GridSymmetry.detect(s, make_grid(s, 8)).order == order


def test_a_formula_density_solves_and_certifies() -> None:
    sol = solve("amm2d", 32, dist="density:exp(-(x1-0.5)**2-(x2-0.3)**2)")
    assert sol.status == "optimal" and abs(sol.certificate.gap) <= GAP_TOL * max(1, sol.certificate.primal_value)
    mp = sol.menu_profit()
    assert mp.method == "qmc-weighted" and 0 < mp.stderr < 1e-4
    # the extracted menu's continuous profit lies O(h) below the grid LP (measured 0.2592 vs 0.2718 at k = 32)
    assert 0 < sol.certificate.primal_value - mp.value < 2 / 32
    text = format_summary(sol.summary())
    assert "Gauss-Legendre 4 points per axis and cell (exact for degree <= 7 per axis)" in text


def test_a_product_formula_solves_as_its_product_law() -> None:
    """density:x1*x2 and beta:2,1 give the same weights (GL exact), so the same LP and optimum."""
    a, b = solve("monopolist2d", 16, dist="density:x1*x2"), solve("monopolist2d", 16, dist="beta:2,1")
    assert abs(a.certificate.primal_value - b.certificate.primal_value) < GAP_TOL   # solver tolerance
    ma, mb = a.menu_profit(), b.menu_profit()
    assert (ma.method, mb.method) == ("qmc-weighted", "qmc")
    assert abs(ma.value - mb.value) < 4 * math.hypot(ma.stderr, mb.stderr)      # 4 combined standard errors


def test_correlated_samples_solve_and_their_weights_keep_the_correlation(tmp_path) -> None:
    """Gaussian copula, rho = 0.8: x = Phi(z), z ~ N(0, [[1, .8], [.8, 1]]); Pearson corr(x1, x2) = 6/pi asin(rho/2)."""
    rng = np.random.default_rng(17)
    m, rho, k = 20_000, 0.8, 32
    x = stats.norm.cdf(rng.multivariate_normal([0.0, 0.0], [[1.0, rho], [rho, 1.0]], size=m))
    np.save(tmp_path / "copula.npy", x)
    sol = solve("amm2d", k, dist=f"samples:{tmp_path / 'copula.npy'}")
    assert sol.status == "optimal" and abs(sol.certificate.gap) <= GAP_TOL
    assert sol.menu_profit().method == "empirical"
    g = sol.grid
    mean = g.weights @ g.points
    cov = (g.points - mean).T @ ((g.points - mean) * g.weights[:, None])
    r_weights = cov[0, 1] / math.sqrt(cov[0, 0] * cov[1, 1])
    r_sample, r_law = np.corrcoef(x.T)[0, 1], 6 / math.pi * math.asin(rho / 2)
    se = (1 - r_sample**2) / math.sqrt(m)            # standard error of a sample correlation (0.0027)
    # the histogram moves each type to its grid point: rounding noise of variance <= h^2/12 against each
    # coordinate's 1/12 shrinks the correlation by a factor >= 1/(1 + h^2) (measured 4.5e-4 at k = 32)
    rounding = r_sample / k**2
    assert abs(r_weights - r_sample) < rounding + 1e-12
    assert abs(r_weights - r_law) < 3 * se + rounding


@pytest.mark.parametrize("price", [0.1, 0.25, 0.6])
def test_menu_profit_on_a_1d_polytope_is_exact(price: float) -> None:
    """monopolist1d, uniform on [0, 1/2] (uniform-polytope:1,0.5): price p earns p P(x >= p) = p max(1 - 2p, 0)."""
    s = make_setting("monopolist1d", dist="uniform-polytope:1,0.5")
    mp = evaluate_menu(s, np.array([[1.0]]), np.array([price]))
    assert mp.method == "exact" and abs(mp.value - price * max(1 - 2 * price, 0.0)) < 1e-15   # round-off


@pytest.mark.parametrize("dist,form,reason", [("density:1+x1*x2", "measure", "symmetry of order 2"),
                                               ("triangle", "gradient", "polytope law leaves cells empty")])
def test_auto_form_for_laws_that_are_not_products(dist: str, form: str, reason: str) -> None:
    """From k = 128 in 2D form='auto' takes the measure form (the histogram mu) for a formula density, as
    for a product density, and keeps a polytope law in the gradient form (solvers.form_rule)."""
    from solvers.form_rule import MEASURE_MIN_POINTS, choose_form

    s = make_setting("monopolist2d", dist=dist)
    small, large = make_grid(s, 64), make_grid(s, 128)
    assert small.size < MEASURE_MIN_POINTS[2] <= large.size
    assert choose_form(s, small).form == "gradient"
    choice = choose_form(s, large)
    assert choice.form == form and reason in choice.reason, choice.reason
