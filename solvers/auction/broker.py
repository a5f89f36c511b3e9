"""The optimal broker (Myerson and Satterthwaite 1983; DESIGN §2).

Trade buyer units in decreasing (ironed) virtual value phi_bar against seller
units in increasing (ironed) virtual cost gamma_bar while phi_bar > gamma_bar.
Its expected revenue E[sum_i phi_bar(v_i) q_i - sum_j gamma_bar(s_j) r_j] is the
optimum over BIC, interim IR mechanisms. Computed exactly by enumerating the
profiles of a discrete setting, by order-statistic quadrature for continuous
laws with unit capacities, and by Monte Carlo (with a standard error) otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy import special

from grids.auction import AuctionSetting
from solvers.auction.block import interim_gains
from solvers.auction.matching import greedy_trades, profile_chunks
from solvers.auction.virtual_values import BUYER, SELLER, VirtualValues, virtual_values

ENUMERATION_LIMIT = 4_000_000  # profiles enumerated exactly; beyond this, quadrature or Monte Carlo
GAUSS_NODES = 160              # per axis in the order-statistic quadrature (exact for uniform: degree < 319)


@dataclass(frozen=True)
class Estimate:
    """An expected value with how it was obtained.

    ``stderr`` is 0 for exact methods (``enumeration``, ``quadrature``: the
    latter to ~1e-10) and the Monte Carlo standard error otherwise.
    """

    revenue: float
    stderr: float
    trades: float
    method: str
    samples: int = 0


def side_virtual_values(setting: AuctionSetting, ironed: bool = True) -> tuple[VirtualValues, VirtualValues]:
    """(buyer phi, seller gamma) of a setting's laws."""
    return virtual_values(setting.values, BUYER, ironed), virtual_values(setting.costs, SELLER, ironed)


class Weights(Protocol):
    """A monotone map from reports to matching weights, with its inverse."""

    regular: bool

    def __call__(self, x: np.ndarray) -> np.ndarray: ...

    def inverse(self, t: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class Identity:
    """Weights equal to reports (first best), clipped to [lo, hi] when inverted."""

    lo: float
    hi: float
    regular: bool = True

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x, dtype=np.float64)

    def inverse(self, t: np.ndarray) -> np.ndarray:
        return np.clip(t, self.lo, self.hi)


def broker_outcome(setting: AuctionSetting, bids: np.ndarray, asks: np.ndarray, ironed: bool = True):
    """Units (q, r) and per-profile virtual surplus of the broker's allocation."""
    return _matched(setting, *side_virtual_values(setting, ironed), bids, asks)


def _matched(setting: AuctionSetting, wb_fn: Weights, ws_fn: Weights, bids: np.ndarray, asks: np.ndarray):
    wb, ws = wb_fn(bids), ws_fn(asks)
    q, r = greedy_trades(wb, ws, setting.demand, setting.supply)
    return q, r, (wb * q).sum(axis=1) - (ws * r).sum(axis=1)


def _enumerate(setting: AuctionSetting, wb_fn: Weights, ws_fn: Weights) -> Estimate:
    revenue = trades = 0.0
    for bids, asks, prob in profile_chunks(setting):
        q, _, surplus = _matched(setting, wb_fn, ws_fn, bids, asks)
        revenue += prob @ surplus
        trades += prob @ q.sum(axis=1)
    return Estimate(float(revenue), 0.0, float(trades), "enumeration")


def _order_stat_density(k: int, count: int, u: np.ndarray, largest: bool) -> np.ndarray:
    """Density in quantile u of the k-th largest (or smallest) of ``count`` i.i.d. U(0,1)."""
    j = count - k + 1 if largest else k  # rank from below
    return count * special.comb(count - 1, j - 1) * u ** (j - 1) * (1 - u) ** (count - j)


