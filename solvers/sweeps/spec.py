"""Sweep specifications: a cartesian product of parameter values, each point one solve.

``--sweep alpha=0:0.9:0.05`` is an inclusive range, ``--sweep alpha=0,0.3,0.6``
a list, ``--sweep belief=0.5,0.5;0.25,0.25`` a list of vector values
(separated by ``;``); a TOML file gives the same as tables (see
:func:`load_sweep_file`). Every instance has a stable key: a hash of the
setting, its parameters, the grid, the solver and the code version.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from grids import REGISTRY, InvalidInput

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

SWEEPABLE = ("setting", "grid", "alpha", "belief", "dist", "quadrature", "solver", "form")
SCALARS = {"grid": int, "alpha": float}   # comma lists allowed; other values are strings
RANGE_POINTS_MAX = 10_000


def code_version() -> str:
    """The installed dualmech version (part of every instance key)."""
    try:
        return metadata.version("dualmech")
    except metadata.PackageNotFoundError:  # running from a source tree that is not installed
        return "unknown"


@dataclass(frozen=True)
class Instance:
    """One solve of a sweep: setting name, grid size k, solver, form, quadrature and setting parameters."""

    setting: str
    grid: int
    solver: str = "highs"
    form: str = "gradient"
    quadrature: str = "cell"
    params: tuple[tuple[str, Any], ...] = field(default_factory=tuple)   # sorted (name, value) pairs

    def as_dict(self) -> dict[str, Any]:
        return {"setting": self.setting, "grid": self.grid, "solver": self.solver, "form": self.form,
                "quadrature": self.quadrature, **dict(self.params)}

    def key(self, version: str | None = None) -> str:
        """sha256 of the canonical JSON of the instance and the code version (first 20 hex digits)."""
        blob = json.dumps({"instance": self.as_dict(), "version": version or code_version()}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:20]


def _number(text: str, name: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise InvalidInput(f"--sweep {name}: {text!r} is not a number") from None


def parse_values(name: str, text: str) -> list[Any]:
    """The values of one ``name=text`` sweep term."""
    if name not in SWEEPABLE:
        raise InvalidInput(f"cannot sweep {name!r}; sweepable: {', '.join(SWEEPABLE)}")
    text = text.strip()
    if not text:
        raise InvalidInput(f"--sweep {name}: no values")
    kind = SCALARS.get(name)
    if ";" in text:
        values: list[Any] = [v.strip() for v in text.split(";") if v.strip()]
    elif kind is not None and text.count(":") == 2:
        start, stop, step = (_number(v, name) for v in text.split(":"))
        if step <= 0 or stop < start:
            raise InvalidInput(f"--sweep {name}={text}: need start <= stop and step > 0")
        count = int(np.floor((stop - start) / step + 1e-9)) + 1
        if count > RANGE_POINTS_MAX:
            raise InvalidInput(f"--sweep {name}={text}: {count} values, more than {RANGE_POINTS_MAX}")
        values = [round(start + i * step, 12) for i in range(count)]  # 12 digits: no 0.30000000000000004
    elif kind is not None:
        values = [_number(v, name) for v in text.split(",")]
    else:
        values = [text]
    if kind is int:
        if any(float(v) != int(float(v)) for v in values):
            raise InvalidInput(f"--sweep {name}: values must be whole numbers, got {text!r}")
        values = [int(float(v)) for v in values]
    elif kind is float:
        values = [float(v) for v in values]
    return values


def product(base: dict[str, Any], axes: dict[str, list[Any]]) -> list[Instance]:
    """One instance per point of the cartesian product of ``axes``, over the fixed ``base`` values."""
    names = list(axes)
    out = []
    for combo in itertools.product(*(axes[n] for n in names)):
        values = {**base, **dict(zip(names, combo))}
        if values.get("setting") is None or values.get("grid") is None:
            raise InvalidInput("a sweep needs a setting and a grid size")
        if values.get("dist") is None and values["setting"] in REGISTRY:
            values["dist"] = REGISTRY[values["setting"]].dist   # the key names the law the solve uses
        params = tuple(sorted((k, v) for k, v in values.items()
                              if k not in ("setting", "grid", "solver", "form", "quadrature") and v is not None))
        out.append(Instance(str(values["setting"]), int(values["grid"]), str(values.get("solver") or "highs"),
                            str(values.get("form") or "gradient"), str(values.get("quadrature") or "cell"), params))
    return out


def parse_sweep_terms(terms: list[str]) -> dict[str, list[Any]]:
    """``["alpha=0:0.9:0.05", "belief=0.5,0.5;0.25,0.25"]`` -> {"alpha": [...], "belief": [...]}."""
    axes: dict[str, list[Any]] = {}
    for term in terms:
        name, sep, text = term.partition("=")
        name = name.strip()
        if not sep:
            raise InvalidInput(f"--sweep {term!r}: expected name=values")
        if name in axes:
            raise InvalidInput(f"--sweep {name} given twice")
        axes[name] = parse_values(name, text)
    return axes


def load_sweep_file(path: Path) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """A TOML study: fixed values at the top level, swept ones under ``[sweep]``.

    Example::

        setting = "amm2d"
        grid = 64
        [sweep]
        alpha = {start = 0.0, stop = 0.9, step = 0.05}
        belief = ["0.5,0.5", "0.25,0.25"]
    """
    try:
        data = tomllib.loads(Path(path).read_text())
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise InvalidInput(f"sweep file {path}: {err}") from None
    sweep = data.pop("sweep", {})
    unknown = sorted(set(data) - set(SWEEPABLE))
    if unknown:
        raise InvalidInput(f"sweep file {path}: unknown keys {unknown}; known: {', '.join(SWEEPABLE)}")
    axes: dict[str, list[Any]] = {}
    for name, spec in sweep.items():
        if isinstance(spec, dict):
            if set(spec) != {"start", "stop", "step"}:
                raise InvalidInput(f"sweep file {path}: {name} needs start, stop and step")
            axes[name] = parse_values(name, f"{spec['start']}:{spec['stop']}:{spec['step']}")
        elif isinstance(spec, list):
            axes[name] = parse_values(name, ";".join(str(v) for v in spec))
        else:
            axes[name] = parse_values(name, str(spec))
    return data, axes


SETTING_PARAMS = ("alpha", "belief", "dist")   # keyword arguments of grids.make_setting


def setting_params(inst: Instance) -> dict[str, Any]:
    """The instance's :func:`grids.make_setting` arguments (alpha, belief, dist), without solver options."""
    return {k: v for k, v in inst.params if k in SETTING_PARAMS}


def solve_options(inst: Instance) -> dict[str, Any]:
    """The instance's other parameters: options of :func:`solvers.solve` (checked by the front door)."""
    return {k: v for k, v in inst.params if k not in SETTING_PARAMS}

