"""Kernel densities of samples (``kde:BANDWIDTH:PATH``, grids.kernel_density): weights, draws, input, solves."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from grids import InvalidInput, KernelDensity, make_grid, make_setting
from solvers import solve


@pytest.fixture
def trades(tmp_path) -> str:
    """2,000 correlated trades in the unit square (seed 1), saved as .npy."""
    rng = np.random.default_rng(1)
    x = rng.multivariate_normal([0.45, 0.4], [[0.04, 0.02], [0.02, 0.03]], size=4000)
    x = x[np.all((x >= 0) & (x <= 1), axis=1)][:2000]
    path = tmp_path / "trades.npy"
    np.save(path, x)
    return str(path)


def _law(spec: str, **kw) -> KernelDensity:
    return make_setting("amm2d", dist=spec, **kw).dist


def test_one_type_gives_the_product_of_truncated_normal_cell_masses(tmp_path) -> None:
    np.save(tmp_path / "one.npy", np.array([[0.3, 0.8]]))
    s = make_setting("amm2d", dist=f"kde:0.1:{tmp_path / 'one.npy'}")
    g = make_grid(s, 8)
    w = g.weights.reshape(g.shape)
    # independent: scipy's truncated normal on [0, 1] around each coordinate, CDF differences per cell
    edges = [np.concatenate([[0.0], (np.arange(8) + 0.5) / 8, [1.0]])] * 2  # 'cell' quadrature: midpoints
    marg = [np.diff(stats.truncnorm.cdf(e, -m / 0.1, (1 - m) / 0.1, loc=m, scale=0.1)) for e, m in zip(edges, (0.3, 0.8))]
    np.testing.assert_allclose(w, np.outer(*marg), rtol=0, atol=1e-14)  # round-off of CDF differences


def test_weights_sum_to_one_and_a_tiny_bandwidth_gives_the_histogram(trades) -> None:
    k = 16
    raw = make_grid(make_setting("amm2d", dist=f"samples:{trades}"), k).weights
    for h, tol in ((0.05, 1e-12), (1e-7, 1e-12)):  # tol: round-off of 2,000 summed kernels
        w = make_grid(make_setting("amm2d", dist=f"kde:{h}:{trades}"), k).weights
        assert abs(w.sum() - 1.0) < tol
    # h = 1e-7: a type sits farther than 40 h from every cell face with probability ~1 (the
    # file's floats are not on the grid's half-steps), so each kernel's mass is its cell's to 1e-300
    np.testing.assert_allclose(w, raw, rtol=0, atol=1e-12)
    assert np.abs(make_grid(make_setting("amm2d", dist=f"kde:0.05:{trades}"), k).weights - raw).max() > 1e-3


def test_scott_rule_is_scipys_factor_times_each_axis_sd(trades) -> None:
    law = _law(f"kde:scott:{trades}")
    pts = np.load(trades)
    factor = stats.gaussian_kde(pts.T).scotts_factor()  # m^(-1/(n+4))
    np.testing.assert_allclose(law.bandwidth, pts.std(axis=0, ddof=1) * factor, rtol=1e-12)
    assert law.spec == f"kde:scott:{trades}" and "scott" in law.weights_rule


def test_bandwidth_is_in_the_type_box_units(tmp_path) -> None:
    np.save(tmp_path / "t.npy", np.array([[4.5, 5.0], [10.0, 6.0]]))
    law = make_setting("amm2d", types="4:16,4:7", dist=f"kde:0.6:{tmp_path / 't.npy'}").dist
    np.testing.assert_allclose(law.bandwidth, (0.6 / 12, 0.6 / 3), rtol=1e-15)


def test_draws_follow_the_cell_masses(trades) -> None:
    s = make_setting("amm2d", dist=f"kde:0.05:{trades}")
    g = make_grid(s, 4)
    x = s.dist.sample(np.random.default_rng(2), 200_000, 2)
    assert x.shape == (200_000, 2) and np.all((x >= 0) & (x <= 1))
    cells = np.floor(x * 4 + 0.5).clip(0, 4).astype(int)  # 'cell' quadrature: the nearest grid point's cell
    freq = np.bincount(np.ravel_multi_index(cells.T, g.shape), minlength=g.size) / len(x)
    sd = np.sqrt(g.weights * (1 - g.weights) / len(x))
    assert np.all(np.abs(freq - g.weights) <= 5 * sd + 1e-12)  # 5 binomial standard errors per cell


@pytest.mark.parametrize("spec,fragment", [
    ("kde:abc:{p}", "positive number or 'scott'"),
    ("kde:-0.1:{p}", "positive finite"),
    ("kde:inf:{p}", "positive finite"),
    ("kde:{p}", "kde:BANDWIDTH:PATH"),
    ("kde:0.1:", "kde:BANDWIDTH:PATH"),
    ("kde:0.1:/no/such/file.npy", "does not exist"),
    ("kde:wide:/no/such/file.npy", "positive number or 'scott'"),  # the bandwidth is checked first
])
def test_bad_kde_specs_are_refused_in_one_line(trades, spec: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as info:
        make_setting("amm2d", dist=spec.format(p=trades))
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_a_kde_solves_certified_in_both_forms_and_its_menu_profit_is_seeded(trades) -> None:
    spec = f"kde:0.05:{trades}"
    m = solve("amm2d", 24, dist=spec, form="measure")
    g = solve("amm2d", 24, dist=spec, form="gradient")
    for sol in (m, g):
        assert sol.status == "optimal" and abs(sol.gap) < 1e-7  # the project's gap tolerance
    # the two forms discretize the same law: their values differ by O(h) (about 0.4 h, README), h = 1/24
    assert abs(m.primal.value - g.primal.value) < 0.5 / 24
    a, b = m.menu_profit(seed=3), m.menu_profit(seed=3)
    assert a.method == "monte-carlo" and a.value == b.value and 0 < a.stderr < 1e-3
