"""``solve``: the command line; routes to one trader, a sweep or a double auction.

Exit codes: 0 solved (status optimal, or inaccurate with a warning), 1 solver
failure, 2 bad input. Parsing happens first (help and usage errors print as
argparse does); then the command runs with file descriptor 1 on stderr and
writes its result to stdout at the end (:func:`solvers.cli.common.stdout_to_stderr`).
"""

from __future__ import annotations

import argparse
import logging
import sys
import warnings

from grids.auction import AUCTION_REGISTRY
from solvers.cli.common import stdout_to_stderr


def main(argv: list[str] | None = None) -> int:
    """Parse, then run with descriptor 1 on stderr; the result goes to stdout at the end.

    Help and usage errors (argparse, exit 2) are printed before the guard.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    first = argparse.ArgumentParser(add_help=False)
    first.add_argument("--setting")
    if first.parse_known_args(argv)[0].setting in AUCTION_REGISTRY:
        from solvers.cli.auction import build_parser as auction_parser
        from solvers.cli.auction import run as runner

        args = auction_parser().parse_args(argv)
    else:
        from solvers.cli.one_trader import build_parser, run_one_trader

        args = build_parser().parse_args(argv)
        if args.sweep or args.sweep_file is not None:
            from solvers.cli.sweep import run as runner
        else:
            runner = run_one_trader
    if not args.quiet:
        logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="[dualmech] %(message)s")
    warnings.simplefilter("always")
    with stdout_to_stderr() as out:
        return runner(args, out)


if __name__ == "__main__":
    sys.exit(main())
