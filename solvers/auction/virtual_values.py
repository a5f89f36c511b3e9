"""Virtual values of buyers and virtual costs of sellers, ironed (Myerson 1981).

Continuous: phi(v) = v - (1 - F(v)) / f(v) for buyers, gamma(s) = s + G(s) / g(s)
for sellers. Discrete, values v_1 < ... < v_K with probabilities p_k and
cumulative F_k:  phi_k = v_k - (v_{k+1} - v_k)(1 - F_k) / p_k  and
gamma_k = s_k + (s_k - s_{k-1}) G_{k-1} / q_k  (local IC binding). Ironing is
the weighted isotonic (nondecreasing) regression of these in type order,
weights = probabilities (quantile mass): the slopes of the concave hull of the
revenue curve. Expected revenue of a BIC, IR mechanism that gives no surplus to
the lowest buyer and highest seller equals E[sum_i phi(v_i) q_i - sum_j gamma(s_j) r_j]
whenever the allocation is constant on ironing intervals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import isotonic_regression

from grids.auction import ValueLaw

QUANTILE_POINTS = 2**14  # continuous laws: virtual values tabulated at this many mid-quantiles
BUYER, SELLER = "buyer", "seller"


def _discrete_raw(law: ValueLaw, side: str) -> np.ndarray:
    v, p = law.support_array()
    cdf = np.cumsum(p)
    if side == BUYER:
        gaps = np.append(np.diff(v), 0.0)
        return v - gaps * np.clip(1.0 - cdf, 0.0, None) / p
    gaps = np.insert(np.diff(v), 0, 0.0)
    return v + gaps * np.insert(cdf[:-1], 0, 0.0) / p


def _iron(raw: np.ndarray, weights: np.ndarray) -> np.ndarray:
    return isotonic_regression(raw, weights=weights, increasing=True).x


@dataclass(frozen=True)
class VirtualValues:
    """A side's (ironed) virtual value as a function of the reported type.

    Attributes
    ----------
    law : ValueLaw
    side : {"buyer", "seller"}
    ironed : bool
        Whether ironing was applied (the raw values are used when False).
    types, table : np.ndarray
        Discrete: support and values there. Continuous: mid-quantile types and
        the (ironed) values there, interpolated in quantile space.
    raw : np.ndarray
        The un-ironed values at ``types``.
    """

    law: ValueLaw
    side: str
    ironed: bool
    types: np.ndarray
    table: np.ndarray
    raw: np.ndarray

    @property
    def regular(self) -> bool:
        """True when the raw virtual value is already nondecreasing (no ironing needed)."""
        return bool(np.all(np.diff(self.raw) >= -1e-12 * max(1.0, np.abs(self.raw).max())))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """phi(x) for buyers, gamma(x) for sellers; x must be support points for discrete laws."""
        x = np.asarray(x, dtype=np.float64)
        if self.law.is_discrete:
            idx = np.searchsorted(self.types, x)
            idx = np.clip(idx, 0, len(self.types) - 1)
            if not np.allclose(self.types[idx], x, rtol=0, atol=1e-12 * max(1.0, abs(self.law.hi))):
                raise ValueError("discrete virtual values are defined on the support only")
            return self.table[idx]
        if self.law.family == "uniform":  # regular: phi(v) = 2v - hi, gamma(s) = 2s - lo exactly
            return 2 * x - (self.law.hi if self.side == BUYER else self.law.lo)
        u = self.law.continuous().cdf(x)
        return np.interp(u, self._quantiles(), self.table)

    def inverse(self, t: np.ndarray) -> np.ndarray:
        """The smallest type whose virtual value reaches t, clipped to [lo, hi] (regular laws)."""
        t = np.asarray(t, dtype=np.float64)
        if self.law.family == "uniform":
            shift = self.law.hi if self.side == BUYER else self.law.lo
            return np.clip((t + shift) / 2, self.law.lo, self.law.hi)
        if self.law.is_discrete:
            idx = np.clip(np.searchsorted(self.table, t, side="left"), 0, len(self.types) - 1)
            return self.types[idx]
        u = np.interp(t, self.table, self._quantiles(), left=0.0, right=1.0)
        return self.law.continuous().ppf(u)

    def _quantiles(self) -> np.ndarray:
        return (np.arange(QUANTILE_POINTS) + 0.5) / QUANTILE_POINTS


def virtual_values(law: ValueLaw, side: str, ironed: bool = True) -> VirtualValues:
    """Tabulate the (ironed) virtual value of ``law`` for a buyer or a seller."""
    if side not in (BUYER, SELLER):
        raise ValueError(f"side must be {BUYER!r} or {SELLER!r}")
    if law.is_discrete:
        types, weights = law.support_array()
        raw = _discrete_raw(law, side)
    else:
        rv = law.continuous()
        u = (np.arange(QUANTILE_POINTS) + 0.5) / QUANTILE_POINTS
        types = rv.ppf(u)
        dens = rv.pdf(types)
        raw = types - (1 - u) / dens if side == BUYER else types + u / dens
        weights = np.full(QUANTILE_POINTS, 1.0 / QUANTILE_POINTS)
    table = _iron(raw, weights) if ironed else raw
    return VirtualValues(law, side, ironed, types, table, raw)
