"""Run a sweep: every instance once, through one concurrent.futures executor, into the store.

Executors: ``serial`` (in this process), ``local`` / ``local:N`` (a process
pool, all cores by default) and ``dask://host:port`` (a Dask distributed
scheduler, through ``Client.get_executor()``). All three go through the same
submit / wait loop; instances already in the store are skipped, and a
failing instance is recorded with its status and message.

Arguments are checked by :func:`validate` before any work (nothing is
written, no instance runs): names, parameter values, the executor (a Dask
scheduler must answer a TCP connect within :data:`CONNECT_TIMEOUT_S`), the
store, the output folder and the export format.

A worker that dies does not end the sweep or hang it. Dask runs a dead
worker's instances again on the other workers; with no worker at all for
``worker_wait`` seconds the sweep returns with the instances not done stored
with status ``lost``. A killed ``local`` pool process breaks the pool: the
instances not done are stored ``lost``. The next run solves ``lost``
instances again (other failures are final).

Test hook: with the environment variable ``DUALMECH_SWEEP_STOP_AFTER=N``
(:data:`STOP_AFTER_ENV`) the process ends with exit code
:data:`STOP_AFTER_EXIT` right after the N-th record of this run is stored,
without cleanup, as a kill at that point would; the tests resume from it.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import json
import logging
import math
import multiprocessing
import numbers
import os
import socket
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from grids import InvalidInput
from solvers.measure_solve import TRANSPORT_SOURCES
from solvers.sweep_spec import Instance, code_version
from solvers.sweep_store import ResultStore
from solvers.warm_start import WARM_STARTS

log = logging.getLogger("dualmech")
BASELINE_MIN_CELLS = 2048  # 1D grid of the separate-selling baseline (1D LPs take milliseconds)
TIME_FIELDS = ("solve_s", "menu_s", "baseline_s", "total_s", "worker")
DASK_SCHEMES = ("dask://", "tcp://", "inproc://", "tls://")
DASK_DEFAULT_PORT = 8786
CONNECT_TIMEOUT_S = 10.0   # a scheduler that has not answered a TCP connect by then is unreachable
WORKER_WAIT_S = 120.0      # default worker_wait: a Dask sweep with no worker this long stores the rest as lost
POLL_S = 1.0               # with nothing finished, how often the loop asks whether a Dask worker is left
LOST = "lost"              # status of an instance whose worker died; the next run solves it again
STOP_AFTER_ENV = "DUALMECH_SWEEP_STOP_AFTER"
STOP_AFTER_EXIT = 86       # exit code of the STOP_AFTER_ENV test hook (not one Python or a signal uses)
EXPORTS = ("csv", "parquet")
SETTING_PARAMS = ("alpha", "belief", "dist")   # keyword arguments of grids.make_setting


def _positive(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 and not math.isnan(v)


def _whole(low: int) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= low


def _one_of(*names: Any) -> Callable[[Any], bool]:
    return lambda v: any(v is n or (isinstance(v, str) and v == n) for n in names)


# solvers.api.solve options a sweep may fix or pass per instance, each with the test its value must pass
SOLVE_OPTIONS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "pair_tol": (lambda v: _positive(v) and math.isfinite(v), "a finite number > 0"),
    "gap_tol": (lambda v: _positive(v) and math.isfinite(v), "a finite number > 0"),
    "feasibility_tol": (lambda v: _positive(v) and math.isfinite(v), "a finite number > 0"),
    "time_limit": (_positive, "a number of seconds > 0 (inf: none)"),
    "max_rounds": (_whole(1), "a whole number >= 1"),
    "threads": (_whole(0), "a whole number >= 0"),
    "stencil": (_whole(1), "a whole number >= 1"),
    "reduce_axis": (_one_of(None, True, False), "true, false or none"),
    "fold": (_one_of(None, True, False), "true, false or none"),
    "warm_start": (_one_of(*WARM_STARTS), "one of " + ", ".join(WARM_STARTS)),
    "transport": (_one_of(*TRANSPORT_SOURCES), "one of " + ", ".join(TRANSPORT_SOURCES)),
}


class InlineExecutor(cf.Executor):
    """Runs each submitted call at once in this process (the ``serial`` executor)."""

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> cf.Future:
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as err:  # noqa: BLE001 - handed to the caller through the future
            future.set_exception(err)
        return future


@dataclass(frozen=True)
class Pool:
    """An open executor, how many calls to keep in flight on it, and (Dask) how many workers it has now."""

    executor: cf.Executor
    window: int
    workers: Callable[[], int] | None = None


def local_workers(spec: str) -> int:
    """Worker count of ``local`` (all cores) or ``local:N``.

    Raises
    ------
    grids.InvalidInput
        N is not a whole number >= 1.
    """
    if spec == "local":
        return os.cpu_count() or 1
    try:
        count = int(spec.split(":", 1)[1])
    except ValueError:
        raise InvalidInput(f"executor {spec!r}: local:N needs a whole number of workers") from None
    if count < 1:
        raise InvalidInput(f"executor {spec!r}: at least 1 worker")
    return count


def dask_address(spec: str) -> str:
    """The scheduler address of a Dask executor spelling: ``dask://host:port`` becomes ``tcp://host:port``.

    Raises
    ------
    grids.InvalidInput
        Not a Dask spelling, no host, or a port that is not a number in 1..65535.
    """
    if not spec.startswith(DASK_SCHEMES):
        raise InvalidInput(f"unknown executor {spec!r}; known: serial, local, local:N, dask://host:port")
    address = "tcp://" + spec[len("dask://"):] if spec.startswith("dask://") else spec
    if address.startswith("inproc://"):
        return address
    host, port = _host_port(address.split("://", 1)[1], spec)
    return f"{address.split('://', 1)[0]}://{host}:{port}"


def _host_port(location: str, spec: str) -> tuple[str, int]:
    host, sep, port_text = location.rpartition(":")
    if not sep or "]" in port_text:   # no port (an IPv6 host in brackets has colons of its own)
        host, port_text = location, str(DASK_DEFAULT_PORT)
    if not host.strip("[]"):
        raise InvalidInput(f"executor {spec!r}: no scheduler host; expected dask://host:port")
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise InvalidInput(f"executor {spec!r}: port {port_text!r} is not a number in 1..65535")
    return host, int(port_text)


def check_scheduler(address: str, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """Refuse a Dask scheduler address where nothing accepts a TCP connection within ``timeout`` seconds.

    ``inproc://`` addresses (a scheduler in this process) are not probed.

    Raises
    ------
    grids.InvalidInput
        The connection was refused, timed out or the host is unknown.
    """
    if address.startswith("inproc://"):
        return
    host, port = _host_port(address.split("://", 1)[1], address)
    try:
        with socket.create_connection((host.strip("[]"), port), timeout=timeout):
            pass
    except OSError as err:   # refused, unreachable, unknown host, or socket.timeout
        reason = f"no answer in {timeout:g} s" if isinstance(err, TimeoutError) else str(err)
        raise InvalidInput(f"no Dask scheduler reachable at {address} ({reason})") from None


@contextlib.contextmanager
def open_executor(spec: str) -> Iterator[Pool]:
    """The executor for ``serial``, ``local``, ``local:N`` or ``dask://host:port`` (also ``tcp://``,
    ``inproc://``, ``tls://`` addresses).

    Raises
    ------
    grids.InvalidInput
        An unknown spelling, Dask missing, or a scheduler that does not answer.
    """
    if spec == "serial":
        yield Pool(InlineExecutor(), 1)
    elif spec == "local" or spec.startswith("local:"):
        count = local_workers(spec)
        with cf.ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("spawn")) as pool:
            yield Pool(pool, 2 * count)
    else:
        address = dask_address(spec)
        client_class = _dask_client()
        try:
            client = client_class(address, timeout=f"{CONNECT_TIMEOUT_S}s")
        except (OSError, TimeoutError) as err:
            raise InvalidInput(f"no Dask scheduler reachable at {address} ({err})") from None
        with client:
            yield Pool(client.get_executor(pure=False), 2 * max(1, sum(client.nthreads().values())),
                       lambda: _worker_count(client))


def _dask_client() -> type:
    try:
        from distributed import Client
    except ImportError:
        raise InvalidInput("a Dask executor needs dask[distributed]: pip install 'dask[distributed]'") from None
    return Client


def _worker_count(client: Any) -> int:
    try:
        return len(client.nthreads())
    except (OSError, TimeoutError):   # the scheduler itself is gone: no worker either
        return 0


def separate_selling(inst: Instance) -> float | None:
    """Sum over goods of the 1D optimal menu profit with that good's marginal law and belief.

    Defined for n >= 2 goods with a product law (not samples): the
    separate-selling baseline of the bundling gain. The 1D LPs run on a grid
    refined to at least BASELINE_MIN_CELLS cells (a multiple of k, so c stays
    a grid point): on the sweep's own k the 1D menu loses profit wherever the
    optimal spread falls between grid points (amm1d alpha = 0.5, k = 64:
    0.08301 against 1/12), which inflated the gain.
    """
    from grids import make_setting
    from grids.distributions import ProductDistribution
    from solvers.api import solve

    s = make_setting(inst.setting, **setting_params(inst))   # solver options are not the setting's
    if s.n < 2 or not isinstance(s.dist, ProductDistribution):
        return None
    one_d = inst.setting[:-2] + "1d"
    profits: dict[float, float] = {}
    for c in s.c:
        if c not in profits:
            k = inst.grid * -(-BASELINE_MIN_CELLS // inst.grid)
            sol = solve(one_d, k, solver="highs", quadrature=inst.quadrature, alpha=s.alpha,
                        belief=[float(c)], dist=s.dist.spec)
            profits[c] = sol.menu_profit().value
    return float(sum(profits[c] for c in s.c))


def setting_params(inst: Instance) -> dict[str, Any]:
    """The instance's :func:`grids.make_setting` arguments (alpha, belief, dist), without solver options."""
    return {k: v for k, v in inst.params if k in SETTING_PARAMS}


