"""Run a sweep: every instance once, through one concurrent.futures executor, into the store.

Executors: ``serial`` (in this process), ``local`` / ``local:N`` (a process
pool, all cores by default) and ``dask://host:port`` (a Dask distributed
scheduler, through ``Client.get_executor()``). All three go through the same
submit / as_completed loop; instances already in the store are skipped, and a
failing instance is recorded with its status and message.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import logging
import multiprocessing
import os
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from grids import InvalidInput
from solvers.sweep_spec import Instance, code_version
from solvers.sweep_store import ResultStore

log = logging.getLogger("dualmech")
BASELINE_MIN_CELLS = 2048  # 1D grid of the separate-selling baseline (1D LPs take milliseconds)
TIME_FIELDS = ("solve_s", "menu_s", "baseline_s", "total_s", "worker")


class InlineExecutor(cf.Executor):
    """Runs each submitted call at once in this process (the ``serial`` executor)."""

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> cf.Future:
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as err:  # noqa: BLE001 - handed to the caller through the future
            future.set_exception(err)
        return future


@contextlib.contextmanager
def open_executor(spec: str) -> Iterator[tuple[cf.Executor, int]]:
    """The executor for ``serial``, ``local``, ``local:N`` or ``dask://host:port`` (also ``tcp://``,
    ``inproc://`` addresses), and how many calls to keep in flight on it."""
    if spec == "serial":
        yield InlineExecutor(), 1
    elif spec == "local" or spec.startswith("local:"):
        count = os.cpu_count() or 1
        if spec.startswith("local:"):
            try:
                count = int(spec.split(":", 1)[1])
            except ValueError:
                raise InvalidInput(f"executor {spec!r}: local:N needs a whole number of workers") from None
            if count < 1:
                raise InvalidInput(f"executor {spec!r}: at least 1 worker")
        with cf.ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("spawn")) as pool:
            yield pool, 2 * count
    elif spec.startswith(("dask://", "tcp://", "inproc://", "tls://")):
        try:
            from distributed import Client
        except ImportError:
            raise InvalidInput("a Dask executor needs dask[distributed]: pip install 'dask[distributed]'") from None
        address = "tcp://" + spec[len("dask://"):] if spec.startswith("dask://") else spec
        with Client(address, timeout="20s") as client:
            yield client.get_executor(pure=False), 2 * max(1, sum(client.nthreads().values()))
    else:
        raise InvalidInput(f"unknown executor {spec!r}; known: serial, local, local:N, dask://host:port")


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

    s = make_setting(inst.setting, **dict(inst.params))
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
            progress: bool = True, axes: dict[str, list[Any]] | None = None) -> SweepResult:
    """Solve the instances missing from the store; return all records in instance order.

    Raises
    ------
    KeyboardInterrupt
        Passed on after the records finished so far are stored (re-run to resume).
    """
    t0 = time.perf_counter()
    version = code_version()
    keys = [inst.key(version) for inst in instances]
    with ResultStore(store_path) as store, open_executor(executor) as (pool, window):
        done = store.keys()
        todo = [(key, inst) for key, inst in dict(zip(keys, instances)).items() if key not in done]
        from_store = len(set(keys) & done)
        log.info("sweep: %d instances, %d in the store, %d to solve on %s", len(set(keys)), from_store,
                 len(todo), executor)
        bar = _progress(len(todo), progress)
        queue, futures = iter(todo), {}   # at most ``window`` in flight: each record is stored as it ends
        try:
            _refill(pool, queue, futures, window)
            while futures:
                done, _ = cf.wait(futures, return_when=cf.FIRST_COMPLETED)
                for future in done:
                    key, inst = futures.pop(future)
                    try:
                        rec = future.result()
                    except Exception as err:  # noqa: BLE001 - a worker died: recorded, the rest go on
                        rec = {"key": key, **inst.as_dict(), "status": "error",
                               "message": f"{type(err).__name__}: {err}"}
                    store.put(rec)
                    bar.update(1)
                _refill(pool, queue, futures, window)
        except BaseException:
            for future in futures:
                future.cancel()
            raise
        finally:
            bar.close()
        records = store.get(keys)
    return SweepResult(tuple(records[k] for k in dict.fromkeys(keys)), axes or {}, len(todo), from_store,
                       time.perf_counter() - t0, Path(store_path))


def _refill(pool: cf.Executor, queue: Iterator, futures: dict, window: int) -> None:
    for key, inst in queue:
        futures[pool.submit(run_instance, key, inst)] = (key, inst)
        if len(futures) >= window:
            return


def _progress(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, unit="solve", file=sys.stderr, disable=not enabled, desc="sweep")


def sweep(
    setting: str, grid: int = 64, *, sweep: dict[str, Any] | None = None, executor: str = "local",
    store: Path | str | None = None, solver: str = "highs", form: str = "gradient", quadrature: str = "cell",
    progress: bool = False, **params: Any,
) -> SweepResult:
    """Solve the cartesian product of ``sweep`` values over fixed ``params``; see :mod:`solvers.sweep_spec`.

    ``sweep`` maps a parameter (alpha, belief, dist, grid, ...) to a list of
    values or to a spec string (``"0:0.9:0.05"``, ``"0.5,0.5;0.25,0.25"``).
    Results go to the SQLite ``store`` (default ``sweep.sqlite``); instances
    already there are not solved again.

    Raises
    ------
    grids.InvalidInput
        Unknown setting, solver, form, quadrature, executor or sweep term, before any work.
    """
    from solvers.sweep_spec import parse_values, product

    axes = {name: parse_values(name, vals) if isinstance(vals, str) else parse_values(name, ";".join(map(str, vals)))
            for name, vals in (sweep or {}).items()}
    instances = product({"setting": setting, "grid": grid, "solver": solver, "form": form,
                         "quadrature": quadrature, **params}, axes)
    validate(instances, executor)
    return execute(instances, store or Path("sweep.sqlite"), executor, progress, axes)


def validate(instances: list[Instance], executor: str) -> None:
    """Refuse unknown names before any work (parameter values are each instance's own business)."""
    from grids.settings import REGISTRY
    from solvers.api import FORMS
    from solvers.backends import require_backend

    if not instances:
        raise InvalidInput("the sweep has no instances")
    for inst in {(i.setting, i.solver, i.form, i.quadrature) for i in instances}:
        name, solver, form, quadrature = inst
        if name not in REGISTRY:
            raise InvalidInput(f"unknown setting {name!r} in the sweep; known: {', '.join(REGISTRY)}")
        require_backend(solver)
        if form not in FORMS:
            raise InvalidInput(f"unknown form {form!r}; known forms: {', '.join(FORMS)}")
        if quadrature not in ("cell", "away"):
            raise InvalidInput(f"unknown quadrature {quadrature!r}; known: cell, away")
    if not (executor in ("serial", "local") or executor.startswith(("local:", "dask://", "tcp://", "inproc://",
                                                                   "tls://"))):
        raise InvalidInput(f"unknown executor {executor!r}; known: serial, local, local:N, dask://host:port")
