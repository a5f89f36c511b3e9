"""Sweeps (solvers/sweeps/): specs, the store, the three executors, resume after a kill, failures."""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import json
import math
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from grids import InvalidInput, make_setting
from solvers import solve, sweep
from solvers.known_values import known_optimum, spread_profit_1d
from solvers.sweeps.checks import STOP_AFTER_ENV, STOP_AFTER_EXIT, validate
from solvers.sweeps.executors import CONNECT_TIMEOUT_S
from solvers.status import LOST
from solvers.sweeps.run import TIME_FIELDS
from solvers.sweeps.spec import Instance, load_sweep_file, parse_sweep_terms, parse_values, product

REPO = Path(__file__).resolve().parents[2]
# A bound, not an expectation: each CLI run below takes seconds; a hang fails the test instead of stalling the suite.
RUN_TIMEOUT_S = 300
# The sweep the CLI tests run (4 instances of a few hundred milliseconds each) and its spelling in the library.
CLI_SWEEP = ["--setting", "amm2d", "--grid", "16", "--sweep", "alpha=0:0.3:0.1"]
LIB_SWEEP: dict[str, Any] = {"setting": "amm2d", "grid": 16, "sweep": {"alpha": "0:0.3:0.1"}, "dist": "uniform"}
COUNT = 4


def _env(**extra: str) -> dict[str, str]:
    """The environment of a child process: this tree first on its path (an installed dualmech may be another
    checkout), no stop hook unless asked for."""
    env = {k: v for k, v in os.environ.items() if k != STOP_AFTER_ENV}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return {**env, **extra}


def _cli(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "solvers", *args], cwd=cwd, env=_env(**env), capture_output=True,
                          text=True, timeout=RUN_TIMEOUT_S)


def _summary(stdout: str) -> dict[str, Any]:
    """The --json summary: stdout is exactly one JSON document on one line, nothing else."""
    assert stdout.endswith("\n") and stdout.count("\n") == 1, stdout[:300]
    return json.loads(stdout)


def _plain(records: Any) -> list[dict[str, Any]]:
    """Records as the --json summary has them: JSON values, non-finite floats as null."""
    def finite(v: Any) -> Any:
        return None if isinstance(v, float) and not math.isfinite(v) else v

    return [{k: finite(v) for k, v in rec.items()} for rec in json.loads(json.dumps(list(records)))]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """The CLI tests' sweep, solved serially in this process."""
    res = sweep(**LIB_SWEEP, executor="serial", store=tmp_path_factory.mktemp("reference") / "s.sqlite")
    assert res.solved_now == COUNT and all(r["status"] == "optimal" for r in res.records)
    return _plain(res.records)


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
    out = subprocess.run([sys.executable, "-c", "from solvers.sweeps.spec import Instance;"
                          "print(Instance('amm2d', 16, params=(('alpha', 0.3), ('belief', '0.5,0.5'))).key('1'))"],
                         capture_output=True, text=True, check=True, env=_env(), timeout=RUN_TIMEOUT_S)
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
    me = os.getpid()
    assert {r["worker"] for r in serial.records} == {me}          # serial: in this process
    pool_pids = {r["worker"] for r in pool.records}
    assert me not in pool_pids and 1 <= len(pool_pids) <= 2     # local:2: in two spawned processes at most
    assert {r["worker"] for r in dask.records} == {me}            # processes=False: threads of this process
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


def test_solver_options_pass_through_a_sweep(tmp_path: Path) -> None:
    """A fixed solver option goes to solve() alone: the instance and its separate-selling baseline succeed
    (make_setting, which the baseline calls, takes only alpha, belief and dist)."""
    res = sweep("amm2d", 8, sweep={"alpha": "0,0.5"}, executor="serial", store=tmp_path / "o.sqlite",
                pair_tol=1e-8, max_rounds=50)
    assert [r["status"] for r in res.records] == ["optimal", "optimal"]
    assert all(r["pair_tol"] == 1e-8 and r["separate_profit"] > 0 for r in res.records)


def test_unknown_names_refused_before_any_work(tmp_path: Path) -> None:
    for kwargs in ({"executor": "mars"}, {"solver": "gurobi"}, {"form": "both"}):
        with pytest.raises(InvalidInput):
            sweep("amm2d", 8, sweep={"alpha": "0,0.5"}, store=tmp_path / "x.sqlite", **kwargs)
    with pytest.raises(InvalidInput, match="unknown setting"):
        sweep("amm9d", 8, store=tmp_path / "x.sqlite")
    assert not (tmp_path / "x.sqlite").exists()


