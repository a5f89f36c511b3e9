"""Closed forms of the single-bidder benchmark suite (RochetNet's, deep-opt-auctions), derived here.

Each entry is the optimal mechanism the literature gives, as a menu in the
user's units (the implicit no-trade item (0, 0) at price 0 is left out), and
its expected revenue, integrated exactly below. A literature claim is a
hypothesis: the LP certifies (or refutes) each one in tests/test_suite.py.
Baselines (the best bundle price, separate posted prices) are given where the
literature has no closed form.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ClosedForm:
    """An optimal menu from the literature and its expected revenue (exact)."""

    value: float
    allocations: tuple[tuple[float, ...], ...]
    prices: tuple[float, ...]
    source: str

    @property
    def menu(self) -> tuple[np.ndarray, np.ndarray]:
        return np.array(self.allocations, dtype=float), np.array(self.prices, dtype=float)


def _ddt() -> ClosedForm:
    """x1 ~ U[4,16], x2 ~ U[4,7] (Daskalakis, Deckelbaum and Tzamos 2017).

    Items: the lottery (1/2, 1) at 8 and the bundle (1, 1) at 12. The bundle
    beats the lottery iff x1 / 2 >= 4 (x1 >= 8: probability 2/3); the lottery
    beats no sale iff x2 >= 8 - x1 / 2, for x1 in [4, 8] an x2-interval of
    length x1 / 2 - 1, whose integral over [4, 8] is 8 (probability 8 / 36).
    Revenue 12 (2/3) + 8 (2/9) = 88/9. (The suite's baseline reads the regions
    this way; a lottery (1, 1/2) at 8 with the bundle at 12 would never sell
    the bundle, since then the bundle beats the lottery only for x2 >= 8.)
    """
    return ClosedForm(88 / 9, ((0.5, 1.0), (1.0, 1.0)), (8.0, 12.0),
                      "Daskalakis-Deckelbaum-Tzamos: lottery (1/2, 1) at 8, bundle at 12; 88/9")


def _unit_demand() -> ClosedForm:
    """Unit demand, U[0,1]^2: each item at p = 1/sqrt 3.

    Revenue p P(max(x1, x2) >= p) = p (1 - p^2), largest at p^2 = 1/3: 2 / (3 sqrt 3).
    """
    p = 1 / math.sqrt(3)
    return ClosedForm(p * (1 - p * p), ((1.0, 0.0), (0.0, 1.0)), (p, p),
                      "each item at 1/sqrt3 (RochetNet suite); 2/(3 sqrt3)")


def _pavlov() -> ClosedForm:
    """Unit demand, U[2,3]^2 (Pavlov 2011): lottery (1/2, 1/2) at t, each item at t + 1/6.

    With s = x1 + x2 and d = x1 - x2: no sale for s <= 2t (a corner triangle of
    area e^2 / 2, e = 2t - 4), an item for |d| >= 1/3 (two triangles of area
    2/9 each, disjoint from the first since |d| <= e < 1/3 there), the lottery
    elsewhere. Revenue R(t) = (t + 1/6) 4/9 + t (5/9 - e^2 / 2); R'(t) = 0 gives
    1 - 4e - 3e^2 / 2 = 0, e = (sqrt 22 - 4)/3, t = 2 + e/2 = 4/3 + sqrt(11/2)/3.
    """
    e = (math.sqrt(22) - 4) / 3
    t = 2 + e / 2
    value = (t + 1 / 6) * 4 / 9 + t * (5 / 9 - e * e / 2)
    return ClosedForm(value, ((0.5, 0.5), (1.0, 0.0), (0.0, 1.0)), (t, t + 1 / 6, t + 1 / 6),
                      "Pavlov: lottery (1/2,1/2) at 4/3 + sqrt(11/2)/3, each item 1/6 more")


def _triangle() -> ClosedForm:
    """Uniform on the triangle {x >= 0, x1 + x2 <= 1}: the grand bundle at p = 1/sqrt 3.

    P(x1 + x2 >= p) = 1 - p^2 (the triangle below the line has area p^2 / 2 of 1/2), so
    revenue p (1 - p^2), largest at p = 1/sqrt 3: 2 / (3 sqrt 3).
    """
    p = 1 / math.sqrt(3)
    return ClosedForm(p * (1 - p * p), ((1.0, 1.0),), (p,), "grand bundle at 1/sqrt3 (RochetNet suite); 2/(3 sqrt3)")


SUITE_OPTIMA: dict[str, ClosedForm] = {
    "suite-additive": ClosedForm(4 / 9 + 2 * math.sqrt(2) / 27,
                                 ((1.0, 0.0), (0.0, 1.0), (1.0, 1.0)),
                                 (2 / 3, 2 / 3, (4 - math.sqrt(2)) / 3),
                                 "Manelli-Vincent: items at 2/3, bundle at (4 - sqrt2)/3; 4/9 + 2 sqrt2/27"),
    "suite-ddt": _ddt(),
    "suite-triangle": _triangle(),
    "suite-unit-demand": _unit_demand(),
    "suite-pavlov": _pavlov(),
}


def bundle_baseline_04_03() -> tuple[float, float]:
    """x1 ~ U[0,4], x2 ~ U[0,3] (no closed form): (best bundle revenue, separate sale revenue).

    Bundle at p <= 3: P(x1 + x2 >= p) = 1 - p^2 / 24, so p (1 - p^2/24) is largest at
    p = 2 sqrt 2: 4 sqrt2 / 3. Separate: item i at half its upper end, b_i/2 * 1/2 each: 1 + 3/4.
    """
    return 4 * math.sqrt(2) / 3, 1.75


def bundle_baseline_additive(n: int, grid: int = 20_001) -> tuple[float, float]:
    """n i.i.d. U[0,1] goods: (best grand-bundle revenue max_p p P(S_n >= p), separate sale n/4).

    S_n has the Irwin-Hall law, P(S_n <= s) = sum_k (-1)^k C(n,k) (s-k)_+^n / n!; the
    maximum over p is found on a grid of ``grid`` prices in [0, n] and refined by golden section.
    """
    from scipy.optimize import minimize_scalar

    def tail(p: float) -> float:
        cdf = sum((-1) ** j * math.comb(n, j) * max(p - j, 0.0) ** n for j in range(n + 1)) / math.factorial(n)
        return 1.0 - cdf

    ps = np.linspace(0, n, grid)
    best = ps[int(np.argmax([p * tail(p) for p in ps]))]
    res = minimize_scalar(lambda p: -p * tail(p), bounds=(best - n / grid, best + n / grid), method="bounded")
    return float(-res.fun), n / 4
