"""The exact Bayesian-IC LP of a double auction on discrete types (DESIGN §2): the ex-post form.

Buyer values v_1 < .. < v_K (probabilities p), seller costs s_1 < .. < s_L
(probabilities q), i.i.d. per side. The broker maximizes
sum_i E[P_i(v_i)] - sum_j E[R_j(s_j)] over interim allocations Q_i = E_{-i}[q_i],
S_j = E_{-j}[r_j] and interim payments P_i (paid by buyers), R_j (paid to
sellers), subject to BIC for every pair of reports, interim IR and ex-post
feasibility of (q, r) in every type profile.

Both formulations share :class:`InterimBlock` (the interim variables with
their BIC and IR rows) and read the same certificate from the multipliers
(:func:`lagrangian_bound`). This module holds the ex-post LP and the entry
point :func:`solve_auction_lp`; the column-generation formulation is in
:mod:`solvers.auction_interim`.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import asdict, dataclass, field

import highspy
import numpy as np
from scipy import sparse

from grids.auction import AuctionSetting
from grids.errors import InvalidInput
from solvers import status as st
from solvers import arguments as arg
from solvers.backends.highs import model_status, new_highs as new_quiet_highs

FORMULATIONS = ("auto", "interim", "ex_post")
FEAS_TOL = 1e-7          # IC/IR violation and realization residual above which a result is "inaccurate"
HIGHS_TOL = 1e-10        # HiGHS primal and dual feasibility tolerance
BYTES_PER_NONZERO = 500  # ex-post peak RSS per nonzero: 446 B fitted on 2x2 K = 17, 21 (simplex), rounded up
BASE_BYTES = 200 * 2**20  # interpreter, numpy, scipy, highspy (170 MiB in the same fit)


@dataclass(frozen=True)
class InterimBlock:
    """Interim variables z = (Q, P, S, R) of agent classes, their BIC and IR rows and bounds.

    A class is a group of ``count`` interchangeable agents sharing one interim
    allocation (one agent per class for the ex-post LP; one class per side in
    the symmetric interim LP). The objective is sum_c count_c p @ P_c -
    sum_c count_c q @ R_c. Rows ``rows @ z >= 0`` are, per class and types
    k != k', u(k, k) >= u(k, k') (BIC) and u(k, k) >= 0 (IR), with
    u(k, k') = v_k Q(k') - P(k') for buyers and R(k') - s_k S(k') for sellers.
    Payments are boxed by [v_1 Q, v_k Q] (buyers) and [s_l S, s_L S] (sellers)
    padded by (span + 1) units: every optimum lies strictly inside (at an
    optimum the lowest buyer and highest seller get zero surplus), so the box
    changes neither the optimum nor the multipliers, and it keeps the bound of
    :func:`lagrangian_bound` finite.
    """

    vb: np.ndarray
    pb: np.ndarray
    vs: np.ndarray
    ps: np.ndarray
    buyer_count: np.ndarray
    seller_count: np.ndarray
    demand: np.ndarray
    supply: np.ndarray
    cost: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    rows: sparse.csr_matrix
    define: sparse.csr_matrix  # selects (Q, S) from z: one row per class and type

    @property
    def size(self) -> int:
        return len(self.cost)

    def split(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Q (cb, K), P (cb, K), S (cs, L), R (cs, L) from z."""
        cb, cs, k, l_ = len(self.buyer_count), len(self.seller_count), len(self.vb), len(self.vs)
        parts = np.split(np.asarray(z, dtype=np.float64), np.cumsum([cb * k, cb * k, cs * l_]))
        return parts[0].reshape(cb, k), parts[1].reshape(cb, k), parts[2].reshape(cs, l_), parts[3].reshape(cs, l_)

    def virtual(self, define_dual: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Virtual values phi (cb, K) and costs gamma (cs, L) from the multipliers of the definition rows.

        With HiGHS's multiplier y = dOPT/d(rhs) of the row Q_c(k) - realized = 0,
        phi_c(k) = y / (count_c p_k); for sellers gamma_c(l) = -y / (count_c q_l).
        """
        nb = len(self.buyer_count) * len(self.vb)
        phi = define_dual[:nb].reshape(len(self.buyer_count), -1) / np.outer(self.buyer_count, self.pb)
        gamma = -define_dual[nb:].reshape(len(self.seller_count), -1) / np.outer(self.seller_count, self.ps)
        return phi, gamma

    def per_agent(self, buyer: np.ndarray, seller: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Class arrays repeated to one row per agent: (m, K), (n, L)."""
        return (np.repeat(buyer, self.buyer_count.astype(int), axis=0),
                np.repeat(seller, self.seller_count.astype(int), axis=0))


def _side_rows(values: np.ndarray, classes: int, q0: int, p0: int, sign: float, size: int,
               adjacent: bool) -> sparse.coo_matrix:
    """BIC and IR rows of one side: sign (v_k Q(k) - P(k)) - sign (v_k Q(k') - P(k')) >= 0 and IR."""
    k = len(values)
    own, other = np.nonzero(np.abs(np.subtract.outer(np.arange(k), np.arange(k))) == 1 if adjacent
                            else ~np.eye(k, dtype=bool))
    c = np.arange(classes)[:, None]
    qo, po, qm, pm = q0 + c * k + own, p0 + c * k + own, q0 + c * k + other, p0 + c * k + other
    bic_cols = np.stack([qo, po, qm, pm], axis=-1).reshape(-1, 4)
    bic_vals = np.tile(sign * np.stack([values[own], -np.ones(len(own)), -values[own], np.ones(len(own))], -1),
                       (classes, 1))
    ir = np.array([0 if sign > 0 else k - 1]) if adjacent else np.arange(k)  # the worst type's IR implies the rest
    ir_cols = np.stack(np.broadcast_arrays(q0 + c * k + ir, p0 + c * k + ir), axis=-1).reshape(-1, 2)
    ir_vals = np.tile(sign * np.stack([values[ir], -np.ones(len(ir))], -1), (classes, 1))
    n_bic = len(bic_cols)
    rows = np.concatenate([np.repeat(np.arange(n_bic), 4), n_bic + np.repeat(np.arange(len(ir_cols)), 2)])
    return sparse.coo_matrix((np.concatenate([bic_vals.ravel(), ir_vals.ravel()]),
                              (rows, np.concatenate([bic_cols.ravel(), ir_cols.ravel()]))),
                             shape=(n_bic + len(ir_cols), size))


def _payment_box(values: np.ndarray, caps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per class and type: [min(v_1 D, 0), max(v_K D, 0)] widened by (v_K - v_1) D + 1 on both sides."""
    pad = (values[-1] - values[0]) * caps + 1.0
    lo, hi = np.minimum(values[0] * caps, 0.0) - pad, np.maximum(values[-1] * caps, 0.0) + pad
    return np.repeat(lo, len(values)), np.repeat(hi, len(values))


def interim_block(setting: AuctionSetting, symmetric: bool, adjacent: bool = False) -> InterimBlock:
    """The interim variables of ``setting``: one class per side when ``symmetric``, else one per agent.

    ``adjacent`` keeps only the BIC rows between neighbouring types (k, k +- 1)
    and the IR row of the lowest buyer type and the highest seller type: the
    same feasible set, since up and down neighbour constraints give
    (v_{k+1} - v_k)(Q(k+1) - Q(k)) >= 0 (monotone Q), monotone Q with
    neighbour constraints chains to every pair, and BIC with Q >= 0 gives
    u(k, k) >= u(1, 1) (buyers; sellers from the top).
    """
    vb, pb = setting.values.support_array()
    vs, ps = setting.costs.support_array()
    m, n, k, l_ = setting.buyers, setting.sellers, len(vb), len(vs)
    bc = np.array([m] if symmetric else [1] * m, dtype=np.float64)
    sc = np.array([n] if symmetric else [1] * n, dtype=np.float64)
    dem = np.asarray(setting.demand[:len(bc)], dtype=np.float64)
    sup = np.asarray(setting.supply[:len(sc)], dtype=np.float64)
    cb, cs = len(bc), len(sc)
    o_p, o_s, o_r = cb * k, 2 * cb * k, 2 * cb * k + cs * l_
    size = o_r + cs * l_
    cost = np.concatenate([np.zeros(cb * k), np.outer(bc, pb).ravel(), np.zeros(cs * l_), -np.outer(sc, ps).ravel()])
    (pb_lo, pb_hi), (ps_lo, ps_hi) = _payment_box(vb, dem), _payment_box(vs, sup)
    lower = np.concatenate([np.zeros(cb * k), pb_lo, np.zeros(cs * l_), ps_lo])
    upper = np.concatenate([np.repeat(dem, k), pb_hi, np.repeat(sup, l_), ps_hi])
    rows = sparse.vstack([_side_rows(vb, cb, 0, o_p, 1.0, size, adjacent),
                          _side_rows(vs, cs, o_s, o_r, -1.0, size, adjacent)])
    sel = np.concatenate([np.arange(cb * k), o_s + np.arange(cs * l_)])
    define = sparse.csr_matrix((np.ones(len(sel)), (np.arange(len(sel)), sel)), shape=(len(sel), size))
    return InterimBlock(vb, pb, vs, ps, bc, sc, dem, sup, cost, lower, upper, rows.tocsr(), define)


def lagrangian_bound(block: InterimBlock, rows_dual: np.ndarray, define_dual: np.ndarray, priced: float) -> float:
    """Upper bound from multipliers: max over the z box of the Lagrangian, plus the priced ex-post part.

    With mu = -(HiGHS multipliers) (clipped to >= 0 on the BIC/IR rows) the
    Lagrangian is d @ z + E[sum phi q - sum gamma r], d = cost + rows^T mu_B +
    define^T mu_D; ``priced`` is the maximum of the second term over all
    ex-post feasible rules. Weak duality makes this an upper bound for any
    such multipliers, however inexact.
    """
    mu_b = np.maximum(-rows_dual, 0.0)
    d = block.cost + block.rows.T @ mu_b - block.define.T @ define_dual
    return float(np.maximum(d * block.lower, d * block.upper).sum() + priced)


def interim_gains(types: np.ndarray, alloc: np.ndarray, pay: np.ndarray, buyer: bool) -> tuple[float, float]:
    """(largest interim gain from misreporting, largest IR shortfall) over agents and types, 0 if none.

    Buyer of type k reporting l gets t_k A(l) - P(l); a seller gets P(l) - t_k A(l).
    """
    sign = 1.0 if buyer else -1.0
    util = sign * (types[None, :, None] * alloc[:, None, :] - pay[:, None, :])  # [agent, true k, report l]
    truth = np.diagonal(util, axis1=1, axis2=2)
    return float(max(0.0, (util.max(axis=2) - truth).max())), float(max(0.0, -truth.min()))


def incentive_report(block: InterimBlock, z: np.ndarray) -> tuple[dict[str, float], dict[str, float]]:
    """Largest interim gain from misreporting and largest IR shortfall, per side, from the arrays."""
    q, p, s, r = block.split(z)
    out_ic, out_ir = {}, {}
    for side, alloc, pay, v, buyer in (("buyer", q, p, block.vb, True), ("seller", s, r, block.vs, False)):
        out_ic[side], out_ir[side] = interim_gains(v, alloc, pay, buyer)
    return out_ic, out_ir


@dataclass(frozen=True)
class AuctionLPResult:
    """A solved exact LP: the optimal interim mechanism and its certificate.

    ``value`` is sum_i p @ P_i - sum_j q @ R_j recomputed from the arrays;
    ``dual_bound`` is :func:`lagrangian_bound` recomputed from the multipliers;
    ``gap`` = dual_bound - value. ``buyer_virtual`` / ``seller_virtual`` are the
    multipliers of the rows defining Q_i(v) / S_j(s) divided by p(v) / q(s)
    (sign: phi = dOPT/d(free interim allocation) / p, gamma = -dOPT/d(..) / q,
    so the ex-post rule maximizes sum phi q - sum gamma r); for the interim
    formulation, the multipliers of the certificate (define-row multipliers
    implied by the BIC/IR ones, :func:`solvers.auction_interim.implied_duals`).
    Once the gap is closed they are an optimal dual, so the ironed broker's
    allocation maximizes sum phi q - sum gamma r in every profile. They equal
    the ironed virtual values where the duals are pinned (a trading type below
    capacity whose allocation strictly rises through it); on a run of types
    with one allocation only their probability-weighted mean is pinned, and at
    no-trade or capacity types they are one-sided.
    ``ic_violation`` / ``ir_violation``: largest interim gain from misreporting
    and IR shortfall per side; ``residuals``: realizability of (Q, S).
    """

    status: str
    value: float
    dual_bound: float
    gap: float
    buyer_alloc: np.ndarray
    buyer_pay: np.ndarray
    seller_alloc: np.ndarray
    seller_recv: np.ndarray
    buyer_virtual: np.ndarray
    seller_virtual: np.ndarray
    ic_violation: dict[str, float]
    ir_violation: dict[str, float]
    residuals: dict[str, float]
    expected_trades: float
    formulation: str
    rows: int
    columns: int
    nonzeros: int
    iterations: int
    seconds: dict[str, float]
    extra: dict[str, object] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: arrays as nested lists, non-finite floats as None."""
        def clean(x: object) -> object:
            if isinstance(x, np.ndarray):
                return clean(x.tolist())
            if isinstance(x, dict):
                return {k: clean(v) for k, v in x.items()}
            if isinstance(x, (list, tuple)):
                return [clean(v) for v in x]
            if isinstance(x, (float, np.floating)):
                return float(x) if math.isfinite(x) else None
            return x.item() if isinstance(x, np.generic) else x
        return clean(asdict(self))


def make_result(block: InterimBlock, z: np.ndarray, row_dual: np.ndarray, priced: float, *, residual: float,
                formulation: str, sizes: tuple[int, int, int], iterations: int, seconds: dict[str, float],
                gap_tol: float, extra: dict[str, object]) -> AuctionLPResult:
    """Assemble the result; the block's BIC/IR rows come first in ``row_dual``, then its definition rows."""
    nb = block.rows.shape[0]
    rows_dual, define_dual = row_dual[:nb], row_dual[nb:nb + block.define.shape[0]]
    q, p, s, r = block.split(z)
    value = float(block.buyer_count @ (p @ block.pb) - block.seller_count @ (r @ block.ps))
    bound = lagrangian_bound(block, rows_dual, define_dual, priced)
    phi, gamma = block.virtual(define_dual)
    ic, ir = incentive_report(block, z)
    ok = abs(bound - value) <= gap_tol * max(1.0, abs(value)) and max(*ic.values(), *ir.values(), residual) <= FEAS_TOL
    (qa, sa), (pa, ra), (fa, ga) = block.per_agent(q, s), block.per_agent(p, r), block.per_agent(phi, gamma)
    return AuctionLPResult(
        st.OPTIMAL if ok else st.INACCURATE, value, bound, bound - value, qa, pa, sa, ra, fa, ga, ic, ir,
        {"realization": residual}, float((qa @ block.pb).sum()), formulation, *sizes, iterations,
        seconds, extra)


def new_highs(time_limit: float, **options: object) -> highspy.Highs:
    """A silent HiGHS instance with the project's tolerances."""
    opts = {"primal_feasibility_tolerance": HIGHS_TOL, "dual_feasibility_tolerance": HIGHS_TOL,
            "time_limit": float(time_limit), **options}
    return new_quiet_highs(**opts)


def run_highs(h: highspy.Highs, what: str, retry_cold: bool = False) -> tuple[np.ndarray, np.ndarray, int]:
    """Run; (col_value, row_dual, iterations) or :class:`SolverFailure` with the status.

    ``retry_cold``: after a status other than optimal, time or iteration limit
    (HiGHS's "Unknown" after many warm re-solves), clear the basis and run once more.
    """
    h.run()
    status, words = model_status(h)
    if retry_cold and status == st.SOLVER_ERROR:
        h.clearSolver()
        h.run()
        status, words = model_status(h)
    info = h.getInfo()
    its = int(info.simplex_iteration_count) + int(info.ipm_iteration_count) + int(info.crossover_iteration_count)
    if status != st.OPTIMAL:
        raise st.SolverFailure(status, f"{what}: HiGHS says {words}")
    sol = h.getSolution()
    return np.asarray(sol.col_value, dtype=np.float64), np.asarray(sol.row_dual, dtype=np.float64), its


def pass_lp(h: highspy.Highs, cost: np.ndarray, lower: np.ndarray, upper: np.ndarray, a: sparse.spmatrix,
            row_lower: np.ndarray, row_upper: np.ndarray) -> None:
    """Load max cost @ x, lower <= x <= upper, row_lower <= a x <= row_upper (column-wise)."""
    a = sparse.csc_matrix(a)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = a.shape[1], a.shape[0]
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, lower, upper
    lp.row_lower_ = row_lower
    lp.row_upper_ = np.where(np.isinf(row_upper), highspy.kHighsInf, row_upper)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(np.float64)
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = a.shape[1], a.shape[0]
    h.passModel(lp)


def expost_size(setting: AuctionSetting) -> dict[str, int]:
    """Rows, columns, nonzeros and estimated peak bytes of the ex-post LP, from the counts alone."""
    m, n, k, l_, t = setting.buyers, setting.sellers, setting.values.size, setting.costs.size, setting.profiles
    rows = m * k * k + n * l_ * l_ + m * k + n * l_ + t
    cols = 2 * (m * k + n * l_) + t * (m + n)
    nnz = 4 * (m * k * (k - 1) + n * l_ * (l_ - 1)) + 2 * (m * k + n * l_) + m * k + n * l_ + 2 * t * (m + n)
    return {"profiles": t, "rows": rows, "columns": cols, "nonzeros": nnz,
            "bytes": BASE_BYTES + BYTES_PER_NONZERO * nnz}


def available_bytes() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


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
    limit = 0.75 * available_bytes() if memory_limit is None else memory_limit
    if size["bytes"] > limit:
        raise InvalidInput(
            f"the ex-post LP of {setting.buyers}x{setting.sellers} with {setting.values.size}x{setting.costs.size}"
            f" types has {size['profiles']:,} profiles, {size['columns']:,} columns and {size['nonzeros']:,}"
            f" nonzeros: about {size['bytes'] / 2**30:.1f} GiB, over the {limit / 2**30:.1f} GiB limit; use"
            " formulation='interim' or the optimal broker (--mechanism broker)")
    from solvers.auction_interim import ProfilePricer

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
        ``auto`` is ``interim`` (column generation, :mod:`solvers.auction_interim`).
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
    from solvers.auction_interim import solve_interim

    return solve_interim(setting, time_limit=time_limit, gap_tol=gap_tol, max_rounds=max_rounds)