def test_bundling_gain_against_the_closed_form(tmp_path: Path) -> None:
    """The gain is the grid menu's exact profit over separate selling, 2 x the 1D spread profit (DESIGN §1.4)."""
    res = sweep("amm2d", 32, sweep={"alpha": "0,0.5"}, executor="serial", store=tmp_path / "g.sqlite")
    # The 1D menus come from k = 2048 grids (BASELINE_MIN_CELLS): the optimal spread up to the grid, within
    # O(h^2) = 2.4e-7 of the closed form, and below it (a real menu's exact profit); 1e-6 covers that.
    separate_tol = 1e-6
    for rec in res.records:
        alpha = rec["alpha"]
        separate = 2 * spread_profit_1d(alpha)     # two goods sold apart: twice (1-alpha)^2 / (4 (2-alpha))
        assert separate - separate_tol <= rec["separate_profit"] <= separate + 1e-12
        # the grid menu, solved here and not by the sweep: the same LP through the same deterministic simplex
        menu = solve("amm2d", 32, alpha=alpha).menu_profit().value
        assert rec["menu_profit"] == menu
        expected = menu / separate - 1
        # d(gain)/d(separate) = -(1 + gain)/separate: the baseline's separate_tol moves the gain by at most this
        gain_tol = (1 + expected) * separate_tol / (separate - separate_tol)
        assert abs(rec["bundling_gain"] - expected) <= gain_tol
        # A grid menu is a mechanism of the continuum problem, so its exact profit is at most the continuum
        # optimum (the paper's Table 2 menu): the gain is at most the continuum gain (9.84 % at alpha = 0).
        optimum, _ = known_optimum(make_setting("amm2d", alpha=alpha))
        assert 0 < rec["bundling_gain"] <= optimum / separate - 1 + gain_tol


def test_killed_sweep_resumes_with_the_missing_instances_only(tmp_path: Path, reference: list[dict]) -> None:
    """The stop hook ends the CLI right after its 2nd stored record, as a kill there would; the re-run solves
    only the other instances, and the records are those of an uninterrupted run."""
    out, stop = tmp_path / "out", 2
    cmd = [*CLI_SWEEP, "--executor", "serial", "--out", str(out), "--json", "-q"]
    stopped = _cli(cmd, tmp_path, **{STOP_AFTER_ENV: str(stop)})
    assert stopped.returncode == STOP_AFTER_EXIT, stopped.stderr
    with contextlib.closing(sqlite3.connect(out / "sweep.sqlite")) as db:
        assert db.execute("SELECT COUNT(*) FROM results").fetchone()[0] == stop
    # the store (its -wal and -shm files too: the process ended without closing it) and nothing half-written
    assert {f.name for f in out.iterdir()} <= {"sweep.sqlite", "sweep.sqlite-wal", "sweep.sqlite-shm"}
    rerun = _cli(cmd, tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    summary = _summary(rerun.stdout)
    assert summary["instances"] == COUNT
    assert summary["from_store"] == stop and summary["solved_now"] == COUNT - stop
    assert _strip(summary["records"]) == _strip(reference)
    assert (out / "results.csv").exists() and (out / "sweep.png").exists()


def test_cli_refuses_a_bad_sweep_before_any_work(tmp_path: Path, capsys) -> None:
    from solvers.cli.main import main

    out = tmp_path / "out"
    for argv in (["--sweep", "gamma=1"], ["--sweep", "alpha=2:1:0.1"], ["--sweep", "alpha=0", "--executor", "x"],
                 ["--sweep", "alpha=0", "--form", "both"], ["--sweep-file", str(tmp_path / "missing.toml")]):
        assert main(["--setting", "amm2d", "--grid", "8", "--out", str(out), *argv]) == 2
        assert "Traceback" not in capsys.readouterr().err
    assert not out.exists()


def test_library_refuses_bad_arguments_before_any_file(tmp_path: Path) -> None:
    """Each bad argument of solvers.sweep raises InvalidInput naming it, and nothing is written."""
    a_file, not_db = tmp_path / "a.txt", tmp_path / "notes.sqlite"
    a_file.write_text("x")
    not_db.write_text("not a database")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"executor": "mars"}, "unknown executor"),
        ({"executor": "local:0"}, "at least 1 worker"),
        ({"executor": "local:two"}, "whole number of workers"),
        ({"executor": "dask://:8786"}, "no scheduler host"),
        ({"executor": "dask://127.0.0.1:99999"}, "not a number in 1..65535"),
        ({"executor": 2}, "must be a string"),
        ({"store": a_file / "s.sqlite"}, "is not a folder"),
        ({"store": tmp_path}, "is a folder"),
        ({"store": not_db}, "not an SQLite file"),
        ({"pair_tol": -1.0}, "pair_tol must be a positive number, got -1.0"),
        ({"gap_tol": float("nan")}, "gap_tol"),
        ({"max_rounds": 0}, "max_rounds"),
        ({"threads": 1.5}, "threads"),
        ({"warm_start": "hot"}, "unknown warm start 'hot'"),
        ({"fold": "yes"}, "fold"),
        ({"colour": 3}, "unknown option 'colour'"),
        ({"alpha": 1.5}, "outside"),
        ({"belief": "2,2"}, "belief"),
        ({"dist": "cauchy"}, "cauchy"),
        ({"grid": 1}, "k = 1 must be an integer >= 2"),
        ({"grid": 16.0}, "must be an integer >= 2"),
        ({"progress": "yes"}, "progress"),
        ({"worker_wait": 0}, "worker_wait"),
        ({"sweep": {"alpha": 0.5}}, "neither a spec string nor a list"),
        ({"sweep": {"alpha": "0,0.5"}, "alpha": 0.2}, "both as a fixed value and in sweep"),
        ({"sweep": {"grid": "1,16"}}, "k = 1"),
        ({"sweep": {"alpha": "0,1.5"}}, "outside"),
        ({"sweep": {"gamma": "1"}}, "cannot sweep"),
    ]
    for kwargs, message in cases:
        kwargs = {"grid": 8, "executor": "serial", "store": tmp_path / "x.sqlite", **kwargs}
        with pytest.raises(InvalidInput, match=message):
            sweep("amm2d", **kwargs)
    # /proc takes no new entries even for root, where os.access says yes: the check must probe
    with pytest.raises(InvalidInput, match="/proc is not writable"):
        sweep("amm2d", 8, executor="serial", store="/proc/dualmech/s.sqlite")
    if os.geteuid() != 0:   # root may write anywhere: the check cannot be seen failing there
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(InvalidInput, match="not writable"):
            sweep("amm2d", 8, executor="serial", store=locked / "s.sqlite")
        locked.rmdir()
    assert sorted(tmp_path.iterdir()) == [a_file, not_db] and not_db.read_text() == "not a database"