def run_instance(key: str, inst: Instance) -> dict[str, Any]:
    """Solve one instance; never raises for a bad instance or a solver failure (they become its status)."""
    from solvers.api import solve
    from solvers.status import SolverFailure

    t0 = time.perf_counter()
    rec: dict[str, Any] = {"key": key, **inst.as_dict(), "status": None, "message": "", "worker": os.getpid()}
    quiet = _Quiet(logging.getLogger("dualmech"))
    try:
        with quiet, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sol = solve(inst.setting, inst.grid, solver=inst.solver, form=inst.form, quadrature=inst.quadrature,
                        **dict(inst.params))
        t1 = time.perf_counter()
        mp = sol.menu_profit()
        t2 = time.perf_counter()
        rec.update(status=sol.status, message="; ".join(str(w.message) for w in caught),
                   primal=sol.primal.value, dual=sol.dual.value, gap=sol.gap, dual_bound=sol.dual.bound,
                   menu_profit=mp.value, menu_profit_stderr=mp.stderr, menu_size=len(sol.menu()),
                   solve_s=t1 - t0, menu_s=t2 - t1)
        separate = separate_selling(inst)
        rec["separate_profit"] = separate
        rec["bundling_gain"] = None if not separate else mp.value / separate - 1.0
        rec["baseline_s"] = time.perf_counter() - t2
    except InvalidInput as err:
        rec.update(status="invalid", message=str(err))
    except SolverFailure as err:
        rec.update(status=err.status, message=str(err))
    except Exception as err:  # noqa: BLE001 - recorded; the other instances go on
        rec.update(status="error", message=f"{type(err).__name__}: {err}")
    rec["total_s"] = time.perf_counter() - t0
    return rec


