"""Ex-post double-auction mechanisms as vectorized outcome rules (unit traders).

Every rule maps reports, bids (S, m) and asks (S, n), to an :class:`Outcome`:
units bought and paid per buyer, units sold and received per seller. The
broker's revenue is sum(pay) - sum(recv). With b_(1) >= b_(2) >= ... the sorted
bids, s_(1) <= s_(2) <= ... the sorted asks and k = #{t : b_(t) >= s_(t)} the
efficient number of trades:

- ``trm`` (trade reduction, McAfee 1992's fallback rule): the top k-1 buyers buy
  and pay b_(k), the bottom k-1 sellers sell and receive s_(k). Dominant-strategy
  IC, revenue (k-1)(b_(k) - s_(k)).
- ``mcafee`` (McAfee 1992): p0 = (b_(k+1) + s_(k+1)) / 2, with a missing
  b_(k+1) read as the lowest possible value and a missing s_(k+1) as the highest
  possible cost. If s_(k) <= p0 <= b_(k) all k pairs trade at p0 (revenue 0),
  otherwise trade reduction. Dominant-strategy IC.
- ``random``: buyers and sellers are paired by a uniformly random matching;
  a pair trades when bid >= ask, the buyer pays its bid and the seller gets its
  ask (pay as bid; the broker keeps the difference). Not IC.
- ``broker_dsic``: the optimal broker's allocation (greedy on virtual values)
  with threshold payments: a trading buyer pays the lowest report that still
  trades, phi^-1(max(phi_(t+1), gamma_(t))); a trading seller receives the
  highest, gamma^-1(min(gamma_(t+1), phi_(t))). Dominant-strategy IC for regular
  continuous laws; by revenue equivalence its expected revenue is the broker's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from grids.auction import AuctionSetting
from solvers.auction.broker import side_virtual_values


@dataclass(frozen=True)
class Outcome:
    """Units and payments per agent for S profiles."""

    buyer_units: np.ndarray   # (S, m)
    buyer_pay: np.ndarray     # (S, m), paid by buyers to the broker
    seller_units: np.ndarray  # (S, n)
    seller_recv: np.ndarray   # (S, n), paid by the broker to sellers

    @property
    def revenue(self) -> np.ndarray:
        return self.buyer_pay.sum(axis=1) - self.seller_recv.sum(axis=1)

    @property
    def trades(self) -> np.ndarray:
        return self.buyer_units.sum(axis=1)


Rule = Callable[[AuctionSetting, np.ndarray, np.ndarray, np.ndarray], Outcome]


def _ranks(bids: np.ndarray, asks: np.ndarray):
    """Sort orders (bids descending, asks ascending; ties to the lower index) and k."""
    b_order = np.argsort(-bids, axis=1, kind="stable")
    s_order = np.argsort(asks, axis=1, kind="stable")
    b_sorted = np.take_along_axis(bids, b_order, axis=1)
    s_sorted = np.take_along_axis(asks, s_order, axis=1)
    t = min(bids.shape[1], asks.shape[1])
    k = (b_sorted[:, :t] >= s_sorted[:, :t]).sum(axis=1)
    return b_order, s_order, b_sorted, s_sorted, k


def _rank_of(order: np.ndarray) -> np.ndarray:
    """rank[s, i] = position of agent i in the sorted order of profile s."""
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(order.shape[1])[None, :], axis=1)
    return rank


def _at(sorted_vals: np.ndarray, pos: np.ndarray, fill: float) -> np.ndarray:
    """sorted_vals[s, pos[s]] with ``fill`` where pos is out of range (pos is 0-based)."""
    ok = (pos >= 0) & (pos < sorted_vals.shape[1])
    vals = np.take_along_axis(sorted_vals, np.clip(pos, 0, sorted_vals.shape[1] - 1)[:, None], axis=1)[:, 0]
    return np.where(ok, vals, fill)


def _uniform_price_outcome(bids, asks, b_order, s_order, trades, buyer_price, seller_price) -> Outcome:
    """The top ``trades`` buyers pay buyer_price each, bottom ``trades`` sellers get seller_price."""
    bu = (_rank_of(b_order) < trades[:, None]).astype(np.float64)
    su = (_rank_of(s_order) < trades[:, None]).astype(np.float64)
    return Outcome(bu, bu * buyer_price[:, None], su, su * seller_price[:, None])


def trade_reduction(setting: AuctionSetting, bids, asks, noise=None) -> Outcome:
    """TRM: k-1 trades, buyers pay b_(k), sellers receive s_(k)."""
    b_order, s_order, b_sorted, s_sorted, k = _ranks(bids, asks)
    return _uniform_price_outcome(bids, asks, b_order, s_order, np.maximum(k - 1, 0),
                                  _at(b_sorted, k - 1, 0.0), _at(s_sorted, k - 1, 0.0))


def mcafee(setting: AuctionSetting, bids, asks, noise=None) -> Outcome:
    """McAfee 1992: all k trade at p0 when s_(k) <= p0 <= b_(k), else trade reduction."""
    b_order, s_order, b_sorted, s_sorted, k = _ranks(bids, asks)
    p0 = 0.5 * (_at(b_sorted, k, setting.values.lo) + _at(s_sorted, k, setting.costs.hi))
    bk, sk = _at(b_sorted, k - 1, -np.inf), _at(s_sorted, k - 1, np.inf)
    posted = (k > 0) & (sk <= p0) & (p0 <= bk)
    trades = np.where(posted, k, np.maximum(k - 1, 0))
    bp = np.where(posted, p0, _at(b_sorted, k - 1, 0.0))
    sp = np.where(posted, p0, _at(s_sorted, k - 1, 0.0))
    return _uniform_price_outcome(bids, asks, b_order, s_order, trades, bp, sp)


def random_matching(setting: AuctionSetting, bids, asks, noise) -> Outcome:
    """Random pairs; a pair trades when bid >= ask; pay as bid. ``noise`` (S, m + n) fixes the matching."""
    m, n = bids.shape[1], asks.shape[1]
    b_perm = np.argsort(noise[:, :m], axis=1)[:, : min(m, n)]
    s_perm = np.argsort(noise[:, m:], axis=1)[:, : min(m, n)]
    b = np.take_along_axis(bids, b_perm, axis=1)
    s = np.take_along_axis(asks, s_perm, axis=1)
    trade = (b >= s).astype(np.float64)
    bu, su = np.zeros_like(bids), np.zeros_like(asks)
    np.put_along_axis(bu, b_perm, trade, axis=1)
    np.put_along_axis(su, s_perm, trade, axis=1)
    return Outcome(bu, bu * bids, su, su * asks)


def broker_dsic(setting: AuctionSetting, bids, asks, noise=None) -> Outcome:
    """The optimal broker's allocation with threshold (critical-value) payments."""
    phi, gamma = side_virtual_values(setting)
    wb, ws = phi(bids), gamma(asks)
    b_order, s_order, b_sorted, s_sorted, _ = _ranks(wb, ws)
    t = min(bids.shape[1], asks.shape[1])
    trades = (b_sorted[:, :t] > s_sorted[:, :t]).sum(axis=1)
    buyer_threshold = np.maximum(_at(b_sorted, trades, -np.inf), _at(s_sorted, trades - 1, -np.inf))
    seller_threshold = np.minimum(_at(s_sorted, trades, np.inf), _at(b_sorted, trades - 1, np.inf))
    bu = (_rank_of(b_order) < trades[:, None]).astype(np.float64)
    su = (_rank_of(s_order) < trades[:, None]).astype(np.float64)
    return Outcome(bu, bu * phi.inverse(buyer_threshold)[:, None], su, su * gamma.inverse(seller_threshold)[:, None])


