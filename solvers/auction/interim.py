"""The exact double-auction LP by Dantzig-Wolfe column generation over interim allocations.

The feasible interim allocations (Q, S) of ex-post feasible rules form a
polytope whose vertices are the interim allocations of deterministic rules.
The master LP keeps the interim variables z = (Q, P, S, R) of
:class:`~solvers.auction.block.InterimBlock` with their BIC and IR rows and
writes (Q, S) = sum_c lambda_c (Q^c, S^c), sum_c lambda_c = 1, lambda >= 0,
over generated columns c. Pricing: with phi, gamma read from the duals of the
rows defining Q and S, the best column maximizes E[sum_i phi_i(v_i) q_i -
sum_j gamma_j(s_j) r_j], i.e. greedy matching in every profile. Its value is
also the ex-post part of the Lagrangian bound, so each round certifies
dual_bound = master value + max reduced cost (recomputed from the arrays by
:func:`~solvers.auction.block.lagrangian_bound`).

Symmetric settings (equal capacities per side): the LP is convex and
invariant under permuting buyers (and sellers), so averaging an optimum over
permutations gives a symmetric optimum; the master then has one buyer class
and one seller class, and pricing enumerates multisets of types with
multinomial probabilities (C(K+m-1, m) C(L+n-1, n) instead of K^m L^n), one
side at a time (:class:`MultisetPricer`). Otherwise every agent is its own
class and pricing enumerates profiles.

Initial columns are independent of the virtual-value formula: no trade and
greedy on raw values v - t against costs s + t for a few spreads t (for
uniform laws the spread t = 1/4 is close to the optimal rule; with no trade
and t = 0 alone the cases measured took 2 rounds instead of 1).
"""

from __future__ import annotations

import math
import time

import numpy as np
from scipy import sparse

from grids import memory
from grids.auction import AuctionSetting
from grids.errors import InvalidInput
from solvers import status as st
from solvers.auction.block import (AuctionLPResult, InterimBlock, interim_block, lagrangian_bound, make_result,
                                   new_highs)
from solvers.auction.pricing import MultisetPricer, ProfilePricer
from solvers.backends.highs import pass_lp, run_highs


PRICING_LIMIT = 100_000_000  # multisets x units (symmetric) or profiles x agents one pricing round may visit


BYTES_PER_ENTRY = 64  # peak bytes per entry of that count (measured 53 at 8x8 K = 21, 5e7 entries, 2.6 GiB)


SPREADS = (0.0, 0.125, 0.25, 0.375)  # initial columns: greedy on v - t against s + t, t = spread x value range


def implied_duals(block: InterimBlock, row_dual: np.ndarray) -> np.ndarray:
    """The master's multipliers with those of the rows defining (Q, S) replaced by their BIC/IR-implied values.

    Given BIC/IR multipliers mu >= 0, the new define-row multipliers make the
    reduced cost d of every Q and S zero. This never raises the Lagrangian
    bound: for Q_k in [0, D] the bound is D max(d_k, 0) + priced(pi) + ..., and
    priced is nondecreasing in pi_k with slope Q^c_k in [0, D]; moving pi_k by
    -d_k lowers the first term by D max(d_k, 0) and changes priced by at most
    that (or lowers it, when d_k < 0). Sellers alike. In a degenerate master
    the multipliers of types that do not trade sit anywhere in an interval;
    these are the values the BIC multipliers (the ironing flows) imply.
    """
    nb, nd = block.rows.shape[0], block.define.shape[0]
    out = row_dual.copy()
    out[:nb] = np.minimum(row_dual[:nb], 0.0)
    out[nb:nb + nd] = block.define @ (block.cost - block.rows.T @ out[:nb])
    return out


