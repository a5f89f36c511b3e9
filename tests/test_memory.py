"""Memory refusal per form, backend and symmetry group (grids.memory.estimated_bytes, solvers.memory_check).

The machine's memory is patched to 8 GiB (solves may plan for 6 GiB of it), so
every answer here is the same on any machine. Nothing is solved: the solve
steps are replaced by a stub that records that the input check let them run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import grids.memory
import solvers.backends
import solvers.measure.solve
from grids import InvalidInput, make_grid, make_setting
from solvers import solve
from solvers.memory_check import FIRST_ORDER_SOLVERS, check_memory

REPO = Path(__file__).resolve().parents[1]
GIB = 2**30
# Every estimate must cover its measured peak (never under) and stay within a factor of
# it. HiGHS: the envelope sits at most 1.93x above a peak (measure form, 2D: with the
# convexity rows generated, same-size cases differ by law, monopolist2d k = 512 873 MiB
# against beta:2,5 1685 MiB; grids.memory's --fit table), times HEADROOM 1.25: 2.42, so 2.5.
# First-order: FIRST_ORDER_LP_FACTOR is the worst backend's (SCS); PDLP's measure form needs
# 0.69 of HiGHS's LP memory, so its estimate sits ~2.2x above its peak: 3x.
OVER_SIMPLEX, OVER_FIRST_ORDER = 2.5, 3.0


@pytest.fixture
def eight_gib(monkeypatch) -> None:
    monkeypatch.setattr(grids.memory, "available_bytes", lambda: 8 * GIB)


@pytest.fixture
def no_solve(monkeypatch) -> list[str]:
    """Replace both solve steps by a stub that records the form it was asked for."""
    calls: list[str] = []

    def stub(form: str):
        def record(*args, **kwargs):
            calls.append(form)
            return "not solved"
        return record

    monkeypatch.setattr(solvers.measure.solve, "solve_measure", stub("measure"))
    monkeypatch.setattr(sys.modules["solvers.api"], "solve_gradient", stub("gradient"))
    return calls


def test_readme_k1000_measure_form_passes_the_check_on_8_gib(eight_gib, no_solve) -> None:
    # README: `solve --setting amm2d --grid 1000 --form measure`, measured 2.1 GB peak.
    s = make_setting("amm2d")
    need = check_memory(s, make_grid(s, 1000), "measure", "highs", None)
    assert 2.0 * GIB < need < 6 * GIB  # covers the measured 2.1 GB, fits 3/4 of 8 GiB
    assert solve("amm2d", grid=1000, form="measure") == "not solved"
    assert no_solve == ["measure"]


@pytest.mark.parametrize("kwargs,fragment", [
    ({"belief": "0.25,0.375", "form": "gradient"}, "gradient form, solver highs, unfolded"),  # nothing folds
    ({"form": "measure", "fold": False}, "measure form, solver highs, unfolded"),
    ({"solver": "pdlp", "belief": "0.25,0.375", "form": "measure"}, "measure form, solver pdlp, unfolded"),
])
def test_solve_that_cannot_fit_8_gib_is_refused_before_any_work(eight_gib, no_solve, kwargs: dict,
                                                                  fragment: str) -> None:
    with pytest.raises(InvalidInput) as info:
        solve("amm2d", grid=1000, **kwargs)
    msg = str(info.value)
    assert fragment in msg and "GiB" in msg and "8.0 GiB" in msg and "\n" not in msg, msg
    assert "k <= " in msg  # names the largest grid size that fits
    assert no_solve == []


def test_grid_no_form_could_fit_is_refused_by_make_grid(eight_gib) -> None:
    with pytest.raises(InvalidInput, match=r"64,481,201 points.*in any form and solver"):
        make_grid(make_setting("amm3d"), 400)
    with pytest.raises(InvalidInput, match="in any form and solver"):
        solve("amm3d", grid=400)


def test_suggested_grid_size_fits_and_the_next_one_does_not(eight_gib) -> None:
    s = make_setting("amm2d", belief="0.25,0.375")
    with pytest.raises(InvalidInput) as info:
        check_memory(s, make_grid(s, 1000), "gradient", "highs", None)
    k = int(str(info.value).split("k <= ")[1].split()[0])
    limit = grids.memory.memory_limit()
    assert grids.memory.estimated_bytes(2, k) <= limit < grids.memory.estimated_bytes(2, k + 1)


def test_estimates_cover_every_calibration_measurement() -> None:
    for case in grids.memory.MEMORY_CALIBRATION:
        est = grids.memory.estimated_bytes(case.n, case.k, case.form, case.first_order, case.group, case.sample_law)
        peak = case.peak_mib * 2**20
        assert peak <= est <= (OVER_FIRST_ORDER if case.first_order else OVER_SIMPLEX) * peak, case


def test_first_order_solvers_are_the_backends_marked_first_order() -> None:
    from solvers.backends.cupdlpx import CupdlpxBackend
    from solvers.backends.highs import HighsBackend
    from solvers.backends.pdlp import PdlpBackend
    from solvers.backends.scs import ScsBackend

    classes = {"highs": HighsBackend, "pdlp": PdlpBackend, "scs": ScsBackend, "cupdlpx": CupdlpxBackend}
    assert set(classes) == set(solvers.backends.BACKENDS)
    assert FIRST_ORDER_SOLVERS == {name for name, cls in classes.items() if getattr(cls, "first_order", False)}


def _cli_with_8_gib(*args: str) -> subprocess.CompletedProcess:
    """The real command line in a fresh interpreter, with the machine's memory patched to 8 GiB."""
    code = ("import sys, grids.memory; grids.memory.available_bytes = lambda: 8 * 2**30; "
            "from solvers.cli.main import main; sys.exit(main(sys.argv[1:]))")
    return subprocess.run([sys.executable, "-c", code, *args], cwd=REPO, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)})


