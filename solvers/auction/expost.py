"""The exact double-auction LP in its ex-post form: one allocation per type profile (DESIGN §2).

Exponential in the number of agents: for small markets, and as the
straightforward check of the column-generation formulation
(:mod:`solvers.auction.interim`).
"""

from __future__ import annotations

import time

import numpy as np
from scipy import sparse

from grids import memory
from grids.auction import AuctionSetting
from grids.errors import InvalidInput
from solvers.auction.block import AuctionLPResult, interim_block, make_result, new_highs
from solvers.backends.highs import pass_lp, run_highs


BYTES_PER_NONZERO = 500  # ex-post peak RSS per nonzero: 446 B fitted on 2x2 K = 17, 21 (simplex), rounded up


BASE_BYTES = 200 * 2**20  # interpreter, numpy, scipy, highspy (170 MiB in the same fit)


def expost_size(setting: AuctionSetting) -> dict[str, int]:
    """Rows, columns, nonzeros and estimated peak bytes of the ex-post LP, from the counts alone."""
    m, n, k, l_, t = setting.buyers, setting.sellers, setting.values.size, setting.costs.size, setting.profiles
    rows = m * k * k + n * l_ * l_ + m * k + n * l_ + t
    cols = 2 * (m * k + n * l_) + t * (m + n)
    nnz = 4 * (m * k * (k - 1) + n * l_ * (l_ - 1)) + 2 * (m * k + n * l_) + m * k + n * l_ + 2 * t * (m + n)
    return {"profiles": t, "rows": rows, "columns": cols, "nonzeros": nnz,
            "bytes": BASE_BYTES + BYTES_PER_NONZERO * nnz}


def solve_expost(setting: AuctionSetting, *, time_limit: float, gap_tol: float, method: str = "simplex",
                 memory_limit: float | None = None) -> AuctionLPResult:
    """The ex-post LP: per profile t, q_i(t) in [0, D_i], r_j(t) in [0, S_j], sum_i q_i(t) = sum_j r_j(t).

    One balance row per profile is exact: any q, r with equal totals and
    within capacities is realized by some x_ij >= 0 on the complete bipartite
    graph (a transportation problem with equal totals is always feasible).
    The rows Q_i(k) = sum_{t: t_i = k} prob(t) / p_k q_i(t) (and likewise S)
    define the interim allocations; BIC and IR come from :func:`interim_block`.
    """
    size = expost_size(setting)
    limit = memory.memory_limit() if memory_limit is None else memory_limit
    if size["bytes"] > limit:
        raise InvalidInput(
            f"the ex-post LP of {setting.buyers}x{setting.sellers} with {setting.values.size}x{setting.costs.size}"
            f" types has {size['profiles']:,} profiles, {size['columns']:,} columns and {size['nonzeros']:,}"
            f" nonzeros: about {size['bytes'] / 2**30:.1f} GiB, over the {limit / 2**30:.1f} GiB limit; use"
            " formulation='interim' or the optimal broker (--mechanism broker)")
    from solvers.auction.pricing import ProfilePricer

    t0 = time.perf_counter()
    block = interim_block(setting, symmetric=False)
    pricer = ProfilePricer.from_setting(setting)
    m, n, k, l_, nz = setting.buyers, setting.sellers, len(block.vb), len(block.vs), block.size
    t_count = len(pricer.prob)
    qcol = nz + np.arange(t_count * m).reshape(t_count, m)
    rcol = nz + t_count * m + np.arange(t_count * n).reshape(t_count, n)
    nb, nd = block.rows.shape[0], block.define.shape[0]
    rb = nb + np.arange(m) * k + pricer.bi                # definition row of (agent i, its type in t)
    rs = nb + m * k + np.arange(n) * l_ + pricer.si
    bal = nb + nd + np.arange(t_count)
    head = sparse.vstack([block.rows, block.define]).tocoo()
    coo = sparse.coo_matrix((
        np.concatenate([head.data, -(pricer.prob[:, None] / block.pb[pricer.bi]).ravel(),
                        -(pricer.prob[:, None] / block.ps[pricer.si]).ravel(),
                        np.ones(t_count * m), -np.ones(t_count * n)]),
        (np.concatenate([head.row, rb.ravel(), rs.ravel(), np.repeat(bal, m), np.repeat(bal, n)]),
         np.concatenate([head.col, qcol.ravel(), rcol.ravel(), qcol.ravel(), rcol.ravel()]))),
        shape=(nb + nd + t_count, nz + t_count * (m + n)))
    cost = np.concatenate([block.cost, np.zeros(t_count * (m + n))])
    lower = np.concatenate([block.lower, np.zeros(t_count * (m + n))])
    upper = np.concatenate([block.upper, np.tile(np.asarray(setting.demand, float), t_count),
                            np.tile(np.asarray(setting.supply, float), t_count)])
    row_upper = np.concatenate([np.full(nb, np.inf), np.zeros(nd + t_count)])
    h = new_highs(time_limit, solver=method)
    pass_lp(h, cost, lower, upper, coo, np.zeros(len(row_upper)), row_upper)
    t1 = time.perf_counter()
    x, row_dual, its = run_highs(h, "ex-post auction LP")
    t2 = time.perf_counter()
    z = x[:nz]
    q, r = x[qcol], x[rcol]
    qi, _, si, _ = block.split(z)
    realized_q, realized_s = pricer.interim(pricer.bi, pricer.si, pricer.prob, q, r)
    residual = max(np.abs(realized_q - qi).max(), np.abs(realized_s - si).max(),
                   np.abs(q.sum(axis=1) - r.sum(axis=1)).max())
    phi, gamma = block.virtual(row_dual[nb:nb + nd])
    priced = pricer.price(phi, gamma)[0]
    t3 = time.perf_counter()
    return make_result(block, z, row_dual, priced, residual=float(residual), formulation="ex_post",
                       sizes=(coo.shape[0], coo.shape[1], coo.nnz), iterations=its,
                       seconds={"build": t1 - t0, "solve": t2 - t1, "certificate": t3 - t2, "total": t3 - t0},
                       gap_tol=gap_tol, extra={"profiles": t_count, "method": method})
