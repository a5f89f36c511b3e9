"""Settings: who trades what, under which beliefs, with which type law.

A setting fixes the dimension n, the market (market maker or monopolist), the
allocation set B (:mod:`grids.allocations`; default the market's box), the
type box X (:mod:`grids.types`; default [0,1]^n), the belief update weight
alpha, the initial belief c and the type distribution. Named settings live in
a registry; :func:`make_setting` builds one by name with parameters
overridden and validated.

Solvers see the unit-box problem only: ``setting.c`` (the belief, where d
vanishes), ``setting.B`` (the allocations D B) and ``setting.pin`` (the grid
point where u = 0) are in unit coordinates y = (x - a) / D.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

import functools

from grids.allocations import Allocations, parse_allocations
from grids.auction import AUCTION_REGISTRY
from grids.distributions import Distribution, ProductDistribution, parse_distribution
from grids.errors import InvalidInput
from grids.types import TypeBox, parse_types, unit_box


@dataclass(frozen=True)
class Market:
    """The allocation box B = [lo, hi]^n and its support function.

    h_B(b) = sum_k max(lo b_k, hi b_k): ||b||_1 for [-1,1]^n, sum_k max(b_k, 0)
    for [0,1]^n.
    """

    name: str
    lo: float
    hi: float
    fixed_belief: float | None  # the monopolist's belief is pinned at 0

    def support(self, b: np.ndarray) -> np.ndarray:
        """h_B(b) along the last axis."""
        return np.maximum(self.lo * b, self.hi * b).sum(axis=-1)


AMM = Market("amm", -1.0, 1.0, fixed_belief=None)
MONOPOLIST = Market("monopolist", 0.0, 1.0, fixed_belief=0.0)


@dataclass(frozen=True)
class Setting:
    """One trader, n goods: types x in X = prod [a_i, b_i], belief phi(x) = c + alpha (x - c).

    The market maker maximizes E[<grad u(x), d(x)> - u(x)] with
    d(x) = (1 - alpha)(x - c) over convex u >= 0, u(pin) = 0, grad u in B.
    ``belief``, ``types`` and ``allocations`` are in the user's units; the
    solvers read the unit-box problem through :attr:`c`, :attr:`B` and
    :attr:`pin` (x = a + D y, :mod:`grids.types`). The pin is the belief for
    a market maker and the lower corner of X for a monopolist (B >= 0 makes
    u nondecreasing, so u = 0 there loses nothing; the belief 0 may lie
    outside X). The type law is given on the unit box and scaled to X;
    sample files are read in the user's units and mapped.
    """

    name: str
    n: int
    market: Market
    alpha: float
    belief: tuple[float, ...]
    dist: Distribution = field(default_factory=lambda: ProductDistribution("uniform"))
    types: TypeBox | None = None
    allocations: Allocations | None = None

    def __post_init__(self) -> None:
        if self.types is None:
            object.__setattr__(self, "types", unit_box(self.n))
        if self.allocations is None:
            object.__setattr__(self, "allocations", default_allocations(self.market, self.n))

    @property
    def c(self) -> np.ndarray:
        """The belief in unit coordinates, c' = (c - a) / D: where d vanishes (may lie off [0,1]^n)."""
        return self.types.to_unit(self.belief)

    @functools.cached_property
    def B(self) -> Allocations:
        """The allocation set of the unit-box problem, D B."""
        return self.allocations.scaled(self.types.width)

    @property
    def pin(self) -> np.ndarray:
        """The grid point (unit coordinates) where u = 0: the belief, or the lower corner for a monopolist."""
        return np.zeros(self.n) if self.market.fixed_belief is not None else self.c

    @property
    def is_standard(self) -> bool:
        """Unit type box and the market's own box B (the setting of DESIGN §1)."""
        return self.types.is_unit and self.allocations == default_allocations(self.market, self.n)

    def params(self) -> dict[str, object]:
        """The parameters as plain JSON-ready values (types and allocations only when not the default)."""
        out: dict[str, object] = {"alpha": self.alpha, "belief": list(self.belief), "dist": self.dist.spec}
        if not self.types.is_unit:
            out["types"] = self.types.spec()
        if self.allocations != default_allocations(self.market, self.n):
            out["allocations"] = self.allocations.describe()
        return out


