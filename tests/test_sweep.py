"""Sweeps (solvers.sweep_*): specs, the store, the three executors, resume after a kill, failures."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grids import InvalidInput
from solvers import sweep
from solvers.known_values import spread_profit_1d
from solvers.sweep_run import TIME_FIELDS
from solvers.sweep_spec import Instance, load_sweep_file, parse_sweep_terms, parse_values


def test_spec_terms() -> None:
    assert parse_values("alpha", "0:0.9:0.3") == [0.0, 0.3, 0.6, 0.9]
    assert len(parse_values("alpha", "0:0.9:0.05")) == 19 and parse_values("alpha", "0:0.9:0.05")[6] == 0.3
    assert parse_values("alpha", "0,0.5") == [0.0, 0.5]
    assert parse_values("belief", "0.5,0.5;0.25,0.25") == ["0.5,0.5", "0.25,0.25"]
    assert parse_values("grid", "16,32") == [16, 32]
    axes = parse_sweep_terms(["alpha=0,0.5", "grid=8:16:8"])
    assert axes == {"alpha": [0.0, 0.5], "grid": [8, 16]}
    for bad in (["gamma=1"], ["alpha"], ["alpha=1:0:0.1"], ["grid=8.5"], ["alpha=x"], ["alpha=0", "alpha=1"]):
        with pytest.raises(InvalidInput):
            parse_sweep_terms(bad)


def test_sweep_file(tmp_path: Path) -> None:
    path = tmp_path / "study.toml"
    path.write_text('setting = "amm2d"\ngrid = 16\n[sweep]\nalpha = {start = 0.0, stop = 0.5, step = 0.25}\n'
                    'belief = ["0.5,0.5", "0.25,0.25"]\n')
    fixed, axes = load_sweep_file(path)
    assert fixed == {"setting": "amm2d", "grid": 16}
    assert axes == {"alpha": [0.0, 0.25, 0.5], "belief": ["0.5,0.5", "0.25,0.25"]}
    path.write_text('setting = "amm2d"\ncolour = 3\n')
    with pytest.raises(InvalidInput, match="unknown keys"):
        load_sweep_file(path)


def test_instance_keys_are_stable() -> None:
    a = Instance("amm2d", 16, params=(("alpha", 0.3), ("belief", "0.5,0.5")))
    b = Instance("amm2d", 16, params=(("alpha", 0.3), ("belief", "0.5,0.5")))
    assert a.key("1") == b.key("1")                                # equal instances, equal keys
    assert a.key("1") != a.key("2")                                # the code version is part of the key
    assert a.key("1") != Instance("amm2d", 16, solver="scs", params=a.params).key("1")
    out = subprocess.run([sys.executable, "-c", "from solvers.sweep_spec import Instance;"
                          "print(Instance('amm2d', 16, params=(('alpha', 0.3), ('belief', '0.5,0.5'))).key('1'))"],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == a.key("1")                        # no per-process hash salt


def _strip(records) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in TIME_FIELDS} for r in records]


def test_serial_pool_and_dask_agree(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    spec = {"alpha": "0:0.6:0.3", "belief": "0.5,0.5;0.25,0.25"}
    serial = sweep("amm2d", 16, sweep=spec, executor="serial", store=tmp_path / "a.sqlite")
    pool = sweep("amm2d", 16, sweep=spec, executor="local:2", store=tmp_path / "b.sqlite")
    with distributed.LocalCluster(processes=False, n_workers=1, threads_per_worker=2,
                                  dashboard_address=None) as cluster:
        dask = sweep("amm2d", 16, sweep=spec, executor=cluster.scheduler_address, store=tmp_path / "c.sqlite")
    assert serial.solved_now == pool.solved_now == dask.solved_now == 6
    # The same LPs through the same deterministic simplex: equal records, not merely close ones.
    assert _strip(serial.records) == _strip(pool.records) == _strip(dask.records)
    assert len({r["worker"] for r in pool.records}) >= 1
    assert all(r["status"] == "optimal" for r in serial.records)


def test_bad_instance_is_recorded_and_the_rest_succeed(tmp_path: Path) -> None:
    res = sweep("amm2d", 16, sweep={"belief": "0.5,0.5;0.3,0.3"}, alpha=0.2, executor="serial",
                store=tmp_path / "s.sqlite")
    good, bad = res.records
    assert good["status"] == "optimal" and good["primal"] > 0
    assert bad["status"] == "invalid" and "not a grid point" in bad["message"]
    again = sweep("amm2d", 16, sweep={"belief": "0.5,0.5;0.3,0.3"}, alpha=0.2, executor="serial",
                  store=tmp_path / "s.sqlite")
    assert again.solved_now == 0 and again.from_store == 2          # the failure is stored too


def test_unknown_names_refused_before_any_work(tmp_path: Path) -> None:
    for kwargs in ({"executor": "mars"}, {"solver": "gurobi"}, {"form": "both"}):
        with pytest.raises(InvalidInput):
            sweep("amm2d", 8, sweep={"alpha": "0,0.5"}, store=tmp_path / "x.sqlite", **kwargs)
    with pytest.raises(InvalidInput, match="unknown setting"):
        sweep("amm9d", 8, store=tmp_path / "x.sqlite")
    assert not (tmp_path / "x.sqlite").exists()


def test_bundling_gain_against_the_closed_form(tmp_path: Path) -> None:
    """Separate selling = 2 x the 1D spread profit (DESIGN §1.4); the gain uses exact menu profits."""
    res = sweep("amm2d", 32, sweep={"alpha": "0,0.5"}, executor="serial", store=tmp_path / "g.sqlite")
    for rec in res.records:
        # The 1D menus come from k = 2048 grids (BASELINE_MIN_CELLS): the optimal spread up to the grid,
        # within O(h^2) = 2.4e-7 of the closed form, and below it (a real menu's exact profit).
        assert rec["separate_profit"] <= 2 * spread_profit_1d(rec["alpha"]) + 1e-12
        assert rec["separate_profit"] == pytest.approx(2 * spread_profit_1d(rec["alpha"]), abs=1e-6)
        # the same float expression recomputed: equal up to round-off (pytest's default rel 1e-6 is ample)
        assert rec["bundling_gain"] == pytest.approx(rec["menu_profit"] / rec["separate_profit"] - 1)
        assert 0.05 < rec["bundling_gain"] < 0.15   # DESIGN §1.4: about 10-11.4 % in the continuum


def test_killed_sweep_resumes_with_the_missing_instances_only(tmp_path: Path) -> None:
    out = tmp_path / "out"
    # c off the centre: no symmetry, so each instance takes long enough (~0.5 s) for the kill to land mid-sweep
    cmd = [sys.executable, "-m", "solvers", "--setting", "amm2d", "--grid", "48", "--belief", "0.25,0.375",
           "--sweep", "alpha=0:0.9:0.1",
           "--executor", "serial", "--out", str(out), "--json", "-q"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    store = out / "sweep.sqlite"
    stored = 0
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if store.exists():
            with sqlite3.connect(store) as db:
                try:
                    stored = db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
                except sqlite3.OperationalError:   # table not created yet
                    stored = 0
            if stored >= 2:
                break
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with sqlite3.connect(store) as db:
        stored = db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
    assert 2 <= stored < 10, "the kill should land mid-sweep"
    assert not (out / "summary.json").exists()                    # nothing half-written
    rerun = subprocess.run(cmd, capture_output=True, text=True, check=True)
    summary = json.loads(rerun.stdout)
    assert summary["instances"] == 10
    assert summary["from_store"] == stored and summary["solved_now"] == 10 - stored
    assert all(r["status"] == "optimal" for r in summary["records"])
    assert (out / "results.csv").exists() and (out / "sweep.png").exists()


def test_cli_refuses_a_bad_sweep_before_any_work(tmp_path: Path, capsys) -> None:
    from solvers.cli import main

    out = tmp_path / "out"
    for argv in (["--sweep", "gamma=1"], ["--sweep", "alpha=2:1:0.1"], ["--sweep", "alpha=0", "--executor", "x"],
                 ["--sweep", "alpha=0", "--form", "both"], ["--sweep-file", str(tmp_path / "missing.toml")]):
        assert main(["--setting", "amm2d", "--grid", "8", "--out", str(out), *argv]) == 2
        assert "Traceback" not in capsys.readouterr().err
    assert not out.exists()