def _gauss(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights on [a, b] (broadcast over the last axis)."""
    x, w = np.polynomial.legendre.leggauss(GAUSS_NODES)
    a, b = np.asarray(a)[..., None], np.asarray(b)[..., None]
    return a + (b - a) * (x + 1) / 2, (b - a) * w / 2


def _quadrature(setting: AuctionSetting, phi: Weights, gamma: Weights) -> Estimate:
    """E[sum_t (phi(V_(t)) - gamma(C_(t)))^+], t-th largest value against t-th smallest cost.

    In quantiles (ub of the value, us of the cost) the integrand is smooth on
    us < us*(ub) = G(gamma^-1(phi(F^-1(ub)))) and 0 beyond, so Gauss-Legendre
    on [0, us*] inside and on [ub0, 1] outside (ub0: where us* reaches 0) is
    exact for polynomial integrands (uniform laws) and spectrally accurate for
    smooth ones.
    """
    rv_b, rv_s = setting.values.continuous(), setting.costs.continuous()
    m, n = setting.buyers, setting.sellers
    ub0 = rv_b.cdf(phi.inverse(gamma(np.array(setting.costs.lo))))
    ub, wb = _gauss(ub0, 1.0)
    value = phi(rv_b.ppf(ub))
    us_star = rv_s.cdf(gamma.inverse(value))
    us, ws = _gauss(np.zeros_like(us_star), us_star)
    gain = np.maximum(value[:, None] - gamma(rv_s.ppf(np.clip(us, 1e-300, 1.0))), 0.0)
    revenue = trades = 0.0
    for t in range(1, min(m, n) + 1):
        dens = _order_stat_density(t, m, ub, True)[:, None] * _order_stat_density(t, n, us, False)
        weight = wb[:, None] * ws * dens
        revenue += float((weight * gain).sum())
        trades += float((weight * (gain > 0)).sum())
    return Estimate(revenue, 0.0, trades, "quadrature")


def _monte_carlo(setting: AuctionSetting, wb_fn: Weights, ws_fn: Weights, samples: int, seed: int) -> Estimate:
    rng = np.random.default_rng(seed)
    bids = setting.values.sample(rng, (samples, setting.buyers))
    asks = setting.costs.sample(rng, (samples, setting.sellers))
    q, _, surplus = _matched(setting, wb_fn, ws_fn, bids, asks)
    return Estimate(float(surplus.mean()), float(surplus.std(ddof=1) / np.sqrt(samples)),
                    float(q.sum(axis=1).mean()), "monte_carlo", samples)


def _expected_surplus(setting: AuctionSetting, wb_fn: Weights, ws_fn: Weights, samples: int, seed: int) -> Estimate:
    """E[sum_i w_b(v_i) q_i - sum_j w_s(s_j) r_j] under greedy matching on the weights."""
    if setting.is_discrete and setting.profiles <= ENUMERATION_LIMIT:
        return _enumerate(setting, wb_fn, ws_fn)
    if setting.unit_capacities and wb_fn.regular and ws_fn.regular \
            and not (setting.values.is_discrete or setting.costs.is_discrete):
        return _quadrature(setting, wb_fn, ws_fn)
    return _monte_carlo(setting, wb_fn, ws_fn, samples, seed)


def optimal_broker(
    setting: AuctionSetting, *, ironed: bool = True, samples: int = 200_000, seed: int = 0
) -> Estimate:
    """Expected revenue and trades of the optimal broker.

    Parameters
    ----------
    setting : AuctionSetting
    ironed : bool
        Use ironed virtual values (the optimum). With ``False`` on an irregular
        law the value is only an upper bound: the allocation is then not
        monotone, so no BIC payments implement it.
    samples, seed : int
        Monte Carlo draws and the generator seed, when no exact method applies.
    """
    return _expected_surplus(setting, *side_virtual_values(setting, ironed), samples, seed)


def first_best(setting: AuctionSetting, *, samples: int = 200_000, seed: int = 0) -> Estimate:
    """Expected gains from trade of efficient matching: an upper bound on any IR mechanism's revenue.

    Revenue = welfare - buyers' and sellers' utilities <= welfare <= first best.
    """
    return _expected_surplus(setting, Identity(setting.values.lo, setting.values.hi),
                             Identity(setting.costs.lo, setting.costs.hi), samples, seed)


@dataclass(frozen=True)
class InterimBroker:
    """The broker's interim allocations with envelope payments (discrete settings).

    Q_i(v_k) = E[q_i | v_i = v_k]; P_i(v_k) = v_k Q_i(v_k) - U_i(v_k) with
    U_i(v_1) = 0, U_i(v_k) = U_i(v_{k-1}) + (v_k - v_{k-1}) Q_i(v_{k-1}) (local
    downward IC binding); sellers symmetrically from the highest cost. These are
    BIC exactly when Q_i is nondecreasing and S_j nonincreasing, which ironing
    guarantees; ``regret`` measures it.
    """

    buyer_alloc: np.ndarray   # (m, K)
    buyer_pay: np.ndarray     # (m, K)
    seller_alloc: np.ndarray  # (n, L)
    seller_recv: np.ndarray   # (n, L)
    revenue: float            # sum_i E[P_i] - sum_j E[R_j]
    buyer_regret: float       # max_i max_{k,l} interim gain of reporting l at type k
    seller_regret: float


def broker_interim(setting: AuctionSetting, ironed: bool = True) -> InterimBroker:
    """Interim allocations, envelope payments, revenue and exact interim regret by enumeration."""
    vb, pb = setting.values.support_array()
    vs, ps = setting.costs.support_array()
    q_sum = np.zeros((setting.buyers, len(vb)))
    r_sum = np.zeros((setting.sellers, len(vs)))
    for bids, asks, prob in profile_chunks(setting):
        q, r, _ = broker_outcome(setting, bids, asks, ironed)
        bi, si = np.searchsorted(vb, bids), np.searchsorted(vs, asks)
        for i in range(setting.buyers):
            q_sum[i] += np.bincount(bi[:, i], weights=prob * q[:, i], minlength=len(vb))
        for j in range(setting.sellers):
            r_sum[j] += np.bincount(si[:, j], weights=prob * r[:, j], minlength=len(vs))
    qa, sa = q_sum / pb, r_sum / ps
    u = np.concatenate([np.zeros((setting.buyers, 1)), np.cumsum(np.diff(vb) * qa[:, :-1], axis=1)], axis=1)
    pay = vb * qa - u
    w = np.concatenate([np.cumsum((np.diff(vs) * sa[:, 1:])[:, ::-1], axis=1)[:, ::-1],
                        np.zeros((setting.sellers, 1))], axis=1)
    recv = vs * sa + w
    revenue = float((pay @ pb).sum() - (recv @ ps).sum())
    return InterimBroker(qa, pay, sa, recv, revenue, interim_gains(vb, qa, pay, True)[0],
                         interim_gains(vs, sa, recv, False)[0])
