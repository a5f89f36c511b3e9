"""Argument checks shared by the library's front doors (solve, sweep, the auction entry points).

Each raises :class:`grids.InvalidInput` with one sentence naming the argument,
before any work; the command line maps that to one line and exit code 2.
"""

from __future__ import annotations

import math
import numbers
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable

from grids import InvalidInput


def positive(name: str, value: Any, *, allow_inf: bool = False) -> float:
    """``value`` as a float > 0 (finite unless ``allow_inf``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value) or not value > 0:
        raise InvalidInput(f"{name} must be a positive number, got {value!r}")
    if math.isinf(value) and not allow_inf:
        raise InvalidInput(f"{name} must be finite, got {value!r}")
    return float(value)


def integer(name: str, value: Any, minimum: int) -> int:
    """``value`` as an int >= ``minimum`` (bools and floats refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise InvalidInput(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def flag(name: str, value: Any, *, allow_none: bool = True) -> bool | None:
    """``value`` if it is a bool (or None where allowed); 1, "yes" and the like are refused."""
    if not (isinstance(value, bool) or (allow_none and value is None)):
        raise InvalidInput(f"{name} must be True, False{' or None' if allow_none else ''}, got {value!r}")
    return value


def choice(name: str, value: Any, known: Iterable[Any]) -> Any:
    """``value`` if it is one of ``known``; otherwise an error listing them."""
    known = tuple(known)
    if value not in known:
        raise InvalidInput(f"unknown {name} {value!r}; known: {', '.join(map(str, known))}")
    return value


def folder_problem(folder: Path) -> str | None:
    """Why nothing can be created in ``folder`` (None when a probe folder can be made and removed).

    A real probe, not :func:`os.access`: as root ``access`` says yes to
    read-only mounts and to /proc.
    """
    if not folder.is_dir():
        return "does not exist" if not folder.exists() else "is not a folder"
    try:
        tempfile.TemporaryDirectory(prefix=".dualmech-probe-", dir=folder).cleanup()
    except OSError as err:
        return f"is not writable ({err.strerror or err})"
    return None


def out_folder(path: str | os.PathLike | None) -> Path | None:
    """A folder results may go to: absent or a writable folder, inside an existing writable folder.

    Results are staged in a temporary folder beside it and moved in at the end
    (:func:`solvers.report.staged_folder`), so the parent must take new entries too.
    """
    if path is None:
        return None
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InvalidInput(f"output folder {path} exists and is not a folder")
    parent = path.absolute().parent
    for folder, role in ((parent, "its parent "), *(((path, ""),) if path.exists() else ())):
        why = folder_problem(folder)
        if why:
            raise InvalidInput(f"output folder {path}: {role}{folder} {why}")
    return path


def out_file(path: str | os.PathLike) -> Path:
    """A file to be written: not a folder, in an existing writable folder."""
    path = Path(path)
    if path.is_dir():
        raise InvalidInput(f"{path} is a folder, not a file name")
    why = folder_problem(path.absolute().parent)
    if why:
        raise InvalidInput(f"cannot write {path}: {path.absolute().parent} {why}")
    return path