class _Quiet:
    """The per-solve log lines of one instance are not shown (the sweep's progress bar is)."""

    def __init__(self, logger: logging.Logger) -> None:
        self.logger, self.level = logger, logger.level

    def __enter__(self) -> None:
        self.logger.setLevel(logging.WARNING)

    def __exit__(self, *exc: object) -> None:
        self.logger.setLevel(self.level)


@dataclass(frozen=True, eq=False)
class SweepResult:
    """Records in instance order, with how many were solved now and how many came from the store."""

    records: tuple[dict[str, Any], ...]
    axes: dict[str, list[Any]]
    solved_now: int
    from_store: int
    wall_s: float
    store: Path

    def to_dataframe(self):  # -> pandas.DataFrame
        """The records as a pandas DataFrame (needs pandas)."""
        try:
            import pandas as pd
        except ImportError:
            raise InvalidInput("to_dataframe needs pandas: pip install pandas") from None
        return pd.DataFrame.from_records(list(self.records))

    def to_csv(self, path: Path | str) -> Path:
        import csv

        columns = list(dict.fromkeys(k for rec in self.records for k in rec))
        with open(path, "w", newline="") as fh:
            writer = csv.DictWriter(fh, columns)
            writer.writeheader()
            writer.writerows(self.records)
        return Path(path)

    def to_parquet(self, path: Path | str) -> Path:
        """Parquet through pandas (needs pandas and pyarrow or fastparquet)."""
        try:
            self.to_dataframe().to_parquet(path)
        except ImportError as err:
            raise InvalidInput(f"Parquet export needs pandas with pyarrow: {err}") from None
        return Path(path)

    def plot(self, path: Path | str | None = None, x: str | None = None):
        from solvers.sweep_plot import plot_sweep

        return plot_sweep(self, path, x)


