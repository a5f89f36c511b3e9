"""First-order backends (PDLP, cuPDLPx) and the repair of approximate primals."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from scipy import sparse

from grids import InvalidInput, make_grid, make_setting
from solvers import solve
from solvers import status as st
from solvers.api import GAP_TOL
from solvers.backends import BackendOptions, make_backend, require_backend
from solvers.certificate import primal_value
from solvers.gradient.lp import GradientLP
from solvers.gradient.repair import repair_primal


def _cupdlpx_installed() -> bool:
    """Whether a cupdlpx package is present at all (importable or not)."""
    return importlib.util.find_spec("cupdlpx") is not None


def _cupdlpx_importable() -> bool:
    """Whether it imports: the optional GPU backend's tests may skip without it (and only they)."""
    try:
        require_backend("cupdlpx")
    except InvalidInput:
        return False
    return True


def _tiny_lp(seed: int, m: int = 40, n: int = 12):
    """max c z s.t. l <= A z, -1 <= z <= 2: a random LP with a finite box, so its dual function is finite."""
    rng = np.random.default_rng(seed)
    a = sparse.random(m, n, density=0.4, random_state=rng, format="csr")
    a.data = rng.standard_normal(a.nnz)
    return rng.standard_normal(n), -np.ones(n), 2.0 * np.ones(n), a, -rng.random(m)


def _dual_function(cost, lower, upper, a, row_lower, y) -> float:
    """max over the box of L = cost @ z + y @ (A z - l): an upper bound on the LP for every y >= 0."""
    r = cost + a.T @ y
    return float(np.maximum(r * lower, r * upper).sum() - y @ row_lower)


def _max_pair_violation(u: np.ndarray, g: np.ndarray, x: np.ndarray) -> float:
    """max over all N^2 ordered pairs of u_i + <g_i, x_j - x_i> - u_j, by brute force."""
    gap = u[:, None] + np.einsum("id,ijd->ij", g, x[None, :, :] - x[:, None, :]) - u[None, :]
    return float(gap.max())


# --- repair -----------------------------------------------------------------


def test_repair_keeps_an_exact_solution():
    sol = solve("amm2d", 16)
    rep = repair_primal(sol.setting, sol.grid, sol.primal.u, sol.primal.g)
    # HiGHS meets the pair rows to its 1e-10 feasibility tolerance and this optimum's slopes are
    # 0 and +-1, which the 1e-9 rounding quantum keeps, so the envelope moves u by about 1e-10
    assert rep.max_change < 1e-9
    assert abs(primal_value(sol.setting, sol.grid, rep.u, rep.g) - sol.primal.value) < 1e-9


@pytest.mark.parametrize("name, slacks", [
    ("amm2d", None), ("amm2d", (1e-6,)), ("monopolist2d", (1e-6,)),
])
def test_repair_of_a_perturbed_solution_is_feasible(name, slacks):
    sol = solve(name, 8)
    s, g = sol.setting, sol.grid
    rng = np.random.default_rng(7)
    u = sol.primal.u + 1e-3 * rng.standard_normal(g.size)
    grad = sol.primal.g + 1e-3 * rng.standard_normal(sol.primal.g.shape)
    assert _max_pair_violation(u, grad, g.points) > 1e-4  # the input really is infeasible
    rep = repair_primal(s, g, u, grad) if slacks is None else repair_primal(s, g, u, grad, slacks=slacks)
    # exact in real arithmetic; float rounding of values of order one leaves ~1e-16
    assert _max_pair_violation(rep.u, rep.g, g.points) <= 1e-12
    assert np.all(rep.u >= 0.0) and rep.u[g.c_index] == 0.0
    assert np.all(rep.g >= s.market.lo) and np.all(rep.g <= s.market.hi)
    # a feasible point cannot beat the optimum; 1e-9 covers HiGHS's 1e-10 tolerances on the optimum
    assert primal_value(s, g, rep.u, rep.g) <= sol.primal.value + 1e-9
    assert rep.max_change == float(np.max(np.abs(rep.u - u)))


def test_repair_of_a_pdlp_solution_is_certified_and_close():
    s = make_setting("amm2d")
    g = make_grid(s, 8)
    lp = GradientLP.build(s, g)
    backend = make_backend("pdlp", BackendOptions(feasibility_tol=1e-6))
    backend.load(lp.cost, lp.col_lower, lp.col_upper, lp.pair_rows(*lp.stencil_pairs()))
    res = backend.solve()
    assert res.status in st.SOLVED
    rep = repair_primal(s, g, *lp.unpack(res.z))
    exact = solve("amm2d", 8).primal.value
    value = primal_value(s, g, rep.u, rep.g)
    assert _max_pair_violation(rep.u, rep.g, g.points) <= 1e-12  # float rounding, as above
    assert value <= exact + 1e-9  # HiGHS's 1e-10 tolerances on the optimum
    # PDLP at relative tolerance 1e-6 moves u by ~1e-6; measured loss 3e-7 at k = 16
    assert value >= exact - 1e-5


