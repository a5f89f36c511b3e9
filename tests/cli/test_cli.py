"""The command line, run as a subprocess: JSON and text output, files, exit codes.

Exit codes (solvers/cli/main.py): 0 solved, 1 solver failure, 2 bad input.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

SUMMARY_KEYS = {
    "setting", "params", "grid", "status", "primal_value", "dual_value", "gap", "menu", "menu_profit",
    "menu_profit_stderr", "timings", "lp",
}
GAP_TOL = 1e-7    # relative gap tolerance of the issue / solvers.api.GAP_TOL
MASS_TOL = 1e-9   # grid weights sum to 1 (to ~1e-15) and clustering keeps all mass; float sums only
ROUNDOFF = 1e-12  # recomputing a value from saved float64 arrays: summation order only (N <= 300 terms)


def run_cli(*args: str, cwd: Path, exe: list[str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    cmd = (exe or [sys.executable, "-m", "solvers"]) + list(args)
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def parse_json_stdout(proc: subprocess.CompletedProcess) -> dict:
    """stdout must be exactly one JSON object on one line, nothing else."""
    out = proc.stdout
    assert out.endswith("\n") and out.count("\n") == 1, f"stdout is not one line: {out!r}"
    obj = json.loads(out)  # raises on any extra text before or after the object
    assert isinstance(obj, dict)
    return obj


def check_summary(obj: dict, setting: str, k: int, n: int) -> None:
    assert SUMMARY_KEYS <= set(obj), SUMMARY_KEYS - set(obj)
    assert obj["setting"] == setting
    assert obj["grid"]["k"] == k and obj["grid"]["n"] == n and obj["grid"]["points"] == (k + 1) ** n
    assert obj["status"] == "optimal"
    primal, dual = obj["primal_value"], obj["dual_value"]
    assert abs(obj["gap"]) <= GAP_TOL * max(1.0, abs(primal))
    assert obj["gap"] == pytest.approx(dual - primal, abs=ROUNDOFF)  # the gap is dual - primal
    menu = obj["menu"]
    assert isinstance(menu, list) and menu
    for item in menu:
        assert set(item) >= {"allocation", "price", "mass"}
        assert len(item["allocation"]) == n
        assert item["mass"] >= 0.0
    assert abs(sum(item["mass"] for item in menu) - 1.0) <= MASS_TOL
    # no trade is always on the menu, at price 0
    assert any(all(a == 0 for a in it["allocation"]) and it["price"] == 0 for it in menu)
    assert isinstance(obj["menu_profit"], float)
    assert obj["menu_profit_stderr"] >= 0.0
    assert obj["timings"]["total_s"] >= obj["timings"]["lp_s"] >= 0.0
    assert obj["lp"]["rows"] > 0 and obj["lp"]["rounds"] >= 1


def mc_menu_profit(menu: list[dict], alpha: float, c: np.ndarray, m: int, seed: int) -> tuple[float, float]:
    """Monte Carlo profit of a menu for uniform types: mean and standard error.

    The trader picks the item maximizing <a, x> - p (no trade included); the
    market maker earns <a, d(x)> - u(x), d(x) = (1 - alpha)(x - c) (DESIGN §1).
    """
    a = np.array([it["allocation"] for it in menu] + [[0.0] * len(c)])
    p = np.array([it["price"] for it in menu] + [0.0])
    x = np.random.default_rng(seed).random((m, len(c)))
    util = x @ a.T - p
    best = util.argmax(axis=1)
    u = util[np.arange(m), best]
    profit = np.einsum("ij,ij->i", a[best], (1 - alpha) * (x - c)) - u
    return float(profit.mean()), float(profit.std(ddof=1) / np.sqrt(m))


# --------------------------------------------------------------------------- success


def test_json_output(tmp_path) -> None:
    proc = run_cli("--setting", "amm2d", "--grid", "8", "--alpha", "0.25", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    obj = parse_json_stdout(proc)
    check_summary(obj, "amm2d", 8, 2)
    assert obj["params"]["alpha"] == 0.25 and obj["params"]["belief"] == [0.5, 0.5]
    assert obj["params"]["dist"] == "uniform"
    assert "[dualmech]" in proc.stderr  # progress goes to stderr, not stdout
    # The menu profit is the profit of the printed menu on continuous uniform types:
    # an independent Monte Carlo estimate agrees within 5 standard errors.
    mean, se = mc_menu_profit(obj["menu"], 0.25, np.array([0.5, 0.5]), 400_000, seed=1)
    assert abs(mean - obj["menu_profit"]) <= 5 * se + obj["menu_profit_stderr"]


def test_json_output_with_a_density_law(tmp_path) -> None:
    proc = run_cli("--setting", "monopolist2d", "--grid", "12", "--dist", "beta:2,3", "--json", "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    obj = parse_json_stdout(proc)
    check_summary(obj, "monopolist2d", 12, 2)
    assert obj["params"] == {"alpha": 0.0, "belief": [0.0, 0.0], "dist": "beta:2,3"}
    # non-uniform law: the menu profit is a quasi-Monte Carlo estimate with a positive standard error
    assert 0.0 < obj["menu_profit_stderr"] < 1e-2
    assert proc.stderr == ""  # -q: no progress at all


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON (RFC 8259)")


def test_json_output_is_strict_json_for_a_one_type_sample(tmp_path) -> None:
    path = tmp_path / "one.npy"
    np.save(path, np.array([[0.3, 0.7]]))
    proc = run_cli("--setting", "amm2d", "--grid", "8", "--dist", f"samples:{path}", "--json", "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    json.loads(proc.stdout, parse_constant=_reject_constant)  # NaN / Infinity are not JSON


def test_console_script(tmp_path) -> None:
    # pip puts the console script beside the interpreter it installed for; it must be there
    exe = Path(sys.executable).with_name("solve")
    assert exe.is_file(), f"no 'solve' console script beside {sys.executable}: is dualmech installed (pip -e .)?"
    proc = run_cli("--setting", "amm1d", "--grid", "10", "--json", cwd=tmp_path, exe=[str(exe)])
    assert proc.returncode == 0, proc.stderr
    obj = parse_json_stdout(proc)
    check_summary(obj, "amm1d", 10, 1)


def test_human_summary(tmp_path) -> None:
    proc = run_cli("--setting", "amm1d", "--grid", "8", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    for word in ("primal", "dual", "gap", "status", "menu profit"):
        assert word in text, word
    assert "optimal" in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)
    assert "[dualmech]" not in text  # progress stays on stderr


# --------------------------------------------------------------------------- bad input


# One subprocess per case (each costs ~1 s of interpreter start-up); every other
# case also asks for --json, which must not print anything for bad input either.
@pytest.mark.parametrize("args,fragment,as_json", [
    (["--setting", "amm9d"], "amm9d", False),
    (["--setting", "amm1d", "--alpha", "1.5"], "alpha", True),
    (["--setting", "amm1d", "--belief", "0.3"], "not a grid point", False),
    (["--setting", "amm2d", "--belief", "0.5,1.5"], "off the type box", True),
    (["--setting", "amm2d", "--dist", "beta:1"], "beta", False),
    (["--setting", "amm2d", "--dist", "samples:/no/such/file.npy"], "does not exist", True),
    (["--setting", "amm2d", "--dist", "kde:wide:/no/such/file.npy"], "positive number or 'scott'", False),
    (["--setting", "amm1d", "--grid", "1"], "grid size", False),
    (["--setting", "amm1d", "--max-rounds", "0"], "max_rounds", True),
    (["--setting", "amm2d", "--types", "4:3,0:1"], "empty on axis 1", True),
    (["--setting", "amm2d", "--allocations", "polytope:1 1 <= 1"], "unbounded", False),
    (["--setting", "amm2d", "--allocations", "unit-demand", "--form", "measure"], "gradient", True),
    (["--setting", "amm2d", "--dist", "density:__import__('os').getcwd()"], "getcwd\" is not allowed", True),
    (["--setting", "monopolist2d", "--dist", "triangle", "--form", "measure", "--quadrature", "away"],
     "needs the 'cell' quadrature", False),
])
def test_bad_input_exits_2_without_output(tmp_path, args: list[str], fragment: str, as_json: bool) -> None:
    out = tmp_path / "run"
    argv = args + (["--grid", "8"] if "--grid" not in args else []) + ["--out", str(out)]
    proc = run_cli(*argv, *(["--json"] if as_json else []), cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr  # one clear message, no traceback, no progress
    assert lines[0].startswith("solve: bad input:") and fragment in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing created, nothing half-written


@pytest.mark.parametrize("out,fragment", [
    ("/proc/x", "/proc is not writable"),
    ("{tmp}/no/such/parent", "does not exist"),
])
def test_out_that_cannot_be_written_exits_2_before_any_work(tmp_path, out: str, fragment: str) -> None:
    proc = run_cli("--setting", "amm2d", "--grid", "64", "--json", "--out", out.format(tmp=tmp_path), cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("solve: bad input: output folder") and fragment in lines[0]
    assert "Traceback" not in proc.stderr and "[dualmech]" not in proc.stderr  # refused before any work
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_out_pointing_at_a_file_exits_2(tmp_path) -> None:
    target = tmp_path / "taken"
    target.write_text("keep me\n")
    proc = run_cli("--setting", "amm1d", "--grid", "8", "--out", str(target), cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and str(target) in lines[0] and "not a folder" in lines[0]
    assert target.read_text() == "keep me\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]


# --------------------------------------------------------------------------- files


def test_out_writes_summary_arrays_and_plot(tmp_path) -> None:
    out = tmp_path / "amm2d"
    k, n = 8, 2
    proc = run_cli("--setting", "amm2d", "--grid", str(k), "--alpha", "0.5", "--json", "--out", str(out),
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    obj = parse_json_stdout(proc)
    check_summary(obj, "amm2d", k, n)
    assert sorted(p.name for p in out.iterdir()) == ["arrays.npz", "solution.png", "summary.json"]
    assert not [p.name for p in out.parent.iterdir() if p.name.startswith(".")]  # no temporary folders left

    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == obj["status"]
    assert summary["primal_value"] == obj["primal_value"]
    assert summary["dual_value"] == obj["dual_value"]

    N = (k + 1) ** n
    with np.load(out / "arrays.npz") as z:
        arr = {key: z[key] for key in z.files}
    assert {"points", "weights", "u", "g", "t", "y_row", "y_col", "y_val"} <= set(arr)
    x, w, u, g, t = arr["points"], arr["weights"], arr["u"], arr["g"], arr["t"]
    assert x.shape == (N, n) and w.shape == (N,) and u.shape == (N,) and g.shape == (N, n) and t.shape == (N,)
    assert arr["y_row"].shape == arr["y_col"].shape == arr["y_val"].shape
    assert arr["y_row"].ndim == 1 and len(arr["y_row"]) > 0
    assert arr["y_row"].min() >= 0 and arr["y_row"].max() < N and arr["y_col"].max() < N
    assert np.all(arr["y_val"] >= 0.0)
    assert np.allclose(np.sort(np.unique(x[:, 0])), np.arange(k + 1) / k, rtol=0, atol=1e-15)  # m/k round-off

    # Values recomputed from the saved arrays alone (DESIGN §1.1), alpha = 0.5, c = (1/2, 1/2).
    c = np.array([0.5, 0.5])
    d = 0.5 * (x - c)
    assert np.allclose(t, np.einsum("ij,ij->i", g, x) - u, rtol=0, atol=ROUNDOFF)  # payment t = <g, x> - u
    primal = float(w @ (np.einsum("ij,ij->i", g, d) - u))
    assert primal == pytest.approx(obj["primal_value"], abs=ROUNDOFF)
    resid = w[:, None] * d
    np.add.at(resid, arr["y_row"], -arr["y_val"][:, None] * (x[arr["y_col"]] - x[arr["y_row"]]))
    dual = float(np.abs(resid).sum())  # h_B = l1 norm for B = [-1,1]^2
    assert dual == pytest.approx(obj["dual_value"], abs=ROUNDOFF)

    png = (out / "solution.png").read_bytes()
    assert len(png) > 1000 and png[:8] == b"\x89PNG\r\n\x1a\n"


def test_out_into_an_existing_empty_folder(tmp_path) -> None:
    out = tmp_path / "existing"
    out.mkdir()
    proc = run_cli("--setting", "monopolist1d", "--grid", "8", "-q", "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["arrays.npz", "solution.png", "summary.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing"]  # nothing else, no '.existing.*' left


def test_plot_alone_writes_default_png_in_cwd(tmp_path) -> None:
    proc = run_cli("--setting", "monopolist2d", "--grid", "8", "--plot", "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    png = tmp_path / "monopolist2d-k8.png"
    assert png.is_file() and png.stat().st_size > 0
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["monopolist2d-k8.png"]


# --------------------------------------------------------------------------- solver failure


def _rough_sample(tmp_path: Path) -> str:
    path = tmp_path / "rough.npy"
    np.save(path, np.random.default_rng(0).random((300, 2)))
    return f"samples:{path}"


def test_rough_sample_needs_more_than_one_round(tmp_path) -> None:
    """The premise of the exit-1 test, checked in Python first."""
    from solvers import SolverFailure, solve

    dist = _rough_sample(tmp_path)
    with pytest.raises(SolverFailure) as info:
        solve("amm2d", 16, dist=dist, max_rounds=1)
    assert info.value.status == "round_limit"
    sol = solve("amm2d", 16, dist=dist)  # with enough rounds it solves
    assert sol.status == "optimal" and sol.stats.rounds > 1


def test_solver_failure_exits_1(tmp_path) -> None:
    dist = _rough_sample(tmp_path)
    out = tmp_path / "never"
    proc = run_cli("--setting", "amm2d", "--grid", "16", "--dist", dist, "--max-rounds", "1", "--json",
                   "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    obj = parse_json_stdout(proc)
    assert obj["status"] == "round_limit"
    assert isinstance(obj["message"], str) and obj["message"]
    assert "primal_value" not in obj and "menu" not in obj  # a failure carries no value
    assert "solve: solver failure: round_limit" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rough.npy"]

    text = run_cli("--setting", "amm2d", "--grid", "16", "--dist", dist, "--max-rounds", "1", "-q", cwd=tmp_path)
    assert text.returncode == 1
    assert text.stdout == ""
    assert text.stderr.strip().splitlines() == [text.stderr.strip()]  # one line
    assert text.stderr.startswith("solve: solver failure: round_limit")


def test_form_measure_json(tmp_path) -> None:
    out = tmp_path / "measure"
    proc = run_cli("--setting", "amm2d", "--grid", "16", "--form", "measure", "--json", "-q", "--out", str(out),
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    obj = parse_json_stdout(proc)
    check_summary(obj, "amm2d", 16, 2)
    assert obj["form"] == "measure"
    assert obj["flow_edges"] > 0 and 0 < obj["no_trade_cells"] < 17 * 17
    # Both values recomputed here from the saved arrays, not read from the summary: the primal is
    # sum_i mu_i u_i (DESIGN §1.2) and the dual is the transport cost, every axis edge of length
    # h = 1/k carrying forward + backward mass (spreads and radial moves are free).
    arrays = np.load(out / "arrays.npz")
    primal = float(arrays["mu"] @ arrays["u"])
    transport = float((arrays["flow_forward"] + arrays["flow_backward"]).sum()) / 16
    assert primal == pytest.approx(obj["primal_value"], abs=ROUNDOFF)
    assert transport == pytest.approx(obj["dual_value"], abs=ROUNDOFF)
    assert abs(transport - primal) <= GAP_TOL * max(1.0, abs(primal))  # strong duality, to the gap tolerance


def test_form_both_json_and_out(tmp_path) -> None:
    out = tmp_path / "both"
    proc = run_cli("--setting", "amm2d", "--grid", "16", "--form", "both", "--json", "-q", "--out", str(out),
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    obj = parse_json_stdout(proc)
    assert set(obj["forms"]) == {"gradient", "measure"}
    grad, meas = obj["forms"]["gradient"], obj["forms"]["measure"]
    assert grad["form"] == "gradient" and meas["form"] == "measure"
    assert obj["difference"] == meas["primal_value"] - grad["primal_value"]
    # The gradient form with cell weights sits above the continuous optimum by its O(h) bias (measured
    # 0.39 h to 0.40 h for k = 8, 16, 32, 64 at amm2d), while the measure form's error is smaller and
    # of either sign (1.4e-3 = 0.02 h at k = 16). So measure - gradient lies in (-h/2, 0) at h = 1/16.
    assert -0.5 / 16 < obj["difference"] < 0.0
    assert (out / "gradient" / "summary.json").is_file() and (out / "measure" / "transport.png").is_file()
    assert json.loads((out / "summary.json").read_text())["forms"]["measure"]["status"] == "optimal"


def test_form_measure_takes_samples_on_cells_only(tmp_path) -> None:
    """A sample's measure form is its histogram density's: the 'away' rule's empty edge cells are bad input."""
    path = tmp_path / "types.npy"
    np.save(path, np.random.default_rng(0).random((50, 2)))
    base = ("--setting", "amm2d", "--grid", "8", "--form", "measure", "--dist", f"samples:{path}")
    proc = run_cli(*base, "--quadrature", "away", "--out", str(tmp_path / "never"), cwd=tmp_path)
    assert proc.returncode == 2 and "'cell' quadrature" in proc.stderr
    assert not (tmp_path / "never").exists()
    proc = run_cli(*base, "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert parse_json_stdout(proc)["status"] == "optimal"


def test_types_and_allocations_on_the_command_line(tmp_path) -> None:
    """--types and --allocations reach the library: the DDT type box with the menu in the user's
    units (the bundle (1, 1) priced near 12: within 15/k, see tests/gradient/test_allocation_sets.py),
    and unit demand with the polytope in an inline form."""
    proc = run_cli("--setting", "monopolist2d", "--grid", "8", "--types", "4:16,4:7", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    obj = parse_json_stdout(proc)
    assert obj["status"] == "optimal" and obj["params"]["types"] == "4:16,4:7"
    bundle = [it["price"] for it in obj["menu"] if it["allocation"] == [1.0, 1.0]]
    assert bundle and abs(bundle[0] - 12.0) <= 15.0 / 8
    proc = run_cli("--setting", "monopolist2d", "--grid", "8", "--allocations",
                   "polytope:1 1 <= 1; -1 0 <= 0; 0 -1 <= 0", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    obj = parse_json_stdout(proc)
    assert obj["status"] == "optimal" and "polytope" in obj["params"]["allocations"]
    assert all(sum(it["allocation"]) <= 1.0 + 1e-9 for it in obj["menu"])  # solver tolerance, scaled
