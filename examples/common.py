"""Shared plumbing of the example scripts: arguments, output folder, the report and its claims.

Every example runs as ``python examples/NAME.py [--fast] [--out DIR]``; it
writes its PNGs, ``report.md`` and ``findings.json`` to ``examples/out/NAME/``
(ignored by git) and prints the report. ``--fast`` uses small grids and few
steps (the test suite runs every example that way).

Every claim an example makes is a :class:`Claim` in the report's
:class:`Findings`: a named value, the numbers it was computed from and, where
the claim is a comparison, whether it holds. ``findings.json`` is the list of
claims; the report's sentences take their verdicts from ``Claim.verdict`` (so a
claim that fails is printed as failing), and the report ends with a table of
every claim and its verdict.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

import matplotlib

matplotlib.use("Agg")

EXAMPLES = Path(__file__).resolve().parent


def example_args(name: str, description: str) -> argparse.Namespace:
    """``--fast``, ``--out`` (default examples/out/NAME; created) and ``--readme-image``."""
    ap = argparse.ArgumentParser(prog=f"{name}.py", description=description)
    ap.add_argument("--fast", action="store_true", help="small grids, few steps (seconds; used by the tests)")
    ap.add_argument("--out", type=Path, default=EXAMPLES / "out" / name, help="output folder")
    ap.add_argument("--readme-image", action="store_true",
                    help=f"full mode only: also write the README's small image examples/img/{name}.png")
    args = ap.parse_args()
    args.readme_image = args.readme_image and not args.fast   # fast runs (the tests) never write into the repo
    args.out.mkdir(parents=True, exist_ok=True)
    return args


def jsonable(v: Any) -> Any:
    """``v`` with numpy scalars and arrays, tuples and non-string keys made JSON types; NaN and inf become None."""
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, set, frozenset, np.ndarray)):
        return [jsonable(x) for x in (sorted(v) if isinstance(v, (set, frozenset)) else v)]
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v) if math.isfinite(v) else None
    if v is None or isinstance(v, str):
        return v
    return str(v)


@dataclass
class Claim:
    """One claim of an example: a named value, the statement it supports and the numbers behind it.

    Parameters
    ----------
    name : str
        Identifier, unique in the example (the key the tests use).
    value : Any
        The measured value (a number, a count, a list or a flag).
    claim : str
        The statement, phrased so that it either holds or not (e.g. "peak between 11 % and 12 %").
    holds : bool or None
        Whether the statement holds for ``value``; None for a plain measurement.
    data : dict
        The numbers the value was computed from (bounds, targets, per-case values).
    """

    name: str
    value: Any
    claim: str
    holds: bool | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def verdict(self, yes: str, no: str) -> str:
        """``yes`` if the claim holds, else ``no`` (a measurement has no verdict)."""
        if self.holds is None:
            raise ValueError(f"claim {self.name!r} is a measurement, it has no verdict")
        return yes if self.holds else no

    def status(self) -> str:
        """'holds', 'does NOT hold' or 'measured'."""
        return "measured" if self.holds is None else ("holds" if self.holds else "does NOT hold")

    def as_dict(self) -> dict[str, Any]:
        """The JSON record: name, value, claim, holds, then the data."""
        reserved = {"name", "value", "claim", "holds"} & set(self.data)
        if reserved:
            raise ValueError(f"claim {self.name!r}: data keys {sorted(reserved)} are reserved")
        return jsonable({"name": self.name, "value": self.value, "claim": self.claim, "holds": self.holds,
                         **self.data})


class Findings:
    """The claims of one example, in the order made; ``findings[name]`` is a :class:`Claim`."""

    def __init__(self) -> None:
        self.claims: dict[str, Claim] = {}

    def __getitem__(self, name: str) -> Claim:
        return self.claims[name]

    def __iter__(self):
        return iter(self.claims.values())

    def add(self, name: str, value: Any, claim: str, holds: bool | None = None, **data: Any) -> Claim:
        """Record a claim (``holds`` None: a measurement); names are unique."""
        if name in self.claims:
            raise ValueError(f"claim {name!r} made twice")
        c = Claim(name, value, claim, None if holds is None else bool(holds), data)
        self.claims[name] = c
        return c

    def measure(self, name: str, value: Any, what: str, **data: Any) -> Claim:
        """A measured value without a comparison."""
        return self.add(name, value, what, None, **data)

    def at_most(self, name: str, value: float, bound: float, claim: str, **data: Any) -> Claim:
        """Holds when value <= bound."""
        return self.add(name, value, claim, value <= bound, bound=bound, **data)

    def at_least(self, name: str, value: float, bound: float, claim: str, **data: Any) -> Claim:
        """Holds when value >= bound."""
        return self.add(name, value, claim, value >= bound, bound=bound, **data)

    def between(self, name: str, value: float, lo: float, hi: float, claim: str, **data: Any) -> Claim:
        """Holds when lo <= value <= hi."""
        return self.add(name, value, claim, lo <= value <= hi, lo=lo, hi=hi, **data)

    def within(self, name: str, value: float, target: float, tol: float, claim: str, **data: Any) -> Claim:
        """Holds when |value - target| <= tol."""
        return self.add(name, value, claim, abs(value - target) <= tol, target=target, tol=tol,
                        error=value - target, **data)

    def equals(self, name: str, value: Any, target: Any, claim: str, **data: Any) -> Claim:
        """Holds when value == target (counts, sets, flags)."""
        return self.add(name, value, claim, value == target, target=target, **data)

    def as_json(self, **meta: Any) -> dict[str, Any]:
        """``meta`` (example, fast, sizes), ``all_hold`` and the list of claims."""
        verdicts = [c.holds for c in self if c.holds is not None]
        return jsonable({**meta, "all_hold": all(verdicts), "failed": [c.name for c in self if c.holds is False],
                         "claims": [c.as_dict() for c in self]})


class Report:
    """A markdown report: a title, tables, figures, findings and claims; saved as report.md (printed) and
    findings.json.

    Parameters
    ----------
    title : str
        The report's heading.
    **meta
        Written at the top of findings.json (example name, fast mode, grid sizes, seeds).
    """

    def __init__(self, title: str, **meta: Any) -> None:
        self.lines: list[str] = [f"# {title}", ""]
        self.meta = meta
        self.claims = Findings()

    def text(self, text: str) -> None:
        self.lines += [text, ""]

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        fmt = lambda v: f"{v:.6g}" if isinstance(v, float) else str(v)  # noqa: E731
        self.lines.append("| " + " | ".join(headers) + " |")
        self.lines.append("|" + "---|" * len(headers))
        self.lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in rows]
        self.lines.append("")

    def figure(self, path: Path, caption: str) -> None:
        self.lines += [f"![{caption}]({Path(path).name})", ""]

    def finding(self, text: str) -> None:
        """What the example found (including disagreements with the paper)."""
        self.lines += [f"**Finding.** {text}", ""]

    def claims_table(self) -> None:
        """Every claim with its value and verdict (the report's last section)."""
        def fmt(v: Any) -> str:
            text = f"{v:.6g}" if isinstance(v, float) else json.dumps(jsonable(v))
            return text if len(text) <= 60 else "(see findings.json)"

        self.lines += ["## Claims (findings.json)", ""]
        self.table(["name", "claim", "value", "verdict"],
                   [(c.name, c.claim, fmt(c.value), c.status()) for c in self.claims])

    def save(self, out: Path) -> Path:
        """Write report.md (with the claims table) and findings.json to ``out``; print the report."""
        self.claims_table()
        path = Path(out) / "report.md"
        path.write_text("\n".join(self.lines))
        (Path(out) / "findings.json").write_text(json.dumps(self.claims.as_json(**self.meta), indent=1,
                                                            allow_nan=False) + "\n")
        sys.stdout.write("\n".join(self.lines) + "\n")
        return path