# --- PDLP backend -----------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pdlp_agrees_with_highs_and_its_duals_bound_the_lp(seed):
    cost, lower, upper, a, row_lower = _tiny_lp(seed)
    exact = make_backend("highs", BackendOptions())
    exact.load(cost, lower, upper, a, row_lower=row_lower)
    ref = exact.solve()
    pdlp = make_backend("pdlp", BackendOptions())
    assert pdlp.name == "pdlp" and pdlp.first_order and not pdlp.supports_basis
    pdlp.load(cost, lower, upper, a, row_lower=row_lower)
    res = pdlp.solve()
    assert res.status == st.OPTIMAL
    # PDLP stops at relative residuals 1e-8 (2-norms over 1 + ||l||, 1 + ||cost||, both ~5 here);
    # through |z| <= 2 on 12 columns that moves the objective by < 1e-7 (measured 7e-8)
    tol = 1e-6 * (1.0 + abs(ref.objective))
    assert res.objective == pytest.approx(ref.objective, abs=tol)
    assert float(cost @ res.z) == pytest.approx(ref.objective, abs=tol)
    # the sign convention of the base interface: y >= 0 and max_z L(z, y) is the optimum
    for r in (ref, res):
        assert np.all(r.row_dual >= 0.0)
        assert _dual_function(cost, lower, upper, a, row_lower, r.row_dual) == pytest.approx(ref.objective, abs=tol)


def test_pdlp_added_rows_and_warm_start():
    cost, lower, upper, a, row_lower = _tiny_lp(3)
    row_lower[30:] = 0.0  # add_rows appends rows A z >= 0
    exact = make_backend("highs", BackendOptions())
    exact.load(cost, lower, upper, a, row_lower=row_lower)
    ref = exact.solve()
    pdlp = make_backend("pdlp", BackendOptions())
    pdlp.load(cost, lower, upper, a[:30], row_lower=row_lower[:30])
    pdlp.solve()
    pdlp.add_rows(a[30:])
    res = pdlp.solve()  # starts from the previous answer, 0 on the new rows
    tol = 1e-6 * (1.0 + abs(ref.objective))  # as in the test above
    assert res.objective == pytest.approx(ref.objective, abs=tol)
    assert len(res.row_dual) == a.shape[0]
    cold = make_backend("pdlp", BackendOptions())
    cold.load(cost, lower, upper, a, row_lower=row_lower)
    cold_iterations = cold.solve().iterations
    cold.set_start(ref.z, ref.row_dual)
    warm = cold.solve()
    assert warm.objective == pytest.approx(ref.objective, abs=tol)
    assert warm.iterations < cold_iterations  # an optimal start stops at PDLP's first check


def test_first_order_flags():
    assert make_backend("scs", BackendOptions()).first_order
    assert not getattr(make_backend("highs", BackendOptions()), "first_order", False)


# --- cuPDLPx backend --------------------------------------------------------


NEEDS = r"solver 'cupdlpx' needs the cupdlpx package and an NVIDIA GPU with CUDA 12\.4\+; "


@pytest.mark.skipif(_cupdlpx_installed(), reason="a cupdlpx package is installed here")
def test_cupdlpx_refused_cleanly_without_the_package():
    message = NEEDS + r"it is not installed here \(pip install cupdlpx\)$"
    with pytest.raises(InvalidInput, match=message):
        require_backend("cupdlpx")  # the cheap check for input validation
    with pytest.raises(InvalidInput, match=message):
        make_backend("cupdlpx", BackendOptions())


@pytest.mark.parametrize("error", [
    OSError("libcudart.so.12: cannot open shared object file: No such file or directory"),  # CUDA runtime
    ImportError("libcuda.so.1: cannot open shared object file"),   # its extension module fails to load
    ModuleNotFoundError("No module named 'cupdlpx._core'", name="cupdlpx._core"),  # a piece is missing
    RuntimeError("CUDA driver version is insufficient for CUDA runtime version"),
])
def test_cupdlpx_broken_install_is_reported_as_broken_not_missing(monkeypatch, error):
    import solvers.backends.cupdlpx as adapter

    def broken_import():
        raise error

    monkeypatch.setattr(adapter, "import_cupdlpx", broken_import)
    message = NEEDS + r"it is installed but broken here, its import fails with " + type(error).__name__ + ": "
    for check in (lambda: require_backend("cupdlpx"), lambda: make_backend("cupdlpx", BackendOptions())):
        with pytest.raises(InvalidInput, match=message) as info:
            check()
        assert str(error) in str(info.value) and "not installed" not in str(info.value)
        assert info.value.__cause__ is error   # the original error stays attached for a traceback