def default_allocations(market: Market, n: int) -> Allocations:
    """The market's box [lo, hi]^n."""
    return Allocations("box", (float(market.lo),) * n, (float(market.hi),) * n)


@dataclass(frozen=True)
class SettingSpec:
    """A registry entry: dimension, market and description; optional default type box, B and law.

    The single-bidder benchmark suite (RochetNet's, deep-opt-auctions) is a set of
    monopolist entries with their own defaults; their closed forms are in
    ``solvers.suite_values``.
    """

    n: int
    market: Market
    description: str
    types: str | None = None        # default --types (None: [0,1]^n)
    allocations: str | None = None  # default --allocations (None: the market's box)
    dist: str = "uniform"           # default --dist


REGISTRY: dict[str, SettingSpec] = {
    "amm1d": SettingSpec(1, AMM, "market maker, 1 good, B = [-1,1]"),
    "amm2d": SettingSpec(2, AMM, "market maker, 2 goods, B = [-1,1]^2"),
    "amm3d": SettingSpec(3, AMM, "market maker, 3 goods, B = [-1,1]^3"),
    "monopolist1d": SettingSpec(1, MONOPOLIST, "seller, 1 good, B = [0,1], c = 0, alpha = 0"),
    "monopolist2d": SettingSpec(2, MONOPOLIST, "seller, 2 goods, B = [0,1]^2, c = 0, alpha = 0"),
    "monopolist3d": SettingSpec(3, MONOPOLIST, "seller, 3 goods, B = [0,1]^3, c = 0, alpha = 0"),
    # the single-bidder suite of RochetNet (deep-opt-auctions rochetNet/cfgs): one additive or unit-demand buyer
    "suite-additive": SettingSpec(2, MONOPOLIST, "suite: additive, U[0,1]^2 (Manelli-Vincent)"),
    "suite-ddt": SettingSpec(2, MONOPOLIST, "suite: additive, x1 ~ U[4,16], x2 ~ U[4,7] (Daskalakis et al.)",
                             types="4:16,4:7"),
    "suite-triangle": SettingSpec(2, MONOPOLIST, "suite: additive, uniform on {x >= 0, x1 + x2 <= 1}",
                                  dist="triangle"),
    "suite-04-03": SettingSpec(2, MONOPOLIST, "suite: additive, x1 ~ U[0,4], x2 ~ U[0,3] (no closed form)",
                               types="0:4,0:3"),
    "suite-unit-demand": SettingSpec(2, MONOPOLIST, "suite: unit demand (a1 + a2 <= 1), U[0,1]^2",
                                     allocations="unit-demand"),
    "suite-pavlov": SettingSpec(2, MONOPOLIST, "suite: unit demand, U[2,3]^2 (Pavlov)", types="2:3,2:3",
                                allocations="unit-demand"),
    "suite-additive-10": SettingSpec(10, MONOPOLIST, "suite: additive, 10 goods, U[0,1]^10 (nets only: no grid "
                                                     "LP in 10D)"),
}


def one_good_setting(name: str) -> str:
    """The registered one-good setting with the same market as ``name`` (the separate-selling baseline)."""
    spec = REGISTRY[name]
    return next(other for other, o in REGISTRY.items() if o.n == 1 and o.market == spec.market)


