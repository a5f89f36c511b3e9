"""``solve --setting da``: double-auction mechanisms side by side (table, JSON, files).

Exit codes as for the one-trader command: 0 done, 1 a solver failure, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
from pathlib import Path
from typing import TextIO

from grids.auction import AUCTION_REGISTRY, LAW_FORMS, make_auction_setting
from grids.errors import InvalidInput
from solvers.arguments import out_folder
from solvers.auction.compare import MECHANISMS, AuctionComparison, compare
from solvers.status import FAILED


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="solve --setting da",
        description="Double auction: exact BIC LP, optimal broker, trade reduction, McAfee, random matching, "
                    "first best and the transformer, with revenue and measured IC violation.")
    p.add_argument("--setting", required=True, choices=sorted(AUCTION_REGISTRY))
    p.add_argument("--buyers", type=int, default=1, metavar="M", help="number of buyers (default 1)")
    p.add_argument("--sellers", type=int, default=1, metavar="N", help="number of sellers (default 1)")
    p.add_argument("--values", default="uniform:0,1", help=f"buyer value law: {LAW_FORMS}")
    p.add_argument("--costs", default="uniform:0,1", help=f"seller cost law: {LAW_FORMS}")
    p.add_argument("--demand", default="1", help="units per buyer: one number or one per buyer (default 1)")
    p.add_argument("--supply", default="1", help="units per seller: one number or one per seller (default 1)")
    p.add_argument("--grid", type=int, metavar="K", help="discretize continuous laws to K values (needed by the LP)")
    p.add_argument("--mechanism", action="append", metavar="NAME",
                   help=f"all (default) or one of {', '.join(MECHANISMS)}; repeatable")
    p.add_argument("--samples", type=int, default=200_000, help="Monte Carlo profiles (default 200000)")
    p.add_argument("--regret-profiles", type=int, default=256, help="profiles in the misreport search (default 256)")
    p.add_argument("--seed", type=int, default=0, help="seed of every random draw (default 0)")
    p.add_argument("--lp-formulation", choices=("auto", "interim", "ex_post"), default="auto",
                   help="exact LP: column generation over interim allocations, or the ex-post LP")
    p.add_argument("--time-limit", type=float, default=float("inf"), help="seconds for the exact LP")
    p.add_argument("--train-steps", type=int, help="transformer training steps (default 1000)")
    p.add_argument("--train-time", type=float, default=600.0, metavar="S",
                   help="transformer training budget in seconds (default 600; training stops at whichever of "
                        "steps and budget comes first; a stop by the budget makes the result timing-dependent)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto", help="transformer device")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--out", type=Path, help="write summary.json and revenue.png here")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    return p


def _net_config(args: argparse.Namespace):
    """The transformer's configuration, only when it is asked for by name (it checks its own values)."""
    if "neural" not in (args.mechanism or []):
        return None
    from neural import AuctionNetConfig, require_torch

    require_torch(args.device, "the transformer")
    overrides = {"device": args.device, "seed": args.seed, "time_limit": args.train_time}
    if args.train_steps is not None:
        overrides["steps"] = args.train_steps
    return AuctionNetConfig(**overrides)


def _num(x: float | None, fmt: str) -> str:
    return "-" if x is None or (isinstance(x, float) and not math.isfinite(x)) else format(x, fmt)


def format_comparison(result: AuctionComparison) -> str:
    """The readable table: mechanism, revenue ± stderr, trades, IC violation per side."""
    s = result.setting
    p = s.params()
    lines = [
        f"da  buyers={s.buyers}  sellers={s.sellers}  values={p['values']}  costs={p['costs']}"
        + (f"  (on K = {s.grid} values per agent)" if s.grid else "")
        + ("" if s.unit_capacities else f"  demand={list(s.demand)} supply={list(s.supply)}"),
        "",
        f"  {'mechanism':<12} {'revenue':>12} {'± stderr':>10} {'trades':>8} {'IC buyers':>10} {'IC sellers':>10}"
        f"  {'IC measured by':<15} {'method':<15} {'time s':>7}",
    ]
    notes: list[str] = []
    for r in result.rows:
        if not r.ran:
            lines.append(f"  {r.name:<12} {r.status}: {r.note}")
            continue
        if r.note and r.ic_kind is None and r.name != "first_best":
            notes.append(f"{r.name}: {r.note}")
        lines.append(
            f"  {r.name:<12} {_num(r.revenue, '.6f'):>12} {_num(r.stderr, '.1e'):>10} {_num(r.trades, '.4f'):>8} "
            f"{_num(r.ic_violation_buyers, '.1e'):>10} {_num(r.ic_violation_sellers, '.1e'):>10}  "
            f"{r.ic_kind or '-':<15} {r.method or '-':<15} {r.seconds:>7.2f}")
    lines += [""] + notes + ["IC violation: interim = largest interim gain from a misreport (exact); ex-post search = "
              "best misreport gain found, mean over sampled profiles, worst agent of the side.",
              "first_best is the expected gains from trade: no IR mechanism earns more."]
    return "\n".join(lines)


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Compare the mechanisms and write the table or the JSON document to ``out`` (see :func:`solvers.cli.main.main`)."""
    from solvers.cli.common import fail

    try:
        out_folder(args.out)
        setting = make_auction_setting(args.setting, buyers=args.buyers, sellers=args.sellers, values=args.values,
                                       costs=args.costs, demand=args.demand, supply=args.supply, grid=args.grid)
        net_config = _net_config(args)
        lp_options = {"formulation": args.lp_formulation, "time_limit": args.time_limit}
        result = compare(setting, args.mechanism or ["all"], samples=args.samples,
                         regret_profiles=args.regret_profiles, seed=args.seed, lp_options=lp_options,
                         net_config=net_config, progress=not args.quiet)
    except InvalidInput as err:
        return fail("bad input", str(err), 2)
    summary = result.to_dict()
    if args.out is not None:
        from solvers.auction.plot import plot_comparison
        from solvers.plot import save_figure
        from solvers.report import staged_folder

        with staged_folder(args.out) as tmp:
            (tmp / "summary.json").write_text(json.dumps(summary, indent=2, allow_nan=False) + "\n")
            save_figure(plot_comparison(result), tmp / "revenue.png")
        logging.getLogger("dualmech").info("wrote %s", args.out)
    out.write((json.dumps(summary, allow_nan=False) if args.json else format_comparison(result)) + "\n")
    failed = [r for r in result.rows if r.status in FAILED]
    if failed:
        return fail("solver failure", "; ".join(f"{r.name}: {r.status}: {r.note}" for r in failed), 1)
    return 0
