"""Row generation for the measure-form u-only LP: the convexity rows enter only when violated.

The u-only LP (:func:`solvers.measure.lp.measure_primal`) is first solved with
its edge (Lipschitz, h_B) rows, radial rows and bounds only; every round then
adds each deferred row (a spread v_{i-p} - 2 v_i + v_{i+p} >= 0) that the
optimum violates by more than ``row_tol`` and re-solves warm (dual simplex
stays dual feasible when rows are added). When no deferred row is violated,
the relaxed optimum is feasible for the full LP and so optimal for it, and its
multipliers, zero on the rows never added, are an optimal dual of the full LP:
the same certificate as a solve with every row.

Measured on the 2-core machine, one process, the u-only LP alone
(tests/benchmarks/bench_levers.py; seconds with every row -> generated):

=====================  ===  ============  ===========================
setting                 k    all rows      generated (rounds)
=====================  ===  ============  ===========================
amm2d c = (1/4, 3/8)   128   2.4           0.7 (1: no spread violated)
amm2d c = (1/4, 3/8)   256   ~ 80          4.9 (1)
amm2d beta:2,5         128   12.5          2.9 (6)
amm2d beta:2,5         256   ~ 530         61.4 (9)
monopolist2d           256   ~ 20          7.1 (1)
amm3d c off-centre     24    ~ 75          0.9 (1)
=====================  ===  ============  ===========================

First-order backends (PDLP, cuPDLPx, SCS) solve every row at once: their
iterates violate rows by about their tolerance, so generation would not stop.

The columns v >= 0 have no upper bound and positive costs where mu > 0, so the
dual simplex starts dual infeasible and spends a phase 1 on it (46 of the 70 s
of a kde law's first round at k = 256). Bounding each column by the bound the
edge rows already imply (:func:`solvers.measure.lp.implied_column_box`, never
reached) removes that phase; whether the whole loop gains is measured per kind
of law (:func:`column_box_pays`).
"""

from __future__ import annotations

import logging
import time

import numpy as np

from grids import Setting
from solvers import status as st
from solvers.backends import Backend, BackendResult
from solvers.measure.lp import LPData
from solvers.solution import RoundLog

log = logging.getLogger("dualmech")

MAX_ROUNDS = 60  # after this many rounds every row still deferred is added at once (one last solve)
# Laws whose row generation runs faster with every column boxed by the implied bound, by the rule
# their mu comes from (grids' ``measure_rule``). Measured on the 2-core machine, one solve at a time,
# seconds inside solvers.solve (imports not counted), measure form, HiGHS dual simplex,
# default -> boxed; the same optimum each time (tests/benchmarks/bench_column_box.py reruns them):
#   histogram mu: kde:scott of 1e5 correlated trades k = 128 8.5 -> 4.8, k = 256 128.2 -> 50.6
#     (c = (1/4, 3/8): 104.2 -> 49.9); kde:0.03 k = 256 112.1 -> 42.4; the raw sample k = 128
#     36.6 -> 33.1; density bump k = 128 3.5 -> 2.8, k = 256 54.6 -> 50.2; 1+3*x1*x2 k = 256
#     9.5 -> 9.1 (monopolist2d 2.6 -> 2.6); monopolist2d triangle k = 128 34.8 -> 29.2; amm2d
#     triangle k = 256 2.7 -> 2.3; amm3d simplex k = 24 0.4 -> 0.4. No loss here (one earlier run
#     of the raw sample's u-only LP alone, with the other core busy, gave 35.7 -> 40.3).
#   exact mu (product laws), k = 256: amm2d c = (1/4, 3/8) 8.5 -> 6.5, beta:2,5 19.0 -> 18.6,
#     monopolist2d 2.9 -> 2.6, but truncnorm:0.3,0.2 off the centre 55.3 -> 70.3 (again: 51.9 ->
#     56.7, fewer iterations, each dearer), amm3d off the centre k = 32 2.1 -> 2.5. Mixed, and the
#     case near the 60 s target loses, so product laws keep unbounded columns.
BOXED_MEASURE_RULES = frozenset({"histogram"})


def column_box_pays(setting: Setting) -> bool:
    """Whether the measure form's row generation boxes its columns: for a histogram mu (measured, above)."""
    return setting.dist.measure_rule in BOXED_MEASURE_RULES


def solve_generating_rows(
    lp: LPData, deferred: np.ndarray, backend: Backend, row_tol: float
) -> tuple[BackendResult, tuple[RoundLog, ...], int]:
    """Solve ``lp`` on ``backend``, adding the ``deferred`` rows (lower bound 0) only when violated.

    Parameters
    ----------
    lp : LPData
        The full u-only LP (maximize, rows ``>= row_lower``).
    deferred : np.ndarray of bool
        Rows held back at the start; each must have ``row_lower == 0``.
    backend : Backend
        A simplex backend, empty (this function loads it).
    row_tol : float
        A deferred row enters when the optimum violates it by more than this.

    Returns
    -------
    result : BackendResult
        The last solve, with ``row_dual`` scattered to all rows of ``lp`` (zero
        on rows never added) and iterations summed over the rounds.
    rounds : tuple of RoundLog
        Rows, seconds, iterations, worst deferred violation and rows added, per round.
    active : int
        Rows in the LP at the end.
    """
    if np.any(lp.row_lower[deferred] != 0.0):
        raise ValueError("only rows with lower bound 0 can be deferred")
    active = ~deferred
    order = list(np.flatnonzero(active))     # the backend's row i is lp's row order[i]
    backend.load(lp.cost, lp.col_lower, lp.col_upper, lp.rows[order], row_lower=lp.row_lower[order])
    rounds: list[RoundLog] = []
    iterations = 0
    while True:
        t0 = time.perf_counter()
        res = backend.solve()
        iterations += res.iterations
        if res.status != st.OPTIMAL or res.z is None:
            return BackendResult(res.status, res.message, None, None, None, iterations), tuple(rounds), len(order)
        slack = lp.rows @ res.z - lp.row_lower
        waiting = ~active
        worst = float(max(0.0, -slack[waiting].min(initial=0.0)))
        new = np.flatnonzero(waiting & (slack < -row_tol))
        if len(rounds) + 1 >= MAX_ROUNDS and len(new):
            new = np.flatnonzero(waiting)   # a last round with every row: it certainly ends
        rounds.append(RoundLog(len(order), time.perf_counter() - t0, res.iterations, worst, len(new)))
        log.info("measure primal round %d: %d rows, %.2f s (%d iterations), worst deferred row %.1e, adding %d",
                 len(rounds), len(order), rounds[-1].lp_s, res.iterations, worst, len(new))
        if not len(new):
            break
        backend.add_rows(lp.rows[new])
        active[new] = True
        order.extend(new)
    row_dual = np.zeros(lp.rows.shape[0])
    row_dual[np.asarray(order)] = res.row_dual
    return (BackendResult(res.status, res.message, res.z, row_dual, res.objective, iterations),
            tuple(rounds), len(order))