def execute(instances: list[Instance], store_path: Path | str, executor: str = "local",
            progress: bool = True, axes: dict[str, list[Any]] | None = None,
            worker_wait: float = WORKER_WAIT_S) -> SweepResult:
    """Solve the instances missing from the store; return all records in instance order.

    Call :func:`validate` first: this runs what it is given. The executor is
    opened (a Dask scheduler connected) before the store is, so an executor
    that cannot start leaves no store behind. Instances stored ``lost`` are
    solved again.

    Raises
    ------
    KeyboardInterrupt
        Passed on after the records finished so far are stored (re-run to resume).
    grids.InvalidInput
        The Dask scheduler refused the client.
    """
    t0 = time.perf_counter()
    version = code_version()
    keys = [inst.key(version) for inst in instances]
    stop_after = stop_after_from_env()
    with open_executor(executor) as pool, ResultStore(store_path) as store:
        done = store.keys(exclude_status=(LOST,))
        todo = [(key, inst) for key, inst in dict(zip(keys, instances)).items() if key not in done]
        from_store = len(set(keys) & done)
        log.info("sweep: %d instances, %d in the store, %d to solve on %s", len(set(keys)), from_store,
                 len(todo), executor)
        bar = _progress(len(todo), progress)
        queue, futures = iter(todo), {}   # at most ``window`` in flight: each record is stored as it ends
        stored, no_worker_since = 0, None
        try:
            _refill(pool.executor, queue, futures, pool.window)
            while futures:
                finished, _ = cf.wait(futures, timeout=None if pool.workers is None else POLL_S,
                                      return_when=cf.FIRST_COMPLETED)
                if not finished:   # Dask only: is any worker left to run what is waiting?
                    if pool.workers() > 0:
                        no_worker_since = None
                    elif no_worker_since is None:
                        no_worker_since = time.monotonic()
                    elif time.monotonic() - no_worker_since >= worker_wait:
                        _store_lost(store, futures, queue, f"no Dask worker for {worker_wait:g} s")
                        break
                    continue
                for future in finished:
                    key, inst = futures.pop(future)
                    try:
                        rec = future.result()
                    except Exception as err:  # noqa: BLE001 - its worker died: lost, the next run solves it
                        rec = _lost(key, inst, f"{type(err).__name__}: {err}")
                    store.put(rec)
                    bar.update(1)
                    stored += 1
                    if stored == stop_after:
                        os._exit(STOP_AFTER_EXIT)   # the test hook: end as a kill here would, no cleanup
                _refill(pool.executor, queue, futures, pool.window)
        except BaseException:
            for future in futures:
                future.cancel()
            raise
        finally:
            bar.close()
        records = store.get(keys)
    return SweepResult(tuple(records[k] for k in dict.fromkeys(keys)), axes or {}, len(todo), from_store,
                       time.perf_counter() - t0, Path(store_path))


def _lost(key: str, inst: Instance, message: str) -> dict[str, Any]:
    return {"key": key, **inst.as_dict(), "status": LOST, "message": message}


def _store_lost(store: ResultStore, futures: dict, queue: Iterator, message: str) -> None:
    """Store every instance in flight or not yet submitted as lost, and cancel what is in flight."""
    for future, (key, inst) in list(futures.items()):
        future.cancel()
        store.put(_lost(key, inst, message))
    futures.clear()
    for key, inst in queue:
        store.put(_lost(key, inst, message))


def stop_after_from_env() -> int | None:
    """N of the ``DUALMECH_SWEEP_STOP_AFTER=N`` test hook, or None when it is unset.

    Raises
    ------
    grids.InvalidInput
        The variable is set but not a whole number >= 1.
    """
    text = os.environ.get(STOP_AFTER_ENV)
    if text is None:
        return None
    if not text.strip().isdigit() or int(text) < 1:
        raise InvalidInput(f"{STOP_AFTER_ENV}={text!r}: expected a whole number >= 1")
    return int(text)


