"""A transport LP that fails (DESIGN §1.2): ``auto`` falls back to the u-only LP's multipliers.

The transport LP is made to fail on purpose: HiGHS's ``solve`` is patched to return a
failed :class:`~solvers.backends.BackendResult` for the LP solved with primal simplex and
no presolve, which is how :func:`solvers.measure.solve.transport_plan` solves the transport
LP (the u-only LP is solved with dual simplex). If that ever changed, the transport LP would
not fail and the asserts on ``transport_source`` below would catch it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grids import make_grid, make_setting
from solvers import solve
from solvers import status as st
from solvers.backends import BackendResult
from solvers.backends.highs import HighsBackend
from solvers.measure.solve import transport_source
from solvers.report import format_summary

ROOT = Path(__file__).resolve().parents[2]
OFF_CENTRE = {"belief": "0.25,0.375"}  # nothing folds: the full transport LP
FALLBACK = "multipliers (fallback: transport LP said solver_error: highs stopped on the transport dual: Solve error)"


def _is_transport_lp(backend: HighsBackend) -> bool:
    return backend.options.simplex == "primal" and not backend.options.presolve


def _fail_transport(monkeypatch: pytest.MonkeyPatch, status: str = st.SOLVER_ERROR,
                    message: str = "Solve error") -> None:
    """HiGHS answers ``status`` on the transport LP and solves every other LP as usual."""
    solve_highs = HighsBackend.solve

    def patched(self: HighsBackend) -> BackendResult:
        if _is_transport_lp(self):
            return BackendResult(status, message, None, None, None, 0)
        return solve_highs(self)

    monkeypatch.setattr(HighsBackend, "solve", patched)


@pytest.mark.parametrize("name,k,kw", [("amm2d", 16, OFF_CENTRE), ("amm2d", 8, {}), ("monopolist2d", 8, {})],
                         ids=["off-centre", "centre-folded", "monopolist"])
def test_auto_falls_back_to_the_multipliers_with_the_same_certificate(
        monkeypatch: pytest.MonkeyPatch, name: str, k: int, kw: dict) -> None:
    normal = solve(name, k, form="measure", **kw)
    assert normal.dual.source == "lp"
    _fail_transport(monkeypatch)
    fallen = solve(name, k, form="measure", **kw)
    assert fallen.status == normal.status == st.OPTIMAL
    assert fallen.dual.source == FALLBACK
    # The same u-only LP solved by the same deterministic simplex: the same primal value.
    assert fallen.primal.value == normal.primal.value
    # Two optima of the same LP dual (the transport LP's own and the u-only LP's multipliers),
    # each from simplex at feasibility tolerance 1e-10 on masses scaled by N: ~1e-12 apart, so
    # values and certified gaps agree to 1e-10 (as in test_transport_plan_from_multipliers).
    assert fallen.dual.value == pytest.approx(normal.dual.value, abs=1e-10)
    assert fallen.certificate.dual_bound == pytest.approx(normal.certificate.dual_bound, abs=1e-10)
    assert fallen.gap == pytest.approx(normal.gap, abs=1e-10)
    assert fallen.gap <= fallen.tolerances["gap"]
    summary = fallen.summary()
    assert summary["transport_source"] == FALLBACK
    assert json.loads(json.dumps(summary))["transport_source"] == FALLBACK
    text = format_summary(summary)
    assert "read from the u-only LP's multipliers (fallback: transport LP said solver_error" in text
    assert "its own LP" in format_summary(normal.summary())


@pytest.mark.parametrize("status", [st.TIME_LIMIT, st.INFEASIBLE, st.UNBOUNDED])
def test_auto_falls_back_on_any_failed_status(monkeypatch: pytest.MonkeyPatch, status: str) -> None:
    _fail_transport(monkeypatch, status, "stopped")
    sol = solve("amm2d", 8, form="measure", **OFF_CENTRE)
    assert sol.status == st.OPTIMAL
    assert sol.dual.source.startswith(f"multipliers (fallback: transport LP said {status}: ")


def test_explicit_lp_fails_with_its_status_and_names_the_multipliers(monkeypatch: pytest.MonkeyPatch) -> None:
    _fail_transport(monkeypatch)
    with pytest.raises(st.SolverFailure, match="transport dual: Solve error") as err:
        solve("amm2d", 8, form="measure", transport="lp", **OFF_CENTRE)
    assert err.value.status == st.SOLVER_ERROR
    assert "transport='multipliers' (--transport multipliers)" in str(err.value)
    assert "same certificate" in str(err.value)


def test_a_failed_u_only_lp_stays_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    solve_highs = HighsBackend.solve

    def patched(self: HighsBackend) -> BackendResult:
        if not _is_transport_lp(self):
            return BackendResult(st.SOLVER_ERROR, "Solve error", None, None, None, 0)
        return solve_highs(self)

    monkeypatch.setattr(HighsBackend, "solve", patched)
    for transport in ("auto", "lp", "multipliers"):
        with pytest.raises(st.SolverFailure, match="measure-form primal: Solve error") as err:
            solve("amm2d", 8, form="measure", transport=transport, **OFF_CENTRE)
        assert err.value.status == st.SOLVER_ERROR


# The command line in a fresh interpreter with the transport LP failing (as _fail_transport).
SCRIPT = textwrap.dedent("""
    import sys
    from solvers.backends import BackendResult
    from solvers.backends.highs import HighsBackend

    solve_highs = HighsBackend.solve

    def patched(self):
        if self.options.simplex == "primal" and not self.options.presolve:
            return BackendResult("solver_error", "Solve error", None, None, None, 0)
        return solve_highs(self)

    HighsBackend.solve = patched
    from solvers.cli.main import main
    sys.exit(main(sys.argv[1:]))
""")
ARGS = ["--setting", "amm2d", "--belief", "0.25,0.375", "--grid", "8", "--form", "measure"]


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", SCRIPT, *args], cwd=cwd, capture_output=True, text=True,
                          check=False, timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def test_cli_reports_the_fallback(tmp_path: Path) -> None:
    out = _run(*ARGS, "--json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    obj = json.loads(out.stdout)
    assert obj["status"] == st.OPTIMAL
    assert obj["transport_source"] == FALLBACK
    assert "transport dual LP failed" in out.stderr  # the warning goes to stderr, stdout stays one document
    text = _run(*ARGS, cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    assert "multipliers (fallback: transport LP said solver_error" in text.stdout
    forced = _run(*ARGS, "--transport", "lp", "--json", cwd=tmp_path)
    assert forced.returncode == 1
    failure = json.loads(forced.stdout)  # --json: the failure is the one document, with its status
    assert failure["status"] == st.SOLVER_ERROR and "--transport multipliers" in failure["message"]


def test_auto_solves_the_transport_lp_up_to_k_64_in_2d() -> None:
    """The threshold's measurement (solvers/measure/solve.py): its own LP up to k = 64 (< 1 s), multipliers beyond."""
    setting = make_setting("amm2d", belief="0.25,0.375")
    assert transport_source("auto", make_grid(setting, 64)) == "lp"
    assert transport_source("auto", make_grid(setting, 72)) == "multipliers"  # the next k with c on the grid
    assert transport_source("lp", make_grid(setting, 256)) == "lp"