def test_cupdlpx_missing_package_is_reported_as_missing(monkeypatch):
    import solvers.backends.cupdlpx as adapter

    def missing_import():
        raise ModuleNotFoundError("No module named 'cupdlpx'", name="cupdlpx")

    monkeypatch.setattr(adapter, "import_cupdlpx", missing_import)
    with pytest.raises(InvalidInput, match=NEEDS + r"it is not installed here \(pip install cupdlpx\)$"):
        require_backend("cupdlpx")


def test_cupdlpx_status_names_and_dual_signs_across_versions():
    from types import SimpleNamespace

    from solvers.backends.cupdlpx import oriented_duals, status_name

    pdlp = SimpleNamespace(OPTIMAL=0, PRIMAL_INFEASIBLE=1, TIME_LIMIT=3)  # 0.3.0's constants
    assert status_name(SimpleNamespace(Status=3), pdlp) == "TIME_LIMIT"
    assert status_name(SimpleNamespace(Status="OPTIMAL", StatusCode=1), pdlp) == "OPTIMAL"
    assert status_name(SimpleNamespace(Status=0, StatusName="optimal"), pdlp) == "OPTIMAL"
    assert status_name(SimpleNamespace(Status=42), pdlp).startswith("UNKNOWN")
    y = np.array([0.0, 2.0, 1e-9, 3.0])
    assert np.array_equal(oriented_duals(y), y)
    assert np.array_equal(oriented_duals(-y), y)
    assert np.array_equal(oriented_duals(np.array([-1e-12, 1.0])), np.array([0.0, 1.0]))


@pytest.mark.gpu
@pytest.mark.skipif(not _cupdlpx_importable(), reason="needs cupdlpx and CUDA (optional backend)")
def test_cupdlpx_agrees_with_highs():
    cost, lower, upper, a, row_lower = _tiny_lp(0)
    exact = make_backend("highs", BackendOptions())
    exact.load(cost, lower, upper, a, row_lower=row_lower)
    ref = exact.solve()
    gpu = make_backend("cupdlpx", BackendOptions())
    gpu.load(cost, lower, upper, a, row_lower=row_lower)
    res = gpu.solve()
    assert res.status == st.OPTIMAL
    tol = 1e-6 * (1.0 + abs(ref.objective))  # relative tolerance 1e-8 as for PDLP above
    assert res.objective == pytest.approx(ref.objective, abs=tol)
    assert np.all(res.row_dual >= 0.0)
    assert _dual_function(cost, lower, upper, a, row_lower, res.row_dual) == pytest.approx(ref.objective, abs=tol)


@pytest.mark.parametrize("form", ["gradient", "measure"])
def test_pdlp_solve_certifies_its_own_gap(form: str) -> None:
    """solve(..., solver="pdlp"): the repaired primal is a true lower bound, the dual bound a true upper one."""
    exact = solve("amm2d", 16, form=form, alpha=0.2)
    approx = solve("amm2d", 16, form=form, alpha=0.2, solver="pdlp")
    # PDLP stops at relative tolerance 1e-8 (FIRST_ORDER_MIN_TOL), 10x tighter than the relative gap
    # tolerance 1e-7 that "optimal" requires, and the repair costs about that tolerance: the certified
    # gap (dual bound - repaired primal) fits, so the status must be "optimal", not "inaccurate".
    assert approx.status == "optimal"
    # The repaired u keeps every row up to float round-off of the envelope (1e-12), so its value cannot exceed
    # the simplex optimum (itself exact to its feasibility tolerance 1e-10 on the scaled LP), and the
    # certified bound cannot fall below it.
    assert approx.certificate.max_pair_violation <= 1e-12
    assert approx.primal.value <= exact.primal.value + 1e-10
    assert approx.dual.bound >= exact.primal.value - 1e-10
    # What "optimal" certifies: bound - primal <= gap_tol max(1, |P|) = 1e-7 here (P ~ 0.2), recomputed from
    # the returned arrays. Measured: 7.9e-9 (gradient form), 1.8e-9 (measure form).
    assert approx.dual.bound - approx.primal.value <= GAP_TOL * max(1.0, abs(approx.primal.value))
    assert abs(approx.gap) <= GAP_TOL * max(1.0, abs(approx.primal.value))


def test_cli_refuses_an_unusable_solver(capsys) -> None:
    from solvers.cli.main import main

    if importlib.util.find_spec("cupdlpx") is not None:
        pytest.skip("cupdlpx is importable here")
    assert main(["--setting", "amm2d", "--grid", "8", "--solver", "cupdlpx"]) == 2
    err = capsys.readouterr().err
    assert "cupdlpx" in err and "Traceback" not in err