def _initial_weights(block: InterimBlock) -> list[tuple[np.ndarray, np.ndarray]]:
    """Class weights of the starting columns: zero (no trade) and raw values with spreads."""
    cb, cs = len(block.buyer_count), len(block.seller_count)
    span = max(block.vb[-1], block.vs[-1]) - min(block.vb[0], block.vs[0])
    out = [(np.zeros((cb, len(block.vb))), np.zeros((cs, len(block.vs))))]
    for t in SPREADS:
        out.append((np.tile(block.vb - t * span, (cb, 1)), np.tile(block.vs + t * span, (cs, 1))))
    return out


def _column(block: InterimBlock, qc: np.ndarray, sc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row indices and values of a lambda column: -Q^c, -S^c on the definition rows, 1 on the convexity row."""
    nb, nd = block.rows.shape[0], block.define.shape[0]
    vals = np.concatenate([-qc.ravel(), -sc.ravel(), [1.0]])
    idx = np.concatenate([nb + np.arange(nd), [nb + nd]])
    keep = vals != 0.0
    return idx[keep].astype(np.int32), vals[keep]


def check_interim_size(setting: AuctionSetting, symmetric: bool) -> int:
    """Pricing work per round; refuse a setting beyond :data:`PRICING_LIMIT` or this machine's memory."""
    work = MultisetPricer.work(setting) if symmetric else setting.profiles * (setting.buyers + setting.sellers)
    need, have = BYTES_PER_ENTRY * work, memory.memory_limit()
    if work > PRICING_LIMIT or need > have:
        what = "multisets x units" if symmetric else "profiles x agents"
        raise InvalidInput(
            f"the interim LP of {setting.buyers}x{setting.sellers} with {setting.values.size}x{setting.costs.size}"
            f" types prices over {work:,} {what} per round (limit {PRICING_LIMIT:,}), about"
            f" {need / 2**30:.1f} GiB of {have / 2**30:.1f} GiB; use fewer types or agents, or the optimal"
            " broker (--mechanism broker)")
    return work


def solve_interim(setting: AuctionSetting, *, time_limit: float = math.inf, gap_tol: float = 1e-9,
                  max_rounds: int = 5000, adjacent: bool = True) -> AuctionLPResult:
    """Column generation on the interim master LP until bound - value <= gap_tol max(1, |value|).

    Each round prices first at :func:`implied_duals` of the master's
    multipliers, then (if that column does not improve the master) at the
    master's own multipliers, and adds the column; the master is re-solved
    warm (dual simplex). It stops when the lowest Lagrangian bound found is
    within the tolerance of the master value, or when no column has a positive
    reduced cost at the master's multipliers (then bound = value + that
    reduced cost). Pricing at the master's multipliers alone (with Wentges
    smoothing) needed 20 to over 1000 rounds at K = 32..128, erratically; with
    the implied multipliers the cases measured took 1 to 4 rounds.
    ``adjacent`` keeps only neighbouring BIC rows and the IR row of the
    lowest buyer and highest seller type, the same feasible set (see
    :func:`~solvers.auction.block.interim_block`) with a smaller master. It also
    matters for the implied multipliers: with an IR row at every type, the
    IR multipliers of types that do not trade absorb the flow, their implied
    virtual value is their own value, and the rounds go back to hundreds or
    thousands (measured: 12 of 18 cases over 30 s at K >= 21).

    Raises
    ------
    InvalidInput
        Pricing would visit more than :data:`PRICING_LIMIT` entries per round.
    SolverFailure
        HiGHS failed, or time or rounds ran out (the message gives the bounds reached).
    """
    t0 = time.perf_counter()
    symmetric = setting.symmetric
    check_interim_size(setting, symmetric)
    block = interim_block(setting, symmetric=symmetric, adjacent=adjacent)
    pricer = MultisetPricer.from_setting(setting) if symmetric else ProfilePricer.from_setting(setting)
    nb, nd, nz = block.rows.shape[0], block.define.shape[0], block.size
    columns = [pricer.price(*w)[1:] for w in _initial_weights(block)]
    initial = len(columns)
    cmat = np.stack([np.concatenate([q.ravel(), s.ravel()]) for q, s in columns], axis=1)
    a = sparse.bmat([[block.rows, None], [block.define, sparse.csr_matrix(-cmat)],
                     [None, sparse.csr_matrix(np.ones((1, cmat.shape[1])))]], format="csc")
    n_rows = a.shape[0]
    h = new_highs(time_limit, solver="simplex", simplex_strategy=1)
    pass_lp(h, np.concatenate([block.cost, np.zeros(len(columns))]),
            np.concatenate([block.lower, np.zeros(len(columns))]),
            np.concatenate([block.upper, np.full(len(columns), np.inf)]), a,
            np.concatenate([np.zeros(nb + nd), [1.0]]), np.concatenate([np.full(nb, np.inf), np.zeros(nd), [1.0]]))
    t_build = time.perf_counter() - t0
    t_master = t_price = 0.0
    iterations, rounds, nnz = 0, 0, a.nnz
    best, center, center_priced = math.inf, None, 0.0
    while True:
        rounds += 1
        spent = time.perf_counter() - t0
        h.setOptionValue("time_limit", float(h.getRunTime() + max(time_limit - spent, 0.0)))
        t1 = time.perf_counter()
        x, row_dual, its = run_highs(h, f"interim master LP, round {rounds}", retry_cold=True)
        iterations += its
        t2 = time.perf_counter()
        z, lam = x[:nz], x[nz:]
        value = float(block.cost @ z)
        tol = gap_tol * max(1.0, abs(value))
        new = None
        for trial in (implied_duals(block, row_dual), row_dual):
            priced, qc, sc = pricer.price(*block.virtual(trial[nb:nb + nd]))
            bound = lagrangian_bound(block, trial[:nb], trial[nb:nb + nd], priced)
            if bound < best:
                best, center, center_priced = bound, trial, priced
            reduced = float(row_dual[nb:nb + nd] @ np.concatenate([qc.ravel(), sc.ravel()]) - row_dual[nb + nd])
            if reduced > tol or best - value <= tol:  # else the column does not improve the master
                new = (qc, sc) if reduced > tol else None
                break
        t3 = time.perf_counter()
        t_master, t_price = t_master + t2 - t1, t_price + t3 - t2
        if best - value <= tol or new is None:
            break
        if rounds >= max_rounds or time.perf_counter() - t0 > time_limit:
            status = st.ROUND_LIMIT if rounds >= max_rounds else st.TIME_LIMIT
            raise st.SolverFailure(status, f"column generation stopped after {rounds} rounds with master value"
                                   f" {value:.12g} and bound {best:.12g}")
        idx, vals = _column(block, *new)
        h.addCols(1, np.zeros(1), np.zeros(1), np.full(1, np.inf), len(idx), np.zeros(1, np.int32), idx, vals)
        columns.append(new)
        nnz += len(idx)
    cmat = np.stack([np.concatenate([q.ravel(), s.ravel()]) for q, s in columns], axis=1)
    residual = max(np.abs(block.define @ z - cmat @ lam).max(), abs(lam.sum() - 1.0), max(0.0, -lam.min()))
    t4 = time.perf_counter()
    extra = {"rounds": rounds, "columns_generated": len(columns) - initial, "initial_columns": initial,
             "symmetric": symmetric,
             "profiles": setting.profiles,
             "multisets": (len(pricer.pb_multi) * len(pricer.ps_multi)) if symmetric else None,
             "master_rows": n_rows}
    return make_result(block, z, center, center_priced, residual=float(residual), formulation="interim",
                       sizes=(n_rows, nz + len(columns), nnz), iterations=iterations,
                       seconds={"build": t_build, "master": t_master, "pricing": t_price,
                                "certificate": time.perf_counter() - t4, "total": time.perf_counter() - t0},
                       gap_tol=gap_tol, extra=extra)
