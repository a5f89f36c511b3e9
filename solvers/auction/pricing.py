"""Pricing of the interim column generation: the best ex-post rule for given virtual values.

:class:`ProfilePricer` enumerates type profiles (every agent its own class);
:class:`MultisetPricer` enumerates multisets of types with multinomial
probabilities when the agents of a side are interchangeable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln

from grids.auction import AuctionSetting
from solvers.auction.matching import CHUNK_ROWS, greedy_trades, profile_chunks


@dataclass(frozen=True)
class ProfilePricer:
    """All type profiles (as type indices) with their probabilities, for per-agent weights.

    :meth:`price` solves max E[sum_i phi_i(v_i) q_i - sum_j gamma_j(s_j) r_j]
    over ex-post feasible rules (greedy per profile) and returns that value and
    the interim allocation of the maximizing rule.
    """

    bi: np.ndarray  # (T, m) buyer type indices
    si: np.ndarray  # (T, n) seller type indices
    prob: np.ndarray
    demand: tuple[int, ...]
    supply: tuple[int, ...]
    pb: np.ndarray
    ps: np.ndarray

    @classmethod
    def from_setting(cls, setting: AuctionSetting) -> "ProfilePricer":
        vb, pb = setting.values.support_array()
        vs, ps = setting.costs.support_array()
        parts = [(np.searchsorted(vb, b).astype(np.int32), np.searchsorted(vs, s).astype(np.int32), p)
                 for b, s, p in profile_chunks(setting)]
        bi, si, prob = (np.concatenate(x) for x in zip(*parts))
        return cls(bi, si, prob, setting.demand, setting.supply, pb, ps)

    def interim(self, bi: np.ndarray, si: np.ndarray, prob: np.ndarray, q: np.ndarray,
                r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Interim allocations E[q_i | v_i = k] (m, K) and E[r_j | s_j = l] (n, L) of ex-post (q, r) on these profiles."""
        (m, n), k, l_ = (q.shape[1], r.shape[1]), len(self.pb), len(self.ps)
        qn = np.bincount((np.arange(m) * k + bi).ravel(), weights=(prob[:, None] * q).ravel(), minlength=m * k)
        sn = np.bincount((np.arange(n) * l_ + si).ravel(), weights=(prob[:, None] * r).ravel(), minlength=n * l_)
        return qn.reshape(m, k) / self.pb, sn.reshape(n, l_) / self.ps

    def price(self, phi: np.ndarray, gamma: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """(value, Q^c (m, K), S^c (n, L)) of the greedy rule with weights phi (m, K), gamma (n, L)."""
        m, n = phi.shape[0], gamma.shape[0]
        value, qc, sc = 0.0, np.zeros(phi.shape), np.zeros(gamma.shape)
        for a in range(0, len(self.prob), CHUNK_ROWS):
            bi, si, pr = self.bi[a:a + CHUNK_ROWS], self.si[a:a + CHUNK_ROWS], self.prob[a:a + CHUNK_ROWS]
            wb, ws = phi[np.arange(m), bi], gamma[np.arange(n), si]
            q, r = greedy_trades(wb, ws, self.demand, self.supply)
            value += float(pr @ ((wb * q).sum(axis=1) - (ws * r).sum(axis=1)))
            dq, ds = self.interim(bi, si, pr, q, r)
            qc, sc = qc + dq, sc + ds
        return value, qc, sc


def multisets(types: int, agents: int, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All multisets of ``agents`` i.i.d. types: sorted type indices (M, agents) and multinomial probabilities.

    Built one agent at a time (each row is extended by every type >= its
    last), so the loop runs over agents, not over multisets.
    """
    combos = np.arange(types, dtype=np.int32)[:, None]
    for _ in range(agents - 1):
        last = combos[:, -1]
        reps = types - last
        start = np.repeat(np.cumsum(reps) - reps, reps)
        nxt = np.repeat(last, reps) + (np.arange(reps.sum()) - start)
        combos = np.column_stack([np.repeat(combos, reps, axis=0), nxt.astype(np.int32)])
    rows = np.repeat(np.arange(len(combos)), agents)
    counts = np.bincount(rows * types + combos.ravel(), minlength=len(combos) * types).reshape(len(combos), types)
    logp = gammaln(agents + 1) - gammaln(counts + 1.0).sum(axis=1) + counts @ np.log(probs)
    return combos, np.exp(logp)


def _below(sorted_w: np.ndarray, cum: np.ndarray, x: np.ndarray, strict: bool) -> np.ndarray:
    """Probability mass of the weights < x (strict) or <= x, given sorted weights and cumulative masses."""
    return cum[np.searchsorted(sorted_w, x, side="left" if strict else "right")]


@dataclass(frozen=True)
class MultisetPricer:
    """Greedy pricing of a symmetric setting by order statistics of multisets, one side at a time.

    With buyer units sorted by weight (A_1 >= A_2 >= ..) and seller units by
    weight (B_1 <= B_2 <= ..), A_t - B_t decreases in t, so unit t trades iff
    A_t > B_t. Hence P(unit t of buyer multiset c trades) = P_sellers(B_t < A_t(c)),
    a sorted look-up: no pairs of multisets are formed. Ties between types of
    equal weight are broken by type index (a deterministic rule; any is optimal).
    """

    b_units: np.ndarray  # (MB, m D) owner type of each unit
    pb_multi: np.ndarray
    s_units: np.ndarray  # (MS, n S)
    ps_multi: np.ndarray
    pb: np.ndarray
    ps: np.ndarray
    buyers: int
    sellers: int

    @classmethod
    def from_setting(cls, setting: AuctionSetting) -> "MultisetPricer":
        _, pb = setting.values.support_array()
        _, ps = setting.costs.support_array()
        bt, pbm = multisets(len(pb), setting.buyers, pb)
        stt, psm = multisets(len(ps), setting.sellers, ps)
        return cls(np.repeat(bt, setting.demand[0], axis=1), pbm, np.repeat(stt, setting.supply[0], axis=1), psm,
                   pb, ps, setting.buyers, setting.sellers)

    @staticmethod
    def work(setting: AuctionSetting) -> int:
        """Multisets x units visited by one pricing round."""
        mb = math.comb(setting.values.size + setting.buyers - 1, setting.buyers)
        ms = math.comb(setting.costs.size + setting.sellers - 1, setting.sellers)
        return mb * setting.buyers * setting.demand[0] + ms * setting.sellers * setting.supply[0]

    def price(self, phi: np.ndarray, gamma: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """(value, Q^c (1, K), S^c (1, L)) of the greedy rule with class weights phi (1, K), gamma (1, L)."""
        units = min(self.b_units.shape[1], self.s_units.shape[1])
        wa, wb = phi[0][self.b_units], gamma[0][self.s_units]
        oa = np.argsort(-wa, axis=1, kind="stable")[:, :units]
        ob = np.argsort(wb, axis=1, kind="stable")[:, :units]
        a, b = np.take_along_axis(wa, oa, 1), np.take_along_axis(wb, ob, 1)
        ga, gb = np.empty_like(a), np.empty_like(b)
        for t in range(units):
            sb = np.argsort(b[:, t], kind="stable")
            cum_b = np.concatenate([[0.0], np.cumsum(self.ps_multi[sb])])
            ga[:, t] = _below(b[sb, t], cum_b, a[:, t], strict=True)
            sa = np.argsort(a[:, t], kind="stable")
            cum_a = np.concatenate([[0.0], np.cumsum(self.pb_multi[sa])])
            gb[:, t] = cum_a[-1] - _below(a[sa, t], cum_a, b[:, t], strict=False)
        value = float(self.pb_multi @ (a * ga).sum(axis=1) - self.ps_multi @ (b * gb).sum(axis=1))
        owner_a = np.take_along_axis(self.b_units, oa, 1)
        owner_b = np.take_along_axis(self.s_units, ob, 1)
        qn = np.bincount(owner_a.ravel(), weights=(self.pb_multi[:, None] * ga).ravel(), minlength=len(self.pb))
        sn = np.bincount(owner_b.ravel(), weights=(self.ps_multi[:, None] * gb).ravel(), minlength=len(self.ps))
        return value, (qn / (self.buyers * self.pb))[None], (sn / (self.sellers * self.ps))[None]
