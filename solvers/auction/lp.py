"""The exact Bayesian-IC LP of a double auction on discrete types (DESIGN §2): the front door.

:func:`solve_auction_lp` checks its options (:func:`check_lp_options`) and
dispatches to the interim column generation (:mod:`solvers.auction.interim`,
the default) or the ex-post LP (:mod:`solvers.auction.expost`); both share
:mod:`solvers.auction.block`.
"""

from __future__ import annotations

import math

from grids.auction import AuctionSetting
from grids.errors import InvalidInput
from solvers import arguments as arg
from solvers.auction.block import AuctionLPResult
from solvers.auction.expost import solve_expost

FORMULATIONS = ("auto", "interim", "ex_post")


def check_lp_options(*, formulation: str = "auto", time_limit: float = math.inf, gap_tol: float = 1e-9,
                     method: str = "simplex", memory_limit: float | None = None, max_rounds: int = 5000,
                     **unknown: object) -> None:
    """Refuse bad options of :func:`solve_auction_lp` (InvalidInput) before any work; unknown keys too."""
    if unknown:
        raise InvalidInput(f"unknown auction LP options {sorted(unknown)}; known: formulation, time_limit, "
                           "gap_tol, method, memory_limit, max_rounds")
    arg.choice("formulation", formulation, FORMULATIONS)
    arg.choice("method", method, ("simplex", "ipm"))
    arg.positive("time_limit", time_limit, allow_inf=True)
    arg.positive("gap_tol", gap_tol)
    arg.integer("max_rounds", max_rounds, 1)
    if memory_limit is not None:
        arg.positive("memory_limit", memory_limit)


def solve_auction_lp(setting: AuctionSetting, *, formulation: str = "auto", time_limit: float = math.inf,
                     gap_tol: float = 1e-9, method: str = "simplex", memory_limit: float | None = None,
                     max_rounds: int = 5000) -> AuctionLPResult:
    """The optimal BIC, interim IR double-auction mechanism on discrete types, with its certificate.

    Parameters
    ----------
    setting : AuctionSetting
        Must be discrete (``make_auction_setting(..., grid=K)``).
    formulation : {"auto", "interim", "ex_post"}
        ``auto`` is ``interim`` (column generation, :mod:`solvers.auction.interim`).
    time_limit : float
        Seconds for the whole solve.
    gap_tol : float
        Relative (to max(1, |value|)) gap below which the result is optimal;
        also the column-generation stopping tolerance on the reduced cost.
    method : {"simplex", "ipm"}
        HiGHS algorithm for the ex-post LP (ipm with crossover).
    memory_limit : float, optional
        Bytes the ex-post LP may take (default 3/4 of this machine's memory).
    max_rounds : int
        Column-generation rounds before giving up (status ``round_limit``).

    Raises
    ------
    InvalidInput
        A non-discrete setting, an unknown formulation, or one that would not fit.
    SolverFailure
        HiGHS failed or ran out of time or rounds.
    """
    check_lp_options(formulation=formulation, time_limit=time_limit, gap_tol=gap_tol, method=method,
                     memory_limit=memory_limit, max_rounds=max_rounds)
    if not setting.is_discrete:
        raise InvalidInput("the exact auction LP needs discrete type laws: pass grid=K (e.g. --grid 11)")
    if formulation == "ex_post":
        return solve_expost(setting, time_limit=time_limit, gap_tol=gap_tol, method=method,
                            memory_limit=memory_limit)
    from solvers.auction.interim import solve_interim

    return solve_interim(setting, time_limit=time_limit, gap_tol=gap_tol, max_rounds=max_rounds)