def test_validate_refuses_bad_out_and_export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's --out, --export and stop-hook checks live in solvers.sweeps.checks.validate; it writes nothing."""
    instances = product({"setting": "amm2d", "grid": 8}, {})
    a_file = tmp_path / "a.txt"
    a_file.write_text("x")
    assert validate(instances, "serial", out=tmp_path / "o") == tmp_path / "o" / "sweep.sqlite"
    assert validate(instances, "serial", store=tmp_path / "new" / "s.sqlite", out=tmp_path / "o") \
        == tmp_path / "new" / "s.sqlite"
    for kwargs, message in (({"out": a_file}, "exists and is not a folder"), ({"out": a_file / "sub"}, "not a folder"),
                            ({"export": "xlsx"}, "unknown export format")):
        with pytest.raises(InvalidInput, match=message):
            validate(instances, "serial", **kwargs)
    monkeypatch.setitem(sys.modules, "pyarrow", None)   # an import of pyarrow now raises ImportError
    with pytest.raises(InvalidInput, match="needs pandas and pyarrow"):
        validate(instances, "serial", out=tmp_path / "o", export="parquet")
    monkeypatch.delitem(sys.modules, "pyarrow")
    monkeypatch.setenv(STOP_AFTER_ENV, "zero")
    with pytest.raises(InvalidInput, match=STOP_AFTER_ENV):
        validate(instances, "serial")
    assert sorted(tmp_path.iterdir()) == [a_file]


