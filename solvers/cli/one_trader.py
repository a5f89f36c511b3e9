"""``solve --setting NAME``: one trader (parser, checks, solve, summary or JSON, files)."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import TextIO

from grids import QUADRATURE_RULES, REGISTRY, InvalidInput
from grids.auction import AUCTION_REGISTRY
from solvers.api import FORMS
from solvers.arguments import out_file, out_folder
from solvers.backends import BACKENDS
from solvers.cli.common import fail
from solvers.cli.sweep import add_sweep_arguments
from solvers.menu import DEFAULT_MENU_TOL, menu_tolerance
from solvers import status as st
from solvers.status import SolverFailure


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="solve",
        description="Profit-optimal mechanism on a grid, with its dual certificate and menu.",
        epilog=f"settings: {', '.join(REGISTRY)}; double auctions: {', '.join(AUCTION_REGISTRY)} "
               "(see solve --setting da --help)",
    )
    p.add_argument("--setting", required=True, help="named setting (see below)")
    p.add_argument("--grid", type=int, default=64, metavar="K", help="cells per axis (default 64)")
    p.add_argument("--alpha", type=float, help="belief update weight in [0,1] (default 0)")
    p.add_argument("--belief", help="initial belief c, e.g. 0.5,0.5 (default 1/2 per good; monopolist 0)")
    p.add_argument("--dist", default=None,
                   help="uniform | beta:a,b | truncnorm:mean,sd | samples:PATH | kde:BANDWIDTH:PATH | density:EXPR | triangle | simplex "
                        "| uniform-polytope:A.npy,b.npy (default: the setting's own, uniform for most); product laws are given on the unit box and scaled to "
                        "--types; samples (and a kde bandwidth), formulas and polytopes are in --types units")
    p.add_argument("--types", metavar="LO:HI,..",
                   help="type box prod [lo_i, hi_i], e.g. 4:16,4:7 (default [0,1]^n; one interval repeats); "
                        "solved exactly on the unit box by x = lo + D y, menus reported in these units")
    p.add_argument("--allocations", metavar="B",
                   help="allocation set: box (default: the market's) | box:lo1:hi1,lo2:hi2 | unit-demand "
                        "(a >= 0, sum a <= 1) | polytope:A.npy,b.npy ({a : A a <= b}, .npy or .csv files) | "
                        "polytope:'a11 a12 <= b1; a21 a22 <= b2' (inline rows); must be bounded and contain 0; "
                        "a polytope needs --form gradient")
    p.add_argument("--solver", default="highs", choices=sorted(BACKENDS), help="LP backend (default highs)")
    p.add_argument("--form", choices=(*FORMS, "both"), default=None,
                   help="gradient-form LP (DESIGN 1.1), measure form with transport dual (1.2), both, or auto "
                        "(the default: the faster for the setting, by the rule in solvers.form_rule; a sweep's "
                        "default is gradient, so that its values share one discretization)")
    p.add_argument("--stencil", type=int, default=1, metavar="R",
                   help="measure form: spread directions with |p|_inf <= R (default 1)")
    p.add_argument("--warm-start", choices=("none", "coarse", "rochetnet"), default="none",
                   help="initial pair rows: none, a k/2 solve, or a trained RochetNet (gradient form)")
    p.add_argument("--train-steps", type=int, help="RochetNet training steps (warm start rochetnet)")
    p.add_argument("--menu-size", type=int, help="RochetNet menu items K (default 1024)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto", help="RochetNet device")
    p.add_argument("--quadrature", default="cell", choices=QUADRATURE_RULES, help="weight rule (default cell)")
    p.add_argument("--menu-tol", type=float, default=DEFAULT_MENU_TOL, help="allocation clustering radius")
    p.add_argument("--pair-tol", type=float, default=1e-9, help="largest allowed convexity-row violation")
    p.add_argument("--gap-tol", type=float, default=1e-7, help="relative gap tolerance for status optimal")
    p.add_argument("--max-rounds", type=int, default=100, help="cut rounds before giving up")
    p.add_argument("--time-limit", type=float, default=float("inf"), help="seconds per LP solve")
    p.add_argument("--axis-reduction", choices=("auto", "on", "off"), default="auto",
                   help="start from the reduced axis LP (auto: uniform laws in 1D/2D, where it is faster)")
    p.add_argument("--symmetry", choices=("auto", "off"), default="auto",
                   help="fold the LPs by the signed axis permutations that keep c, B and the weights "
                        "(auto: when there are any; exact, certified on the unfolded arrays)")
    p.add_argument("--transport", choices=("auto", "lp", "multipliers"), default="auto",
                   help="measure form: solve the transport dual as its own LP, or read it from the u-only LP's "
                        "multipliers (auto: its own LP up to 16,641 points, the multipliers beyond "
                        "and when that LP fails)")
    p.add_argument("--threads", type=int, default=0, help="HiGHS threads (0: its default)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--out", type=Path, help="write summary.json, arrays.npz and solution.png here")
    p.add_argument("--plot", nargs="?", const="", metavar="PNG",
                   help="write the allocation plot (default name: SETTING-kK.png; inside --out if given)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    add_sweep_arguments(p)
    return p


def _train_config(args: argparse.Namespace):
    """The RochetNet configuration from the flags (neural.TrainConfig checks its own values)."""
    from neural import TrainConfig, require_torch

    require_torch(args.device, "--warm-start rochetnet")
    overrides = {"device": args.device}
    if args.train_steps is not None:
        overrides["steps"] = args.train_steps
    if args.menu_size is not None:
        overrides["menu_size"] = args.menu_size
    return TrainConfig(**overrides)


def _plot_path(args: argparse.Namespace, setting: str, k: int, form: str, several: bool) -> Path:
    suffix = f"-{form}" if several else ""
    path = Path(args.plot or f"{setting}-k{k}{suffix}.png")
    return args.out / path if args.out is not None and not path.is_absolute() else path


def run_one_trader(args: argparse.Namespace, out: TextIO) -> int:
    """The one-trader command: every check before any work, then solve, save, and write the result to ``out``."""
    from solvers.api import solve, validate  # nothing heavy is imported before the arguments parse

    form = args.form or "auto"
    forms = ("gradient", "measure") if form == "both" else (form,)
    if args.warm_start == "rochetnet" and form == "auto":
        forms = ("gradient",)  # the net's warm start is for the gradient form, whatever auto would pick
    options = dict(solver=args.solver, pair_tol=args.pair_tol, gap_tol=args.gap_tol, max_rounds=args.max_rounds,
                   time_limit=args.time_limit, threads=args.threads,
                   reduce_axis={"auto": None, "on": True, "off": False}[args.axis_reduction],
                   stencil=args.stencil, fold=None if args.symmetry == "auto" else False, transport=args.transport)
    try:
        out_folder(args.out)
        menu_tolerance(args.menu_tol)
        warm_name = "none" if args.warm_start == "rochetnet" else args.warm_start  # the net's is built here
        if args.warm_start == "rochetnet" and form not in ("gradient", "auto"):
            raise InvalidInput("a warm start applies to the gradient form only")
        resolved = {form: validate(args.setting, args.grid, quadrature=args.quadrature, form=form,
                                   warm_start=warm_name, alpha=args.alpha, belief=args.belief,
                                   dist=args.dist, types=args.types, allocations=args.allocations, **options)
                    for form in forms}
        setting, grid = resolved[forms[0]]
        if args.plot is not None and args.out is None:
            for form in forms:
                out_file(_plot_path(args, setting.name, grid.k, form, len(forms) > 1))
        train_config = _train_config(args) if args.warm_start == "rochetnet" else None
    except InvalidInput as err:
        return fail("bad input", str(err), 2)
    if args.warm_start == "rochetnet":
        from neural.warm_start import rochetnet_warm_start

    log = logging.getLogger("dualmech")
    log.info("%s, k = %d: %d points", setting.name, grid.k, grid.size)
    solutions = {}
    for form in forms:
        try:
            warm = (rochetnet_warm_start(setting, grid, train_config, progress=not args.quiet)
                    if args.warm_start == "rochetnet" else args.warm_start)
            solutions[form] = solve(setting, grid, form=form, warm_start=warm, **options)
        except SolverFailure as err:
            if args.json:
                out.write(json.dumps({"setting": setting.name, "params": setting.params(), "form": form,
                                      "status": err.status, "message": err.message}) + "\n")
            return fail("solver failure", str(err), 1)

    summaries = {form: sol.summary(args.menu_tol) for form, sol in solutions.items()}
    result = summaries[forms[0]] if len(forms) == 1 else combined_summary(summaries)
    if args.out is not None and len(forms) > 1:
        args.out.mkdir(exist_ok=True)  # its parent was checked; each form's folder is written all or nothing
    for form, sol in solutions.items():
        target = args.out if len(forms) == 1 or args.out is None else args.out / form
        if target is not None:
            sol.save(target, args.menu_tol, plot=True)
            log.info("wrote %s", target)
        if args.plot is not None:
            path = _plot_path(args, setting.name, grid.k, form, len(forms) > 1)
            sol.plot(path)
            log.info("wrote %s", path)
    if args.out is not None and len(forms) > 1:
        (args.out / "summary.json").write_text(json.dumps(result, indent=2, allow_nan=False) + "\n")
    if args.json:
        out.write(json.dumps(result, allow_nan=False) + "\n")
    else:
        from solvers.report import format_summary

        for form, summary in summaries.items():
            out.write(("" if form == forms[0] else "\n") + (f"== {form} form ==\n" if len(forms) > 1 else "")
                      + format_summary(summary) + "\n")
        if len(forms) > 1:
            out.write(f"\nmeasure - gradient  {result['difference']:+.3e}   (primal values; O(h) discretization)\n")
    return 0


def combined_summary(summaries: dict[str, dict]) -> dict:
    """The --form both object: shared keys, both summaries, and their difference."""
    grad, meas = summaries["gradient"], summaries["measure"]
    return {
        "setting": grad["setting"], "params": grad["params"], "grid": grad["grid"],
        "status": st.OPTIMAL if grad["status"] == meas["status"] == st.OPTIMAL else st.INACCURATE,
        "forms": summaries, "difference": meas["primal_value"] - grad["primal_value"],
    }