def _refill(pool: cf.Executor, queue: Iterator, futures: dict, window: int) -> None:
    """Submit from ``queue`` until ``window`` calls are in flight; a broken pool's refusal is that call's end."""
    for key, inst in queue:
        try:
            future = pool.submit(run_instance, key, inst)
        except cf.BrokenExecutor as err:   # a pool process died: this one is lost too, as the loop records
            future = cf.Future()
            future.set_exception(err)
        futures[future] = (key, inst)
        if len(futures) >= window:
            return


def _progress(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, unit="solve", file=sys.stderr, disable=not enabled, desc="sweep")


def sweep(
    setting: str, grid: int = 64, *, sweep: dict[str, Any] | None = None, executor: str = "local",
    store: Path | str | None = None, solver: str = "highs", form: str = "gradient", quadrature: str = "cell",
    progress: bool = False, worker_wait: float = WORKER_WAIT_S, **params: Any,
) -> SweepResult:
    """Solve the cartesian product of ``sweep`` values over fixed ``params``; see :mod:`solvers.sweep_spec`.

    Parameters
    ----------
    setting : str
        A registered setting name.
    grid : int
        Cells per axis k (>= 2), unless swept.
    sweep : dict, optional
        Maps a parameter (alpha, belief, dist, grid, ...) to a list of values
        or to a spec string (``"0:0.9:0.05"``, ``"0.5,0.5;0.25,0.25"``).
    executor : str
        ``serial``, ``local``, ``local:N`` or ``dask://host:port``.
    store : path, optional
        The SQLite store (default ``sweep.sqlite``); instances already there
        are not solved again. Missing folders above it are created.
    solver, form, quadrature : str
        As for :func:`solvers.solve`, unless swept.
    progress : bool
        A tqdm bar on stderr.
    worker_wait : float
        Dask only: seconds with no worker at the scheduler after which the
        remaining instances are stored ``lost`` and the sweep returns.
    **params
        Fixed setting parameters (alpha, belief, dist) and solver options
        (:data:`SOLVE_OPTIONS`) for every instance.

    Raises
    ------
    grids.InvalidInput
        Any bad argument, before any work: see :func:`validate`.
    """
    from solvers.sweep_spec import parse_values, product

    if not isinstance(setting, str):
        raise InvalidInput(f"setting = {setting!r} must be a setting name")
    if isinstance(grid, bool) or not isinstance(grid, numbers.Integral):
        raise InvalidInput(f"grid size k = {grid!r} must be an integer >= 2")
    if not isinstance(progress, bool):
        raise InvalidInput(f"progress = {progress!r} must be true or false")
    if not (_positive(worker_wait) and math.isfinite(worker_wait)):
        raise InvalidInput(f"worker_wait = {worker_wait!r} must be a finite number of seconds > 0")
    if sweep is not None and not isinstance(sweep, dict):
        raise InvalidInput(f"sweep = {sweep!r} must map parameter names to values")
    axes = {}
    for name, vals in (sweep or {}).items():
        if isinstance(vals, (list, tuple)):
            vals = ";".join(map(str, vals))
        if not isinstance(vals, str):
            raise InvalidInput(f"sweep {name}: {vals!r} is neither a spec string nor a list of values")
        axes[name] = parse_values(name, vals)
    fixed = {"setting": setting, "grid": grid, "solver": solver, "form": form, "quadrature": quadrature, **params}
    both = sorted(set(axes) & set(params))
    if both:
        raise InvalidInput(f"{', '.join(both)} given both as a fixed value and in sweep")
    instances = product(fixed, axes)
    store_path = validate(instances, executor, store=store)
    return execute(instances, store_path, executor, progress, axes, worker_wait)