def _belief_tuple(belief: Sequence[float] | str | None, spec: SettingSpec, name: str,
                  types: TypeBox) -> tuple[float, ...]:
    if belief is None:
        if spec.market.fixed_belief is not None:
            return (spec.market.fixed_belief,) * spec.n
        return tuple(float(v) for v in types.from_unit(np.full(spec.n, 0.5)))
    if isinstance(belief, str):
        try:
            belief = [float(v) for v in belief.split(",")]
        except ValueError:
            raise InvalidInput(f"belief {belief!r}: expected {spec.n} comma-separated numbers") from None
    try:
        arr = np.asarray(belief, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidInput(f"belief {belief!r}: expected {spec.n} numbers") from None
    if arr.ndim > 1:
        raise InvalidInput(f"belief {belief!r}: expected a flat list of {spec.n} numbers")
    values = tuple(float(v) for v in np.atleast_1d(arr))
    if len(values) == 1 and spec.n > 1:
        values = values * spec.n
    if len(values) != spec.n:
        raise InvalidInput(f"belief {list(values)} has {len(values)} entries; {name} needs {spec.n}")
    if spec.market.fixed_belief is None and (not all(np.isfinite(values)) or not types.contains(values)):
        box = f"[0,1]^{spec.n}" if types.is_unit else types.spec()
        raise InvalidInput(f"belief {list(values)} is off the type box {box}")
    if not all(np.isfinite(values)):
        raise InvalidInput(f"belief {list(values)} must be finite numbers")
    if spec.market.fixed_belief is not None and any(v != spec.market.fixed_belief for v in values):
        raise InvalidInput(f"{name} fixes the belief at c = {spec.market.fixed_belief:g}; got {list(values)}")
    return values


def make_setting(
    name: str,
    *,
    alpha: float | None = None,
    belief: Sequence[float] | str | None = None,
    dist: str | Distribution | None = None,
    types: str | TypeBox | None = None,
    allocations: str | Allocations | None = None,
) -> Setting:
    """Build and validate a named setting.

    Parameters
    ----------
    name : str
        A key of :data:`REGISTRY`.
    alpha : float, optional
        Belief update weight in [0, 1]; default 0. Monopolist settings fix it at 0.
    belief : sequence of float or "c1,c2,..." , optional
        The initial belief c in [0,1]^n; default 1/2 per good (monopolist: 0).
        A single number is repeated for every good.
    dist : str or Distribution
        ``uniform``, ``beta:a,b``, ``truncnorm:mean,sd`` or ``samples:PATH``.
        Product laws are given on the unit box and scaled to the type box;
        sample files hold types in the user's units (inside the type box).
    types : "lo1:hi1,lo2:hi2,..." or TypeBox, optional
        The type box X = prod [lo_i, hi_i] (default [0,1]^n; one interval is
        repeated for every good). Solved exactly on the unit box by
        x = lo + D y (:mod:`grids.types`).
    allocations : str or Allocations, optional
        B: ``box`` (the market's box, default), ``box:lo1:hi1,..``,
        ``unit-demand`` or ``polytope:A.npy,b.npy`` / ``polytope:a1 a2 <= b; ..``
        (:mod:`grids.allocations`). A monopolist needs B >= 0.

    Raises
    ------
    InvalidInput
        Unknown name (the message lists the known ones), alpha outside [0,1],
        a belief off the box or of the wrong length, a bad distribution, an
        empty or inverted type box, an allocation set that is empty,
        unbounded or without 0.
    """
    spec = REGISTRY.get(name)
    if name in AUCTION_REGISTRY:
        raise InvalidInput(f"{name!r} is a double-auction setting: build it with grids.make_auction_setting")
    if spec is None:
        raise InvalidInput(f"unknown setting {name!r}; known settings: {', '.join([*REGISTRY, *AUCTION_REGISTRY])}")
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.integer, np.floating, type(None))):
        raise InvalidInput(f"alpha = {alpha!r} must be a number in [0, 1]")
    a = 0.0 if alpha is None else float(alpha)
    if not np.isfinite(a) or not 0.0 <= a <= 1.0:
        raise InvalidInput(f"alpha = {alpha!r} is outside [0, 1]")
    if spec.market.fixed_belief is not None and a != 0.0:
        raise InvalidInput(f"{name} fixes alpha = 0 (no adverse selection); got alpha = {a:g}")
    types = spec.types if types is None else types
    allocations = spec.allocations if allocations is None else allocations
    dist = spec.dist if dist is None else dist
    box = parse_types(types, spec.n)
    c = _belief_tuple(belief, spec, name, box)
    B = parse_allocations(allocations, spec.n, default_allocations(spec.market, spec.n))
    if spec.market.fixed_belief is not None and np.any(B.lower < 0.0):
        raise InvalidInput(f"{name} sells only: its allocations must be >= 0, got {B.describe()}")
    bounds = None if box.is_unit else (box.lower, np.asarray(box.hi, dtype=np.float64))
    d = parse_distribution(dist, spec.n, bounds) if isinstance(dist, str) else dist
    return Setting(name=name, n=spec.n, market=spec.market, alpha=a, belief=c, dist=d, types=box, allocations=B)