def test_cli_local_pool_json_and_store_path(tmp_path: Path, reference: list[dict]) -> None:
    """--executor local:2 --json --store PATH: records from two worker processes at most, none from the CLI's
    own; the store at PATH (its missing folder made), no ./sweep.sqlite; the serial run's values."""
    store = tmp_path / "runs" / "mine.sqlite"
    proc = subprocess.Popen([sys.executable, "-m", "solvers", *CLI_SWEEP, "--executor", "local:2", "--json", "-q",
                             "--store", str(store)], cwd=tmp_path, env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    stdout, stderr = proc.communicate(timeout=RUN_TIMEOUT_S)
    assert proc.returncode == 0, stderr
    summary = _summary(stdout)
    assert summary["executor"] == "local:2" and summary["store"] == str(store)
    assert summary["solved_now"] == COUNT and summary["failed"] == 0
    pids = {r["worker"] for r in summary["records"]}
    assert proc.pid not in pids and 1 <= len(pids) <= 2
    assert _strip(summary["records"]) == _strip(reference)
    with contextlib.closing(sqlite3.connect(store)) as db:
        assert db.execute("SELECT COUNT(*) FROM results").fetchone()[0] == COUNT
    assert not (tmp_path / "sweep.sqlite").exists()


def test_cli_parquet_export(tmp_path: Path) -> None:
    """--export parquet writes results.parquet (no CSV) holding the summary's records, float for float."""
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    out = tmp_path / "out"
    run = _cli([*CLI_SWEEP, "--executor", "serial", "--out", str(out), "--export", "parquet", "--json", "-q"],
               tmp_path)
    assert run.returncode == 0, run.stderr
    records = _summary(run.stdout)["records"]
    table = pd.read_parquet(out / "results.parquet")
    assert not (out / "results.csv").exists()
    assert table["key"].tolist() == [r["key"] for r in records]
    for column in ("alpha", "primal", "dual", "menu_profit", "separate_profit", "bundling_gain"):
        assert table[column].tolist() == [r[column] for r in records]   # float64 both ways: exact


def _free_port() -> int:
    """A loopback port nothing listens on (bound, read and released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_scheduler_refused_before_any_work(tmp_path: Path) -> None:
    """A Dask address where nothing listens: exit 2 and one line on stderr, no store, no --out folder."""
    pytest.importorskip("distributed")
    port = _free_port()
    run = _cli([*CLI_SWEEP, "--executor", f"dask://127.0.0.1:{port}", "--out", str(tmp_path / "out")], tmp_path)
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"solve: bad input: no Dask scheduler reachable at "
                                                   f"tcp://127.0.0.1:{port}"), run.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "sweep.sqlite").exists()
    t0 = time.monotonic()
    with pytest.raises(InvalidInput, match="no Dask scheduler reachable"):
        sweep(**LIB_SWEEP, executor=f"dask://127.0.0.1:{port}", store=tmp_path / "s.sqlite")
    # a refused connect answers at once; the probe's own timeout is the most it may take
    assert time.monotonic() - t0 < CONNECT_TIMEOUT_S
    assert not (tmp_path / "s.sqlite").exists()


try:
    from distributed.diagnostics.plugin import SchedulerPlugin
except ImportError:   # the Dask tests skip
    SchedulerPlugin = object


class KillOnFirstInstance(SchedulerPlugin):
    """A Dask scheduler plugin: SIGKILL one worker process the moment the scheduler hands it a sweep instance.

    The kill happens inside the scheduler's transition to ``processing``, before the instance reaches the
    worker: the worker dies holding an instance, whatever the timing of the solves.
    """

    def __init__(self, scheduler: Any, address: str, pid: int) -> None:
        self.scheduler, self.address, self.pid = scheduler, address, pid
        self.killed_on: str | None = None   # the Dask key the worker held when it was killed

    def transition(self, key: Any, start: str, finish: str, *args: Any, **kwargs: Any) -> None:
        if self.killed_on is None and finish == "processing" and str(key).startswith("run_instance"):
            task = self.scheduler.tasks.get(key)
            if task is not None and task.processing_on is not None and task.processing_on.address == self.address:
                os.kill(self.pid, signal.SIGKILL)
                self.killed_on = str(key)


@pytest.fixture
def dask_cluster() -> Iterator[tuple[Any, Any]]:
    """A Dask scheduler on loopback in this process, no workers (each test starts worker processes), a client."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=0, processes=True, host="127.0.0.1", scheduler_port=0,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster.scheduler_address) as client:
        yield cluster, client


@contextlib.contextmanager
def _worker_processes(client: Any, count: int, log: Path) -> Iterator[dict[str, int]]:
    """``count`` separate ``dask worker`` processes (one thread, no nanny, loopback) joined to the scheduler;
    yields their address -> pid, and kills them on exit."""
    address = client.scheduler.address
    before = set(client.nthreads())
    with open(log, "a") as fh:
        procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--no-nanny",
                                   "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard"],
                                  env=_env(), stdout=fh, stderr=fh) for _ in range(count)]
    try:
        client.wait_for_workers(len(before) + count, timeout=RUN_TIMEOUT_S)
        pids = {a: pid for a, pid in client.run(os.getpid).items() if a not in before}
        assert sorted(pids.values()) == sorted(p.pid for p in procs)   # no nanny: the worker is the process
        yield pids
    finally:
        for proc in procs:
            proc.kill()
            proc.wait(timeout=RUN_TIMEOUT_S)