def validate(instances: list[Instance], executor: str, *, store: Path | str | None = None,
             out: Path | str | None = None, export: str = "csv") -> Path:
    """Refuse bad input before any work; return the store path.

    Checks, in this order: the instances (setting, solver, form, quadrature,
    grid size, parameter names and values: every distinct setting is built
    once, every solver option tested), the executor (a Dask scheduler must
    accept a TCP connection within :data:`CONNECT_TIMEOUT_S`), the output
    folder ``out``, the store (``store``, else ``OUT/sweep.sqlite``, else
    ``./sweep.sqlite``) and the ``export`` format (parquet needs pandas and
    pyarrow). Nothing is written. What depends on the grid (a belief that is
    not a grid point) is each instance's own business: it is stored as that
    instance's failure.

    Raises
    ------
    grids.InvalidInput
        The first problem found, in one sentence.
    """
    if not instances:
        raise InvalidInput("the sweep has no instances")
    _validate_names(instances)
    _validate_params(instances)
    _validate_executor(executor)
    if out is not None:
        out = Path(out)
        if out.exists() and not out.is_dir():
            raise InvalidInput(f"--out {out} exists and is not a folder")
        _creatable(out, f"--out {out}")
    store_path = Path(store) if store is not None else (out / "sweep.sqlite" if out is not None
                                                        else Path("sweep.sqlite"))
    _writable_file(store_path, "store")
    if store_path.is_file() and not _is_sqlite(store_path):
        raise InvalidInput(f"store {store_path} exists and is not an SQLite file")
    if export not in EXPORTS:
        raise InvalidInput(f"unknown export format {export!r}; known: {', '.join(EXPORTS)}")
    if export == "parquet":
        try:
            import pandas  # noqa: F401 - refused before any work when missing
            import pyarrow  # noqa: F401
        except ImportError as err:
            raise InvalidInput(f"--export parquet needs pandas and pyarrow ({err})") from None
    stop_after_from_env()
    return store_path


def _validate_names(instances: list[Instance]) -> None:
    from grids.settings import REGISTRY
    from solvers.api import FORMS
    from solvers.backends import require_backend

    for name, solver, form, quadrature in {(i.setting, i.solver, i.form, i.quadrature) for i in instances}:
        if name not in REGISTRY:
            raise InvalidInput(f"unknown setting {name!r} in the sweep; known: {', '.join(REGISTRY)}")
        require_backend(solver)
        if form not in FORMS:
            raise InvalidInput(f"unknown form {form!r}; known forms: {', '.join(FORMS)}")
        if quadrature not in ("cell", "away"):
            raise InvalidInput(f"unknown quadrature {quadrature!r}; known: cell, away")


def _validate_params(instances: list[Instance]) -> None:
    """Names, JSON-ness and values of every instance's parameters; each distinct setting built once."""
    from grids import make_setting

    settings_seen: set[str] = set()
    for inst in instances:
        if inst.grid < 2:
            raise InvalidInput(f"grid size k = {inst.grid} must be an integer >= 2")
        for name, value in inst.params:
            if name in SOLVE_OPTIONS:
                ok, expected = SOLVE_OPTIONS[name]
                if not ok(value):
                    raise InvalidInput(f"{name} = {value!r} must be {expected}")
            elif name not in SETTING_PARAMS:
                known = ", ".join([*SETTING_PARAMS, *SOLVE_OPTIONS])
                raise InvalidInput(f"unknown parameter {name!r}; known: {known}")
        try:
            blob = json.dumps([inst.setting, setting_params(inst)], sort_keys=True)
            json.dumps(inst.as_dict())   # the instance key hashes this
        except (TypeError, ValueError) as err:
            raise InvalidInput(f"a sweep parameter is not a plain value (number, string, bool): {err}") from None
        if blob not in settings_seen:
            settings_seen.add(blob)
            make_setting(inst.setting, **setting_params(inst))   # raises InvalidInput naming the problem


def _validate_executor(executor: str) -> None:
    if not isinstance(executor, str):
        raise InvalidInput(f"executor = {executor!r} must be a string such as 'local:2'")
    if executor == "serial":
        return
    if executor == "local" or executor.startswith("local:"):
        local_workers(executor)
        return
    address = dask_address(executor)   # refuses unknown spellings
    _dask_client()
    check_scheduler(address)


def _creatable(folder: Path, label: str) -> None:
    """``folder`` exists as a writable folder, or its nearest existing ancestor is one (it can be made)."""
    ancestor = folder if folder.exists() else next((p for p in folder.absolute().parents if p.exists()), None)
    if ancestor is None or not ancestor.is_dir():
        raise InvalidInput(f"{label}: {ancestor} is not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise InvalidInput(f"{label}: folder {ancestor} is not writable")


def _writable_file(path: Path, what: str) -> None:
    """``path`` is a readable and writable file, or can be created; its folder takes SQLite's -wal file."""
    if path.is_dir():
        raise InvalidInput(f"{what} {path} is a folder; give a file path such as {path / 'sweep.sqlite'}")
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise InvalidInput(f"{what} {path} is not readable and writable")
    _creatable(path.parent, f"{what} {path}")


def _is_sqlite(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(16)
    return head in (b"", b"SQLite format 3\x00")
