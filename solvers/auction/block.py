"""The interim block shared by both exact double-auction LPs, their result and certificate.

Buyer values v_1 < .. < v_K (probabilities p), seller costs s_1 < .. < s_L
(probabilities q), i.i.d. per side. The broker maximizes
sum_i E[P_i(v_i)] - sum_j E[R_j(s_j)] over interim allocations Q_i = E_{-i}[q_i],
S_j = E_{-j}[r_j] and interim payments P_i (paid by buyers), R_j (paid to
sellers), subject to BIC for every pair of reports and interim IR.
:class:`InterimBlock` holds those variables and rows; both formulations read
the same certificate from the multipliers (:func:`lagrangian_bound`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import sparse

from grids.auction import AuctionSetting
from solvers import status as st
from solvers.backends.highs import new_highs as new_quiet_highs


FEAS_TOL = 1e-7          # IC/IR violation and realization residual above which a result is "inaccurate"


HIGHS_TOL = 1e-10        # HiGHS primal and dual feasibility tolerance


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
    implied by the BIC/IR ones, :func:`solvers.auction.interim.implied_duals`).
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
        from solvers.report import json_ready

        return json_ready(asdict(self))


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


def new_highs(time_limit: float, **options: object):
    """A silent HiGHS instance with the project's tolerances."""
    opts = {"primal_feasibility_tolerance": HIGHS_TOL, "dual_feasibility_tolerance": HIGHS_TOL,
            "time_limit": float(time_limit), **options}
    return new_quiet_highs(**opts)
