"""Double-auction settings (DESIGN §2): m buyers, n sellers, one value law per side.

Buyer i has a private unit value v_i and a public demand D_i (units); seller j a
private unit cost s_j and a public supply S_j. Values are i.i.d. across buyers
with one law, costs i.i.d. across sellers with another, all independent. A law
is continuous (``uniform:a,b``, ``beta:a,b`` or ``beta:a,b:lo,hi``) or discrete
(``discrete:v1@p1,v2@p2,...``, possibly irregular); ``grid=K`` turns a
continuous law into K values, the midpoints of K equal cells of [lo, hi], each
with its cell's probability.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np
from scipy import stats

from grids.errors import InvalidInput

PROB_TOL = 1e-9  # discrete probabilities must sum to 1 within this (typed-in decimals)

LAW_FORMS = "uniform:a,b | beta:a,b[:lo,hi] | discrete:v1@p1,v2@p2,..."


@dataclass(frozen=True)
class ValueLaw:
    """The law of one agent's unit value or cost, supported on [lo, hi].

    Parameters
    ----------
    family : {"uniform", "beta", "discrete"}
    lo, hi : float
        Support; beta is scaled from [0, 1] onto it.
    shape : tuple of float
        ``(a, b)`` for beta, ``()`` otherwise.
    values, probs : tuple of float
        Discrete laws only: sorted distinct values and their probabilities.
    """

    family: str
    lo: float
    hi: float
    shape: tuple[float, ...] = ()
    values: tuple[float, ...] = ()
    probs: tuple[float, ...] = ()

    @property
    def is_discrete(self) -> bool:
        return self.family == "discrete"

    @property
    def spec(self) -> str:
        """The string that parses back to this law."""
        if self.is_discrete:
            return "discrete:" + ",".join(f"{v:.12g}@{p:.12g}" for v, p in zip(self.values, self.probs))
        if self.family == "uniform":
            return f"uniform:{self.lo:g},{self.hi:g}"
        return f"beta:{self.shape[0]:g},{self.shape[1]:g}:{self.lo:g},{self.hi:g}"

    @property
    def size(self) -> int:
        """Number of support points (discrete laws)."""
        return len(self.values)

    def continuous(self) -> stats.rv_continuous:
        """The frozen scipy law (continuous families only)."""
        if self.family == "uniform":
            return stats.uniform(self.lo, self.hi - self.lo)
        if self.family == "beta":
            return stats.beta(self.shape[0], self.shape[1], loc=self.lo, scale=self.hi - self.lo)
        raise TypeError("a discrete law has no scipy density; use values and probs")

    def support_array(self) -> tuple[np.ndarray, np.ndarray]:
        """(values, probs) as float64 arrays (discrete laws)."""
        return np.asarray(self.values, dtype=np.float64), np.asarray(self.probs, dtype=np.float64)

    def sample(self, rng: np.random.Generator, size: tuple[int, ...] | int) -> np.ndarray:
        """i.i.d. draws with ``rng``."""
        if self.is_discrete:
            v, p = self.support_array()
            return v[rng.choice(len(v), size=size, p=p)]
        return self.continuous().ppf(rng.random(size))

    def discretize(self, k: int) -> "ValueLaw":
        """K midpoints of equal cells of [lo, hi], each with its cell's probability.

        Cells of zero probability are dropped. A discrete law is returned unchanged.
        """
        if self.is_discrete:
            return self
        edges = np.linspace(self.lo, self.hi, k + 1)
        mass = np.diff(self.continuous().cdf(edges))
        mids = 0.5 * (edges[:-1] + edges[1:])
        keep = mass > 0
        mass = mass[keep] / mass[keep].sum()
        return ValueLaw("discrete", self.lo, self.hi, values=tuple(mids[keep]), probs=tuple(mass))


def _numbers(text: str, what: str) -> tuple[float, ...]:
    try:
        out = tuple(float(t) for t in text.split(","))
    except ValueError:
        raise InvalidInput(f"{what}: expected comma-separated numbers, got {text!r}") from None
    if not all(math.isfinite(v) for v in out):
        raise InvalidInput(f"{what}: numbers must be finite, got {text!r}")
    return out


def _range(lo: float, hi: float, what: str) -> tuple[float, float]:
    if not lo < hi:
        raise InvalidInput(f"{what}: empty range [{lo:g}, {hi:g}]; need lo < hi")
    return lo, hi


def parse_value_law(spec: str, what: str = "law") -> ValueLaw:
    """Parse ``uniform:a,b``, ``beta:a,b[:lo,hi]`` or ``discrete:v1@p1,...``.

    Raises
    ------
    InvalidInput
        Unknown family, wrong parameter count, an empty range, nonpositive beta
        shapes, repeated values, or probabilities that are not positive or do
        not sum to 1 (within 1e-9).
    """
    if not isinstance(spec, str):
        raise InvalidInput(f"{what} {spec!r}: expected a string like {LAW_FORMS}")
    family, _, rest = spec.strip().partition(":")
    family = family.lower()
    label = f"{what} {spec!r}"
    if family == "uniform":
        bounds = _numbers(rest, label) if rest else (0.0, 1.0)
        if len(bounds) != 2:
            raise InvalidInput(f"{label}: uniform takes two numbers a,b")
        return ValueLaw("uniform", *_range(*bounds, label))
    if family == "beta":
        shape_text, _, range_text = rest.partition(":")
        shape = _numbers(shape_text, label) if shape_text else ()
        bounds = _numbers(range_text, label) if range_text else (0.0, 1.0)
        if len(shape) != 2 or len(bounds) != 2:
            raise InvalidInput(f"{label}: beta takes a,b and optionally :lo,hi")
        if min(shape) <= 0:
            raise InvalidInput(f"{label}: beta shapes must be positive")
        return ValueLaw("beta", *_range(*bounds, label), shape=shape)
    if family == "discrete":
        pairs = [item.partition("@") for item in rest.split(",") if item.strip()]
        if not pairs or any(not sep for _, sep, _ in pairs):
            raise InvalidInput(f"{label}: discrete takes value@probability pairs, e.g. discrete:0@0.5,1@0.5")
        vals = _numbers(",".join(v for v, _, _ in pairs), label)
        probs = _numbers(",".join(p for _, _, p in pairs), label)
        if len(set(vals)) != len(vals):
            raise InvalidInput(f"{label}: values must be distinct")
        if min(probs) <= 0:
            raise InvalidInput(f"{label}: probabilities must be positive")
        if abs(sum(probs) - 1.0) > PROB_TOL:
            raise InvalidInput(f"{label}: probabilities sum to {sum(probs):.12g}, not 1")
        order = np.argsort(vals)
        v = np.asarray(vals)[order]
        p = np.asarray(probs)[order]
        p = p / p.sum()
        lo, hi = float(v[0]), float(v[-1])
        return ValueLaw("discrete", lo, hi if hi > lo else lo, values=tuple(v), probs=tuple(p))
    raise InvalidInput(f"unknown {what} family in {spec!r}; known: {LAW_FORMS}")


@dataclass(frozen=True)
class AuctionSetting:
    """m buyers with i.i.d. values, n sellers with i.i.d. costs, public capacities.

    A broker picks quantities x_ij >= 0 with sum_j x_ij <= D_i, sum_i x_ij <= S_j
    and payments; it maximizes E[buyer payments - seller payments] subject to
    Bayesian IC and interim IR on both sides.
    """

    name: str
    buyers: int
    sellers: int
    values: ValueLaw
    costs: ValueLaw
    demand: tuple[int, ...]
    supply: tuple[int, ...]
    grid: int | None = None  # K the laws were discretized with (None: as given)
    given: tuple[str, str] | None = None  # the laws' specs before discretization

    @property
    def is_discrete(self) -> bool:
        return self.values.is_discrete and self.costs.is_discrete

    @property
    def unit_capacities(self) -> bool:
        return set(self.demand) == {1} and set(self.supply) == {1}

    @property
    def symmetric(self) -> bool:
        """Equal capacities within each side (buyers interchangeable, sellers too)."""
        return len(set(self.demand)) == 1 and len(set(self.supply)) == 1

    @property
    def profiles(self) -> int:
        """Number of type profiles K_b^m K_s^n (discrete laws)."""
        return self.values.size ** self.buyers * self.costs.size ** self.sellers

    def params(self) -> dict[str, object]:
        """The parameters as plain JSON-ready values (laws as given, before discretization)."""
        values, costs = self.given or (self.values.spec, self.costs.spec)
        return {"buyers": self.buyers, "sellers": self.sellers, "values": values, "costs": costs,
                "demand": list(self.demand), "supply": list(self.supply), "grid": self.grid}

    def discretized(self, k: int) -> "AuctionSetting":
        """Both laws on K values (discrete laws unchanged)."""
        given = self.given or (self.values.spec, self.costs.spec)
        return replace(self, values=self.values.discretize(k), costs=self.costs.discretize(k), grid=k, given=given)


AUCTION_REGISTRY: dict[str, str] = {
    "da": "double auction: m buyers, n sellers, i.i.d. unit values and costs per side",
}


def _capacities(units: int | Sequence[int] | str, count: int, what: str) -> tuple[int, ...]:
    if isinstance(units, str):
        units = list(_numbers(units, what))
    seq = [units] * count if np.isscalar(units) else list(units)
    if len(seq) == 1:
        seq = seq * count
    if len(seq) != count:
        raise InvalidInput(f"{what}: {len(seq)} entries for {count} agents")
    if any(isinstance(u, bool) or float(u) != int(u) or int(u) < 1 for u in seq):
        raise InvalidInput(f"{what}: units must be whole numbers >= 1, got {list(seq)}")
    return tuple(int(u) for u in seq)


def make_auction_setting(
    name: str = "da",
    *,
    buyers: int = 1,
    sellers: int = 1,
    values: str | ValueLaw = "uniform:0,1",
    costs: str | ValueLaw = "uniform:0,1",
    demand: int | Sequence[int] | str = 1,
    supply: int | Sequence[int] | str = 1,
    grid: int | None = None,
) -> AuctionSetting:
    """Build and validate a double-auction setting.

    Parameters
    ----------
    name : str
        A key of :data:`AUCTION_REGISTRY` (``da``).
    buyers, sellers : int
        m >= 1 and n >= 1.
    values, costs : str or ValueLaw
        Laws of buyer values and seller costs (see :func:`parse_value_law`).
    demand, supply : int, sequence of int or "1,2,..."
        Public units per buyer / seller (one number: the same for all).
    grid : int, optional
        K values per agent for continuous laws (needed by the exact LP).

    Raises
    ------
    InvalidInput
        Unknown name, m or n < 1, bad laws or capacities, K < 2.
    """
    if name not in AUCTION_REGISTRY:
        raise InvalidInput(f"unknown double-auction setting {name!r}; known: {', '.join(AUCTION_REGISTRY)}")
    for what, count in (("buyers", buyers), ("sellers", sellers)):
        if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
            raise InvalidInput(f"{what} = {count!r}: need a whole number >= 1")
    if grid is not None and (isinstance(grid, bool) or not isinstance(grid, (int, np.integer)) or grid < 2):
        raise InvalidInput(f"grid = {grid!r}: need a whole number K >= 2 of values per agent")
    v = values if isinstance(values, ValueLaw) else parse_value_law(values, "values")
    c = costs if isinstance(costs, ValueLaw) else parse_value_law(costs, "costs")
    setting = AuctionSetting(name, int(buyers), int(sellers), v, c,
                             _capacities(demand, int(buyers), "demand"), _capacities(supply, int(sellers), "supply"))
    return setting.discretized(int(grid)) if grid is not None else setting