@pytest.mark.parametrize("args,fragment", [
    (("--setting", "amm2d", "--grid", "1000", "--belief", "0.25,0.375", "--form", "gradient"),
     "gradient form, solver highs, unfolded"),
    (("--setting", "amm2d", "--grid", "1000", "--form", "both", "--symmetry", "off"), "gradient form"),
    (("--setting", "amm3d", "--grid", "400"), "in any form and solver"),
])
def test_cli_refuses_a_grid_too_large_with_exit_2(args: tuple[str, ...], fragment: str) -> None:
    proc = _cli_with_8_gib(*args, "--json")
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr  # one clear message, no traceback
    assert lines[0].startswith("solve: bad input: grid k = ") and fragment in lines[0] and "GiB" in lines[0]


def test_a_sample_law_is_estimated_with_its_own_factor(tmp_path, eight_gib) -> None:
    # a sample's rough mu takes more rounds and rows: SAMPLE_LP_FACTOR on the LP part (tests above: it covers
    # the measured sample peaks); the same grid with a density is estimated without it
    np.save(tmp_path / "t.npy", np.random.default_rng(0).random((500, 2)))
    sample = make_setting("amm2d", belief="0.25,0.375", dist=f"samples:{tmp_path / 't.npy'}")
    dense = make_setting("amm2d", belief="0.25,0.375")
    for form in ("measure", "gradient"):
        a = check_memory(sample, make_grid(sample, 256), form, "highs", None)
        b = check_memory(dense, make_grid(dense, 256), form, "highs", None)
        lp = 257**2 * grids.memory.HEADROOM * grids.memory.MEMORY_MODELS[(form, 2)].per_lp_point
        assert a - b == pytest.approx((grids.memory.SAMPLE_LP_FACTOR[form] - 1) * lp, abs=2)  # int rounding


def test_a_formula_law_takes_the_sample_factor_in_the_measure_form_only(eight_gib) -> None:
    # the measure form of a formula (or polytope) law is the histogram mu, estimated as a sample's;
    # its gradient form has smooth cell weights, estimated as a density's
    formula = make_setting("amm2d", belief="0.25,0.375", dist="density:1+3*x1*x2")
    dense = make_setting("amm2d", belief="0.25,0.375")
    for form, factor in (("measure", grids.memory.SAMPLE_LP_FACTOR["measure"]), ("gradient", 1.0)):
        a = check_memory(formula, make_grid(formula, 256), form, "highs", None)
        b = check_memory(dense, make_grid(dense, 256), form, "highs", None)
        lp = 257**2 * grids.memory.HEADROOM * grids.memory.MEMORY_MODELS[(form, 2)].per_lp_point
        assert a - b == pytest.approx((factor - 1) * lp, abs=2)  # int rounding