def test_dask_worker_processes_and_a_worker_killed_mid_sweep(tmp_path: Path, dask_cluster: tuple,
                                                             reference: list[dict]) -> None:
    """The CLI through ``--executor dask://127.0.0.1:PORT`` with two worker processes, one killed holding an
    instance: Dask runs it again on the other, the sweep finishes with every record and the serial values."""
    cluster, client = dask_cluster
    with _worker_processes(client, 2, tmp_path / "workers.log") as pids:
        doomed, survivor = sorted(pids)
        plugin = KillOnFirstInstance(cluster.scheduler, doomed, pids[doomed])
        cluster.scheduler.add_plugin(plugin, name="kill-on-first-instance")
        port = cluster.scheduler_address.rsplit(":", 1)[1]
        store = tmp_path / "s.sqlite"
        run = _cli([*CLI_SWEEP, "--executor", f"dask://127.0.0.1:{port}", "--json", "-q", "--store", str(store)],
                   tmp_path)
    assert run.returncode == 0, run.stderr
    assert plugin.killed_on is not None, "the scheduler never gave the doomed worker an instance"
    summary = _summary(run.stdout)
    assert summary["solved_now"] == COUNT and summary["failed"] == 0
    assert _strip(summary["records"]) == _strip(reference)
    assert {r["worker"] for r in summary["records"]} == {pids[survivor]}   # solved in the surviving process


def test_dask_sweep_with_no_worker_left_stores_lost_and_resumes(tmp_path: Path, dask_cluster: tuple,
                                                                reference: list[dict]) -> None:
    """The only worker killed holding an instance: after ``worker_wait`` s with no worker the sweep returns
    (bounded: it runs in a thread joined with a timeout) with every instance stored ``lost``; with a new
    worker the same call solves them all."""
    cluster, client = dask_cluster
    store, executor = tmp_path / "s.sqlite", cluster.scheduler_address.replace("tcp://", "dask://")
    wait_s = 1.0   # short: the test waits this long with no worker (the library default is WORKER_WAIT_S)
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = sweep(**LIB_SWEEP, executor=executor, store=store, worker_wait=wait_s)
        except BaseException as err:  # noqa: BLE001 - handed to the test thread
            outcome["error"] = err

    with _worker_processes(client, 1, tmp_path / "workers.log") as pids:
        (only, pid), = pids.items()
        plugin = KillOnFirstInstance(cluster.scheduler, only, pid)
        cluster.scheduler.add_plugin(plugin, name="kill-on-first-instance")
        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        thread.join(timeout=RUN_TIMEOUT_S)
        assert not thread.is_alive(), "the sweep hung with no worker"
    assert "error" not in outcome, outcome.get("error")
    assert plugin.killed_on is not None
    lost = outcome["result"]
    assert lost.solved_now == COUNT and [r["status"] for r in lost.records] == [LOST] * COUNT
    assert all(r["message"] == f"no Dask worker for {wait_s:g} s" for r in lost.records)
    cluster.scheduler.remove_plugin(name="kill-on-first-instance")
    with _worker_processes(client, 1, tmp_path / "workers.log") as pids:
        again = sweep(**LIB_SWEEP, executor=executor, store=store)
    assert again.solved_now == COUNT and again.from_store == 0   # lost instances are solved again
    assert _strip(_plain(again.records)) == _strip(reference)
    assert {r["worker"] for r in again.records} == set(pids.values())
class DyingPool(cf.ProcessPoolExecutor):
    """A process pool whose processes end (``os._exit``) as they start, before any instance: a killed pool."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, initializer=os._exit, initargs=(3,), **kwargs)


def test_dead_pool_process_stores_lost_and_the_next_run_solves_them(tmp_path: Path, reference: list[dict],
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """``local`` with a pool process that dies: the sweep returns (it does not hang) with every instance stored
    ``lost``; the next run solves exactly those."""
    store = tmp_path / "s.sqlite"
    monkeypatch.setattr(cf, "ProcessPoolExecutor", DyingPool)
    dead = sweep(**LIB_SWEEP, executor="local:1", store=store)
    monkeypatch.undo()
    assert [r["status"] for r in dead.records] == [LOST] * COUNT
    assert all(r["message"].startswith("BrokenProcessPool") for r in dead.records)
    again = sweep(**LIB_SWEEP, executor="serial", store=store)
    assert again.solved_now == COUNT and again.from_store == 0
    assert _strip(_plain(again.records)) == _strip(reference)
