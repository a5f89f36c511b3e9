"""Expected revenue and measured IC violation of ex-post double-auction rules.

Revenue: the exact expectation over all profiles of a small discrete setting,
otherwise a Monte Carlo mean with its standard error (profiles drawn with an
explicit seed). IC violation: for sampled profiles, each agent's best gain
u(report) - u(truth) over a search of reports (a grid over the support plus
every other agent's report, where the payoff of these rules jumps), others
truthful; per side the largest over agents of the mean over profiles (and of
the max over profiles).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grids.auction import AuctionSetting
from solvers.auction.mechanisms import Outcome, Rule
from solvers.auction.matching import profile_chunks

EXACT_PROFILES = 1_000_000  # enumerate a discrete setting exactly up to this many profiles
SEARCH_POINTS = 101         # grid points over [lo, hi] in the misreport search


@dataclass(frozen=True)
class Profiles:
    """Type profiles with probability weights (summing to 1) and fixed randomness."""

    bids: np.ndarray
    asks: np.ndarray
    prob: np.ndarray
    noise: np.ndarray
    method: str  # "enumeration" or "monte_carlo"

    @property
    def size(self) -> int:
        return len(self.prob)

    def mean(self, x: np.ndarray) -> tuple[float, float]:
        """(E[x], standard error): exact for enumeration, Monte Carlo otherwise."""
        mean = float(self.prob @ x)
        if self.method == "enumeration":
            return mean, 0.0
        return mean, float(x.std(ddof=1) / np.sqrt(len(x))) if len(x) > 1 else float("nan")


def draw_profiles(setting: AuctionSetting, samples: int, seed: int, exact: bool = True) -> Profiles:
    """All profiles of a small discrete setting (``exact``), else ``samples`` i.i.d. draws."""
    rng = np.random.default_rng(seed)
    if exact and setting.is_discrete and setting.profiles <= EXACT_PROFILES:
        chunks = list(profile_chunks(setting))
        bids, asks, prob = (np.concatenate(parts) for parts in zip(*chunks))
        return Profiles(bids, asks, prob, np.zeros((len(prob), 0)), "enumeration")
    bids = setting.values.sample(rng, (samples, setting.buyers))
    asks = setting.costs.sample(rng, (samples, setting.sellers))
    noise = rng.random((samples, setting.buyers + setting.sellers))
    return Profiles(bids, asks, np.full(samples, 1.0 / samples), noise, "monte_carlo")


@dataclass(frozen=True)
class RuleValue:
    """Expected revenue and trades of a rule under truthful reports."""

    revenue: float
    stderr: float
    trades: float
    method: str
    samples: int


def evaluate_rule(rule: Rule, setting: AuctionSetting, profiles: Profiles) -> RuleValue:
    """E[revenue] (with standard error) and E[trades] of ``rule`` on ``profiles``."""
    out = rule(setting, profiles.bids, profiles.asks, profiles.noise)
    revenue, stderr = profiles.mean(out.revenue)
    trades, _ = profiles.mean(out.trades)
    return RuleValue(revenue, stderr, trades, profiles.method,
                     0 if profiles.method == "enumeration" else profiles.size)


@dataclass(frozen=True)
class Regret:
    """Best gain from misreporting found, per side (0 when none was found)."""

    buyers_mean: float
    buyers_max: float
    sellers_mean: float
    sellers_max: float
    profiles: int

    @property
    def worst(self) -> float:
        """The larger side's mean regret (the table's IC violation)."""
        return max(self.buyers_mean, self.sellers_mean)


def _candidates(setting: AuctionSetting, bids: np.ndarray, asks: np.ndarray, buyer: bool) -> np.ndarray:
    """Reports to try, per profile: a support grid, the support points, and every report in the profile."""
    law = setting.values if buyer else setting.costs
    grid = np.linspace(law.lo, law.hi, SEARCH_POINTS)
    if law.is_discrete:
        grid = np.union1d(grid, law.support_array()[0])
    rows = len(bids)
    return np.concatenate([np.broadcast_to(grid, (rows, len(grid))), bids, asks], axis=1)


def _agent_utility(out: Outcome, index: int, buyer: bool, truth: np.ndarray) -> np.ndarray:
    if buyer:
        return truth * out.buyer_units[:, index] - out.buyer_pay[:, index]
    return out.seller_recv[:, index] - truth * out.seller_units[:, index]


def expost_regret(rule: Rule, setting: AuctionSetting, profiles: Profiles) -> Regret:
    """Each agent's best misreport gain on each profile, others truthful (grid search)."""
    truthful = rule(setting, profiles.bids, profiles.asks, profiles.noise)
    result = {}
    for side, count in (("buyers", setting.buyers), ("sellers", setting.sellers)):
        buyer = side == "buyers"
        means, maxes = [0.0], [0.0]
        for i in range(count):
            own = profiles.bids if buyer else profiles.asks
            truth = own[:, i]
            cand = _candidates(setting, profiles.bids, profiles.asks, buyer)
            rows, c = cand.shape
            bids = np.repeat(profiles.bids, c, axis=0)
            asks = np.repeat(profiles.asks, c, axis=0)
            (bids if buyer else asks)[:, i] = cand.ravel()
            out = rule(setting, bids, asks, np.repeat(profiles.noise, c, axis=0))
            dev = _agent_utility(out, i, buyer, np.repeat(truth, c)).reshape(rows, c)
            gain = np.maximum(dev.max(axis=1) - _agent_utility(truthful, i, buyer, truth), 0.0)
            means.append(float(profiles.prob @ gain))
            maxes.append(float(gain.max()))
        result[f"{side}_mean"], result[f"{side}_max"] = max(means), max(maxes)
    return Regret(**result, profiles=profiles.size)