def first_best_units(setting: AuctionSetting, bids, asks) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Efficient units (q, r) and gains from trade sum v q - sum s r (any capacities)."""
    from solvers.auction.matching import greedy_trades

    q, r = greedy_trades(bids, asks, setting.demand, setting.supply)
    return q, r, (bids * q).sum(axis=1) - (asks * r).sum(axis=1)


@dataclass(frozen=True)
class RuleSpec:
    """A named rule, whether it is randomized, and when it applies."""

    rule: Rule
    randomized: bool
    needs_regular: bool  # threshold payments need invertible (regular, continuous) virtual values


RULES: dict[str, RuleSpec] = {
    "trm": RuleSpec(trade_reduction, False, False),
    "mcafee": RuleSpec(mcafee, False, False),
    "random": RuleSpec(random_matching, True, False),
    "broker_dsic": RuleSpec(broker_dsic, False, True),
}


def not_applicable(name: str, setting: AuctionSetting) -> str | None:
    """Why rule ``name`` does not apply to ``setting`` (None when it does)."""
    if not setting.unit_capacities:
        return "defined for unit demand and supply only"
    if RULES[name].needs_regular:
        if setting.values.is_discrete or setting.costs.is_discrete:
            return "threshold payments need continuous laws (drop --grid)"
        phi, gamma = side_virtual_values(setting)
        if not (phi.regular and gamma.regular):
            return "threshold payments need regular laws (these need ironing)"
    return None
