"""The lazy cut loop, the backends and the certificate, checked independently."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse
from scipy.optimize import linprog

from grids import make_grid, make_setting
from solvers import InaccurateSolutionWarning, SolverFailure, solve
from solvers.certificate import certify


def _rough_sample(tmp_path, n: int = 2, m: int = 400, seed: int = 0) -> str:
    path = tmp_path / "types.npy"
    np.save(path, np.random.default_rng(seed).random((m, n)))
    return f"samples:{path}"


def full_lp_value(setting, grid) -> float:
    """The gradient-form LP with all N^2 pair rows at once, built here from DESIGN §1.1."""
    N, n = grid.size, grid.n
    x, w, c = grid.points, grid.weights, setting.c
    d = (1 - setting.alpha) * (x - c)
    I, J = np.nonzero(~np.eye(N, dtype=bool))
    r = len(I)
    # row: u_i + <g_i, x_j - x_i> - u_j <= 0 ; columns [u (N), g (N*n)]
    rows = np.arange(r)
    A = sparse.coo_matrix(
        (np.concatenate([np.ones(r), -np.ones(r), (x[J] - x[I]).T.ravel()]),
         (np.concatenate([rows, rows, np.tile(rows, n)]),
          np.concatenate([I, J] + [N + I * n + a for a in range(n)]))),
        shape=(r, N * (n + 1)),
    ).tocsr()
    cost = -np.concatenate([-w, (w[:, None] * d).ravel()])  # linprog minimizes
    bounds = [(0, None)] * N + [(setting.market.lo, setting.market.hi)] * (N * n)
    bounds[grid.c_index] = (0, 0)
    res = linprog(cost, A_ub=A, b_ub=np.zeros(r), bounds=bounds, method="highs")
    assert res.status == 0
    return -res.fun


def test_lazy_rows_reach_the_all_pairs_optimum(tmp_path) -> None:
    dist = _rough_sample(tmp_path)
    setting = make_setting("amm2d", dist=dist, alpha=0.3)
    grid = make_grid(setting, 8)
    sol = solve(setting, grid)
    assert sol.status == "optimal"
    assert sol.stats.rounds > 1, "a rough histogram needs rows beyond the axis stencil"
    # Same LP, both solved to HiGHS's default tolerances (1e-7 feasibility): the
    # values agree to that order relative to the objective.
    assert sol.primal.value == pytest.approx(full_lp_value(setting, grid), abs=1e-7)


@pytest.mark.parametrize("name", ["amm1d", "monopolist2d"])
def test_axis_stencil_value_matches_all_pairs_for_smooth_law(name: str) -> None:
    setting = make_setting(name, **({"alpha": 0.25} if name == "amm1d" else {}))
    grid = make_grid(setting, 6)
    sol = solve(setting, grid)
    assert sol.primal.value == pytest.approx(full_lp_value(setting, grid), abs=1e-7)  # as above


def test_scs_backend_agrees_with_highs() -> None:
    highs = solve("amm2d", 8, alpha=0.25)
    scs = solve("amm2d", 8, alpha=0.25, solver="scs")
    assert scs.status in ("optimal", "inaccurate")
    # SCS runs with eps 1e-9 on an LP whose objective is O(1) after scaling; its
    # certified gap is recomputed, and the values agree to the relative gap tolerance 1e-7.
    assert abs(scs.primal.value - highs.primal.value) <= 1e-7
    assert abs(scs.dual.value - highs.dual.value) <= 1e-7


def test_loose_solver_is_reported_inaccurate() -> None:
    with pytest.warns(InaccurateSolutionWarning):
        sol = solve("amm2d", 8, alpha=0.25, solver="scs", feasibility_tol=1e-2)
    assert sol.status == "inaccurate"
    # "inaccurate" means a threshold of "optimal" is missed: the relative gap tolerance 1e-7
    # (GAP_TOL; |P| < 1 here) or the pair tolerance 1e-9 (PAIR_TOL)
    assert abs(sol.gap) > 1e-7 or sol.certificate.max_pair_violation > 1e-9


def test_time_limit_is_a_status_not_a_number() -> None:
    with pytest.raises(SolverFailure) as info:
        solve("amm2d", 48, time_limit=1e-6)
    assert info.value.status == "time_limit"


def test_certificate_is_recomputed_not_copied() -> None:
    sol = solve("amm2d", 12, alpha=0.5)
    s, g = sol.setting, sol.grid
    halved = certify(s, g, sol.primal.u, sol.primal.g, sol.dual.y * 0.5, 0.0)
    # Halving y breaks the flow constraints and moves the dual objective: the bound
    # reacts (it is never below the primal: weak duality) and the gap opens.
    assert halved.dual_bound >= sol.primal.value - 1e-12
    assert abs(halved.gap) > 1e-4
    u = sol.primal.u.copy()
    u[np.argmax(u)] += 0.1  # break convexity at the top
    worse = certify(s, g, u, sol.primal.g, sol.dual.y, 0.0)
    assert worse.primal_value < sol.primal.value - 1e-5  # u enters the objective with weight -w


def test_dual_certificate_bounds_every_feasible_mechanism() -> None:
    # Weak duality: D(y) >= value of any feasible (u, g); try the separate-selling one.
    sol = solve("amm2d", 16)
    x, c = sol.grid.points, sol.setting.c
    u = np.maximum(np.abs(x - c) - 0.25, 0).sum(axis=1)
    g = np.where(x - c > 0.25, 1.0, np.where(x - c < -0.25, -1.0, 0.0))
    from solvers.certificate import primal_value

    assert sol.dual.bound >= primal_value(sol.setting, sol.grid, u, g) - 1e-12  # float round-off


@pytest.mark.parametrize("name,kw", [
    ("amm2d", {"alpha": 0.3}), ("amm2d", {"dist": "beta:2,5", "belief": "0.25,0.5"}),
    ("monopolist2d", {}), ("amm3d", {"dist": "truncnorm:0.4,0.3"}), ("amm1d", {"alpha": 0.7}),
])
def test_axis_reduction_is_exact(name: str, kw: dict) -> None:
    k = 8 if name == "amm3d" else 16
    reduced = solve(name, k, reduce_axis=True, fold=False, **kw)
    plain = solve(name, k, reduce_axis=False, fold=False, **kw)
    assert reduced.status == plain.status == "optimal"
    # Both are optima of the same LP solved by dual simplex at feasibility
    # tolerance 1e-10 on the scaled problem: equal to ~1e-12 in value.
    assert reduced.primal.value == pytest.approx(plain.primal.value, abs=1e-10)
    assert reduced.dual.value == pytest.approx(plain.dual.value, abs=1e-10)
    # The mapped basis is optimal for the full LP: the first full solve needs
    # (almost) no simplex iterations; cut rounds after it may add some.
    assert reduced.stats.history[0].iterations <= 5


def test_axis_reduction_with_cut_rounds(tmp_path) -> None:
    dist = _rough_sample(tmp_path, seed=3)
    reduced = solve("amm2d", 12, dist=dist, reduce_axis=True)
    plain = solve("amm2d", 12, dist=dist, reduce_axis=False)
    assert reduced.stats.rounds > 1
    assert reduced.primal.value == pytest.approx(plain.primal.value, abs=1e-10)  # as above


def _brute_force_violations(u, g, x):
    """viol[i, j] = u_i + <g_i, x_j - x_i> - u_j for all ordered pairs."""
    return u[:, None] + g @ x.T - np.einsum("ij,ij->i", g, x)[:, None] - u[None, :]


@pytest.mark.parametrize("noise", [0.0, 1e-13, 1e-3])
def test_grouped_pair_scan_finds_exactly_the_violated_targets(noise: float) -> None:
    from solvers.gradient.lp import most_violated_pairs

    rng = np.random.default_rng(11)
    x = rng.random((400, 2))
    # a max of 6 planes, perturbed: noise 1e-13 keeps planes grouped (round-off), 1e-3 breaks groups
    items = rng.uniform(-1, 1, (6, 2)), rng.uniform(-0.5, 0.5, 6)
    vals = x @ items[0].T - items[1]
    u = vals.max(axis=1) + rng.normal(0, 0.01, len(x)) * (rng.random(len(x)) < 0.2)
    g = items[0][vals.argmax(axis=1)] + rng.normal(0, noise, (len(x), 2))
    tol = 1e-9
    i, j, worst = most_violated_pairs(u, g, x, tol)
    full = _brute_force_violations(u, g, x)
    col_max = full.max(axis=0)
    np.testing.assert_array_equal(np.sort(j), np.flatnonzero(col_max > tol))
    np.testing.assert_allclose(full[i, j], col_max[j], rtol=0, atol=1e-12)  # the most violating plane (float ties)
    # worst is an upper bound, exact where targets were scanned in full (up to the 1e-12 round-off of
    # summing in another order); the group bound adds at most |g_i - g_r|_1 + |off_i - off_r|, a few
    # times the rounding quantum 1e-9
    exact = max(col_max.max(), 0.0)
    assert exact - 1e-12 <= worst <= exact + 1e-8
