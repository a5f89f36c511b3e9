"""``solve ... --sweep NAME=VALUES`` / ``--sweep-file STUDY.toml``: many solves, one table.

JSON (``--json``) or a readable table on stdout, progress on stderr; the
SQLite store, ``results.csv`` (or ``.parquet``), ``summary.json`` and
``sweep.png`` in ``--out`` (the store alone when no ``--out``: ./sweep.sqlite).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from grids import InvalidInput
from solvers import status as st
from solvers.report import json_ready

TABLE_FIELDS = ("status", "primal", "gap", "menu_profit", "menu_size", "bundling_gain", "total_s")


def add_sweep_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("sweeps (many instances; see README)")
    g.add_argument("--sweep", action="append", default=[], metavar="NAME=VALUES",
                   help="swept parameter: alpha=0:0.9:0.05 (range), alpha=0,0.5 (list), "
                        "belief=0.5,0.5;0.25,0.25 (';' between vector values); repeat for a product")
    g.add_argument("--sweep-file", type=Path, metavar="TOML", help="a study: fixed keys and a [sweep] table")
    g.add_argument("--executor", default="local",
                   help="serial | local (all cores) | local:N | dask://host:8786 (default local)")
    g.add_argument("--store", type=Path, help="SQLite results store (default OUT/sweep.sqlite or ./sweep.sqlite)")
    g.add_argument("--export", choices=("csv", "parquet"), default="csv", help="table format in --out")


def _instances(args: argparse.Namespace) -> tuple[list, dict[str, list[Any]]]:
    from solvers.sweeps.spec import load_sweep_file, parse_sweep_terms, product

    base: dict[str, Any] = {"setting": args.setting, "grid": args.grid, "alpha": args.alpha,
                            "belief": args.belief, "dist": args.dist, "solver": args.solver,
                            "form": args.form or "gradient",
                            "quadrature": args.quadrature}
    axes: dict[str, list[Any]] = {}
    if args.sweep_file is not None:
        fixed, axes = load_sweep_file(args.sweep_file)
        base.update(fixed)
    for name, values in parse_sweep_terms(args.sweep).items():
        if name in axes:
            raise InvalidInput(f"--sweep {name} is also swept in {args.sweep_file}")
        axes[name] = values
    if base["form"] == "both" or "both" in axes.get("form", []):
        raise InvalidInput("a sweep solves one form per instance: sweep form=gradient;measure instead of 'both'")
    return product(base, axes), axes


def _table(records: list[dict[str, Any]], axes: list[str]) -> str:
    head = [*axes, *TABLE_FIELDS]
    lines = ["  ".join(f"{h:>14}" for h in head)]
    for rec in records:
        cells = []
        for h in head:
            v = rec.get(h)
            if isinstance(v, float):
                cells.append(f"{v:>14.3%}" if h == "bundling_gain" else f"{v:>14.6g}")
            else:
                cells.append(f"{'-' if v is None else str(v):>14}")
        lines.append("  ".join(cells))
    return "\n".join(lines)


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Run the sweep and write its table or JSON summary to ``out`` (see :func:`solvers.cli.main.main`)."""
    from solvers.cli.common import fail
    from solvers.sweeps.checks import validate
    from solvers.sweeps.run import execute

    try:
        instances, axes = _instances(args)
        store = validate(instances, args.executor, store=args.store, out=args.out, export=args.export)
    except InvalidInput as err:
        return fail("bad input", str(err), 2)
    try:
        result = execute(instances, store, args.executor, progress=not args.quiet, axes=axes)
    except KeyboardInterrupt:
        print(f"solve: interrupted; finished instances are in {store}: run the same command to resume",
              file=sys.stderr)
        return 130
    except InvalidInput as err:
        return fail("bad input", str(err), 2)
    records = list(result.records)
    summary = {"instances": len(records), "solved_now": result.solved_now, "from_store": result.from_store,
               "failed": sum(r["status"] not in st.SOLVED for r in records),
               "wall_s": result.wall_s, "executor": args.executor, "store": str(store), "axes": axes,
               "records": records}
    if args.out is not None:
        from solvers.report import staged_folder

        with staged_folder(args.out) as tmp:
            (tmp / "summary.json").write_text(json.dumps(json_ready(summary), indent=2) + "\n")
            if args.export == "csv":
                result.to_csv(tmp / "results.csv")
            else:
                result.to_parquet(tmp / "results.parquet")
            result.plot(tmp / "sweep.png")
    if args.json:
        out.write(json.dumps(json_ready(summary)) + "\n")
    else:
        out.write(_table(records, list(axes)) + "\n")
        out.write(f"\n{len(records)} instances: {result.solved_now} solved now, {result.from_store} from the store "
                  f"({store}), {summary['failed']} failed; {result.wall_s:.1f} s on {args.executor}\n")
    return 0
