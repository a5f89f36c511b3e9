"""``solve``: the command line (JSON or a readable summary on stdout, progress on stderr).

Exit codes: 0 solved (status optimal, or inaccurate with a warning), 1 solver
failure, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import warnings
from pathlib import Path

from grids import QUADRATURE_RULES, REGISTRY, InvalidInput, make_grid, make_setting
from grids.auction import AUCTION_REGISTRY
from grids.measure import require_density
from solvers.backends import BACKENDS, require_backend
from solvers.sweep_cli import add_sweep_arguments
from solvers.memory_check import check_memory
from solvers.menu import DEFAULT_MENU_TOL
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
    p.add_argument("--dist", default="uniform", help="uniform | beta:a,b | truncnorm:mean,sd | samples:PATH")
    p.add_argument("--solver", default="highs", choices=sorted(BACKENDS), help="LP backend (default highs)")
    p.add_argument("--form", choices=("gradient", "measure", "both"), default="gradient",
                   help="gradient-form LP (DESIGN 1.1), measure form with transport dual (1.2), or both")
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
                        "multipliers (auto: its own LP up to 66,049 points)")
    p.add_argument("--threads", type=int, default=0, help="HiGHS threads (0: its default)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--out", type=Path, help="write summary.json, arrays.npz and solution.png here")
    p.add_argument("--plot", nargs="?", const="", metavar="PNG",
                   help="write the allocation plot (default name: SETTING-kK.png; inside --out if given)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    add_sweep_arguments(p)
    return p


def require_torch(device: str, what: str) -> None:
    """Refuse before any work when torch is missing or ``device`` is cuda without a GPU."""
    try:
        import torch
    except ImportError as err:
        raise InvalidInput(f"{what} needs torch ({err}): pip install 'dualmech[neural]'") from None
    if device == "cuda" and not torch.cuda.is_available():
        raise InvalidInput("--device cuda asked for, but torch sees no CUDA device")


def _train_config(args: argparse.Namespace):
    """The RochetNet configuration from the flags, validated before any work."""
    for name in ("train_steps", "menu_size"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise InvalidInput(f"--{name.replace('_', '-')} must be at least 1")
    require_torch(args.device, "--warm-start rochetnet")
    from neural.rochetnet import TrainConfig

    overrides = {"device": args.device}
    if args.train_steps is not None:
        overrides["steps"] = args.train_steps
    if args.menu_size is not None:
        overrides["menu_size"] = args.menu_size
    return TrainConfig(**overrides)


def fail(kind: str, message: str, code: int) -> int:
    print(f"solve: {kind}: {message}", file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    first = argparse.ArgumentParser(add_help=False)
    first.add_argument("--setting")
    if first.parse_known_args(argv)[0].setting in AUCTION_REGISTRY:
        from solvers.auction_cli import main as auction_main

        return auction_main(argv)
    args = build_parser().parse_args(argv)
    if args.sweep or args.sweep_file is not None:
        from solvers.sweep_cli import main as sweep_main

        return sweep_main(args)
    if not args.quiet:
        logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="[dualmech] %(message)s")
    warnings.simplefilter("always")
    try:
        if args.out is not None and args.out.exists() and not args.out.is_dir():
            raise InvalidInput(f"--out {args.out} exists and is not a folder")
        for name in ("menu_tol", "pair_tol", "gap_tol", "time_limit"):
            if not getattr(args, name) > 0:
                raise InvalidInput(f"--{name.replace('_', '-')} must be positive")
        if args.max_rounds < 1:
            raise InvalidInput("--max-rounds must be at least 1")
        if args.stencil < 1:
            raise InvalidInput("--stencil must be at least 1")
        require_backend(args.solver)
        setting = make_setting(args.setting, alpha=args.alpha, belief=args.belief, dist=args.dist)
        grid = make_grid(setting, args.grid, args.quadrature)
        if args.form != "gradient":
            require_density(setting)
        for form in ("gradient", "measure") if args.form == "both" else (args.form,):
            check_memory(setting, grid, form, args.solver, None if args.symmetry == "auto" else False)
        if args.warm_start != "none" and args.form != "gradient":
            raise InvalidInput("--warm-start applies to the gradient form only")
        train_config = _train_config(args) if args.warm_start == "rochetnet" else None
    except InvalidInput as err:
        return fail("bad input", str(err), 2)

    from solvers.api import solve  # after validation: nothing heavy for a refused input
    from solvers.warm_start import make_warm_start

    log = logging.getLogger("dualmech")
    log.info("%s, k = %d: %d points", setting.name, grid.k, grid.size)
    forms = ("gradient", "measure") if args.form == "both" else (args.form,)
    solutions = {}
    for form in forms:
        try:
            solutions[form] = solve(
                setting, grid, solver=args.solver, pair_tol=args.pair_tol, gap_tol=args.gap_tol,
                max_rounds=args.max_rounds, time_limit=args.time_limit, threads=args.threads,
                reduce_axis={"auto": None, "on": True, "off": False}[args.axis_reduction],
                form=form, stencil=args.stencil, fold=None if args.symmetry == "auto" else False,
                transport=args.transport,
                warm_start=make_warm_start(args.warm_start, setting, grid, train_config)
                if args.warm_start == "rochetnet" else args.warm_start)
        except SolverFailure as err:
            if args.json:
                print(json.dumps({"setting": setting.name, "params": setting.params(), "form": form,
                                  "status": err.status, "message": err.message}))
            return fail("solver failure", str(err), 1)

    summaries = {form: sol.summary(args.menu_tol) for form, sol in solutions.items()}
    for form, sol in solutions.items():
        target = args.out if len(forms) == 1 or args.out is None else args.out / form
        if target is not None:
            sol.save(target, args.menu_tol, plot=True)
            log.info("wrote %s", target)
        if args.plot is not None:
            suffix = "" if len(forms) == 1 else f"-{form}"
            path = Path(args.plot or f"{setting.name}-k{grid.k}{suffix}.png")
            if args.out is not None and not path.is_absolute():
                path = args.out / path
            sol.plot(path)
            log.info("wrote %s", path)
    if len(forms) == 1:
        result = summaries[forms[0]]
    else:
        result = combined_summary(summaries)
        if args.out is not None:
            (args.out / "summary.json").write_text(json.dumps(result, indent=2, allow_nan=False) + "\n")
    if args.json:
        print(json.dumps(result, allow_nan=False))
    else:
        from solvers.report import format_summary

        for form, summary in summaries.items():
            print(("" if form == forms[0] else "\n") + (f"== {form} form ==\n" if len(forms) > 1 else "")
                  + format_summary(summary))
        if len(forms) > 1:
            print(f"\nmeasure - gradient  {result['difference']:+.3e}   (primal values; O(h) discretization)")
    return 0


def combined_summary(summaries: dict[str, dict]) -> dict:
    """The --form both object: shared keys, both summaries, and their difference."""
    grad, meas = summaries["gradient"], summaries["measure"]
    return {
        "setting": grad["setting"], "params": grad["params"], "grid": grad["grid"],
        "status": "optimal" if grad["status"] == meas["status"] == "optimal" else "inaccurate",
        "forms": summaries, "difference": meas["primal_value"] - grad["primal_value"],
    }


if __name__ == "__main__":
    sys.exit(main())
