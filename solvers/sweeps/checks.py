"""A sweep's arguments, checked before any work (nothing written, no instance run)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from grids import InvalidInput
from solvers.arguments import folder_problem, out_folder
from solvers.sweeps.executors import check_scheduler, dask_address, dask_client, local_workers
from solvers.sweeps.spec import Instance, setting_params, solve_options

EXPORTS = ("csv", "parquet")
STOP_AFTER_ENV = "DUALMECH_SWEEP_STOP_AFTER"
STOP_AFTER_EXIT = 86       # exit code of the STOP_AFTER_ENV test hook (not one Python or a signal uses)


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


def validate(instances: list[Instance], executor: str, *, store: Path | str | None = None,
             out: Path | str | None = None, export: str = "csv") -> Path:
    """Refuse bad input before any work; return the store path.

    Checks, in this order: the instances (setting, solver, form, quadrature,
    grid size, parameter names and values: every distinct setting is built
    once, every solver option tested), the executor (a Dask scheduler must
    accept a TCP connection within :data:`solvers.sweeps.executors.CONNECT_TIMEOUT_S`), the output
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
    _validate_params(instances)
    _validate_executor(executor)
    out = out_folder(out)
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


def _validate_params(instances: list[Instance]) -> None:
    """Setting names, parameter names and values of every instance; each distinct setting built once.

    Solver options go through :func:`solvers.api.check_options`, the front door's own checks.
    """
    from grids import make_setting
    from grids.settings import REGISTRY
    from solvers.api import check_options

    seen: set[str] = set()
    for inst in instances:
        if inst.setting not in REGISTRY:
            raise InvalidInput(f"unknown setting {inst.setting!r} in the sweep; known: {', '.join(REGISTRY)}")
        if isinstance(inst.grid, bool) or not isinstance(inst.grid, int) or inst.grid < 2:
            raise InvalidInput(f"grid size k = {inst.grid!r} must be an integer >= 2")
        try:
            blob = json.dumps([inst.setting, setting_params(inst), solve_options(inst)], sort_keys=True)
            json.dumps(inst.as_dict())   # the instance key hashes this
        except (TypeError, ValueError) as err:
            raise InvalidInput(f"a sweep parameter is not a plain value (number, string, bool): {err}") from None
        if blob not in seen:
            seen.add(blob)
            check_options(solver=inst.solver, form=inst.form, quadrature=inst.quadrature, **solve_options(inst))
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
    dask_client()
    check_scheduler(address)


def _creatable(folder: Path, label: str) -> None:
    """``folder`` exists as a writable folder, or its nearest existing ancestor is one (it can be made)."""
    ancestor = folder if folder.exists() else next((p for p in folder.absolute().parents if p.exists()), None)
    why = "does not exist" if ancestor is None else folder_problem(ancestor)  # a real probe, as for --out
    if why:
        raise InvalidInput(f"{label}: {ancestor} {why}")


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
