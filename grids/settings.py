"""Settings: who trades what, under which beliefs, with which type law.

A setting fixes the dimension n, the allocation box B (the market), the belief
update weight alpha, the initial belief c and the type distribution. Named
settings live in a registry; :func:`make_setting` builds one by name with
parameters overridden and validated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from grids.auction import AUCTION_REGISTRY
from grids.distributions import Distribution, ProductDistribution, parse_distribution
from grids.errors import InvalidInput


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
    """One trader, n goods: types x in [0,1]^n, belief phi(x) = c + alpha (x - c).

    The market maker maximizes E[<grad u(x), d(x)> - u(x)] with
    d(x) = (1 - alpha)(x - c) over convex u >= 0, u(c) = 0, grad u in B.
    """

    name: str
    n: int
    market: Market
    alpha: float
    belief: tuple[float, ...]
    dist: Distribution = field(default_factory=lambda: ProductDistribution("uniform"))

    @property
    def c(self) -> np.ndarray:
        return np.asarray(self.belief, dtype=np.float64)

    def params(self) -> dict[str, object]:
        """The parameters as plain JSON-ready values."""
        return {"alpha": self.alpha, "belief": list(self.belief), "dist": self.dist.spec}


@dataclass(frozen=True)
class SettingSpec:
    """A registry entry: dimension and market of a named setting."""

    n: int
    market: Market
    description: str


REGISTRY: dict[str, SettingSpec] = {
    "amm1d": SettingSpec(1, AMM, "market maker, 1 good, B = [-1,1]"),
    "amm2d": SettingSpec(2, AMM, "market maker, 2 goods, B = [-1,1]^2"),
    "amm3d": SettingSpec(3, AMM, "market maker, 3 goods, B = [-1,1]^3"),
    "monopolist1d": SettingSpec(1, MONOPOLIST, "seller, 1 good, B = [0,1], c = 0, alpha = 0"),
    "monopolist2d": SettingSpec(2, MONOPOLIST, "seller, 2 goods, B = [0,1]^2, c = 0, alpha = 0"),
    "monopolist3d": SettingSpec(3, MONOPOLIST, "seller, 3 goods, B = [0,1]^3, c = 0, alpha = 0"),
}


def one_good_setting(name: str) -> str:
    """The registered one-good setting with the same market as ``name`` (the separate-selling baseline)."""
    spec = REGISTRY[name]
    return next(other for other, o in REGISTRY.items() if o.n == 1 and o.market == spec.market)


def _belief_tuple(belief: Sequence[float] | str | None, spec: SettingSpec, name: str) -> tuple[float, ...]:
    if belief is None:
        default = 0.5 if spec.market.fixed_belief is None else spec.market.fixed_belief
        return (default,) * spec.n
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
    if not all(np.isfinite(values)) or min(values) < 0.0 or max(values) > 1.0:
        raise InvalidInput(f"belief {list(values)} is off the type box [0,1]^{spec.n}")
    if spec.market.fixed_belief is not None and any(v != spec.market.fixed_belief for v in values):
        raise InvalidInput(f"{name} fixes the belief at c = {spec.market.fixed_belief:g}; got {list(values)}")
    return values


def make_setting(
    name: str,
    *,
    alpha: float | None = None,
    belief: Sequence[float] | str | None = None,
    dist: str | Distribution = "uniform",
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

    Raises
    ------
    InvalidInput
        Unknown name (the message lists the known ones), alpha outside [0,1],
        a belief off the box or of the wrong length, a bad distribution.
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
    c = _belief_tuple(belief, spec, name)
    d = parse_distribution(dist, spec.n) if isinstance(dist, str) else dist
    return Setting(name=name, n=spec.n, market=spec.market, alpha=a, belief=c, dist=d)
