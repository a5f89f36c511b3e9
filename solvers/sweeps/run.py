"""Run a sweep: every instance once, through one concurrent.futures executor, into the store.

Executors: ``serial`` (in this process), ``local`` / ``local:N`` (a process
pool, all cores by default) and ``dask://host:port`` (a Dask distributed
scheduler, through ``Client.get_executor()``). All three go through the same
submit / wait loop; instances already in the store are skipped, and a
failing instance is recorded with its status and message.

Arguments are checked by :func:`solvers.sweeps.checks.validate` before any work (nothing is
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
(:data:`solvers.sweeps.checks.STOP_AFTER_ENV`) the process ends with exit code
:data:`STOP_AFTER_EXIT` right after the N-th record of this run is stored,
without cleanup, as a kill at that point would; the tests resume from it.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import numbers
import os
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from grids import InvalidInput
from solvers import arguments as arg
from solvers import status as st
from solvers.sweeps.checks import STOP_AFTER_EXIT, stop_after_from_env, validate
from solvers.sweeps.executors import open_executor
from solvers.sweeps.spec import Instance, code_version, setting_params
from solvers.sweeps.store import ResultStore

log = logging.getLogger("dualmech")
BASELINE_MIN_CELLS = 2048  # 1D grid of the separate-selling baseline (1D LPs take milliseconds)
TIME_FIELDS = ("solve_s", "menu_s", "baseline_s", "total_s", "worker")
WORKER_WAIT_S = 120.0      # default worker_wait: a Dask sweep with no worker this long stores the rest as lost
POLL_S = 1.0               # with nothing finished, how often the loop asks whether a Dask worker is left


def separate_selling(inst: Instance) -> float | None:
    """Sum over goods of the 1D optimal menu profit with that good's marginal law and belief.

    Defined for n >= 2 goods with a product law (not samples): the
    separate-selling baseline of the bundling gain. The 1D LPs run on a grid
    refined to at least BASELINE_MIN_CELLS cells (a multiple of k, so c stays
    a grid point): on the sweep's own k the 1D menu loses profit wherever the
    optimal spread falls between grid points (amm1d alpha = 0.5, k = 64:
    0.08301 against 1/12), which inflated the gain.
    """
    from grids import make_setting, one_good_setting
    from grids.distributions import ProductDistribution
    from solvers.api import solve

    s = make_setting(inst.setting, **setting_params(inst))   # solver options are not the setting's
    if s.n < 2 or not isinstance(s.dist, ProductDistribution):
        return None
    one_d = one_good_setting(inst.setting)
    profits: dict[float, float] = {}
    for c in s.c:
        if c not in profits:
            k = inst.grid * -(-BASELINE_MIN_CELLS // inst.grid)
            sol = solve(one_d, k, solver="highs", quadrature=inst.quadrature, alpha=s.alpha,
                        belief=[float(c)], dist=s.dist.spec)
            profits[c] = sol.menu_profit().value
    return float(sum(profits[c] for c in s.c))


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
        rec.update(status=st.INVALID, message=str(err))
    except SolverFailure as err:
        rec.update(status=err.status, message=str(err))
    except Exception as err:  # noqa: BLE001 - recorded; the other instances go on
        rec.update(status=st.ERROR, message=f"{type(err).__name__}: {err}")
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
        from solvers.sweeps.plot import plot_sweep

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
        done = store.keys(exclude_status=(st.LOST,))
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
    return {"key": key, **inst.as_dict(), "status": st.LOST, "message": message}


def _store_lost(store: ResultStore, futures: dict, queue: Iterator, message: str) -> None:
    """Store every instance in flight or not yet submitted as lost, and cancel what is in flight."""
    for future, (key, inst) in list(futures.items()):
        future.cancel()
        store.put(_lost(key, inst, message))
    futures.clear()
    for key, inst in queue:
        store.put(_lost(key, inst, message))


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
    """Solve the cartesian product of ``sweep`` values over fixed ``params``; see :mod:`solvers.sweeps.spec`.

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
        (the keyword options of :func:`solvers.solve`) for every instance.

    Raises
    ------
    grids.InvalidInput
        Any bad argument, before any work: see :func:`validate`.
    """
    from solvers.sweeps.spec import parse_values, product

    if not isinstance(setting, str):
        raise InvalidInput(f"setting = {setting!r} must be a setting name")
    if isinstance(grid, bool) or not isinstance(grid, numbers.Integral):
        raise InvalidInput(f"grid size k = {grid!r} must be an integer >= 2")
    arg.flag("progress", progress, allow_none=False)
    arg.positive("worker_wait", worker_wait)
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
