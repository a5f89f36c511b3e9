"""Test-side references for the example claims: closed forms derived here, and an exact menu evaluator.

Nothing here calls the code under test (solvers, grids, neural, examples):
the expected values of tests/test_examples.py and tests/test_examples_full.py
come from these derivations and from the test-side closed forms of
tests/reference.py (half-spread, 1D optimum, Table 2 prices).

- 1D spread (DESIGN §1.4): a trader of type x ~ U[0, 1] buys at 1/2 + s_a if
  x > 1/2 + s_a, the market maker's cost is phi(x) = 1/2 + alpha (x - 1/2), so
  the ask side earns int_{s_a}^{1/2} (s_a - alpha y) dy
  = s_a/2 - s_a^2 - alpha (1/4 - s_a^2)/2, likewise the bid side. The sum is
  maximal at s = 1/(2 (2 - alpha)) with value (1 - alpha)^2 / (4 (2 - alpha)),
  and a quote error d on one side costs exactly (2 - alpha) d^2 / 2.
- Table 2 (DESIGN §1.4, lam = 1 - alpha): its prices (tests/reference.py),
  evaluated by the exact polytope integration below.
- The octagon |o_i| <= 1/3, |o_1| + |o_2| <= (4 - sqrt2)/6 (o = x - c): the
  square of side 2/3 minus four corner triangles with legs sqrt2/6, area
  4/9 - 1/9 = 1/3.
- First best of m buyers and n sellers, values and costs i.i.d. U[0, 1]: the
  efficient match trades pairs j while the j-th highest value exceeds the
  j-th lowest cost, so gains = sum_j (V_(j) - S_(j))^+ = int_0^1 sum_j
  1{S_(j) < t < V_(j)} dt, and sum_j P(S_(j) < t) P(V_(j) > t) = E min(X, Y)
  with X ~ Bin(n, t), Y ~ Bin(m, 1 - t) independent.
- Three goods, symmetric menu with price offsets t1, t2, t3 above <a, c> for
  items trading 1, 2, 3 goods (|o_i| < 1/2): the no-trade region is
  {o : |o_i| <= t1, |o_i| + |o_j| <= t2, |o_1| + |o_2| + |o_3| <= t3}. A
  constraint is a facet iff it cuts below the maximum the others allow: the
  axis faces iff t1 < min(t2, t3) (max o_1 with o_2 = o_3 = 0), the two-good
  faces iff t2 < min(t3, 2 t1), the three-good faces iff t3 < min(3 t1, 3 t2/2).
"""

from __future__ import annotations

import math
from itertools import product

import numpy as np
from scipy import integrate, optimize, spatial, stats

# test-side closed forms of DESIGN §1.4: half-spread, 1D optimum, the paper's Table 2 prices
from reference import spread_half_width as half_spread  # noqa: F401 (re-exported)
from reference import spread_profit_1d  # noqa: F401
from reference import table2_menu as table2

SQRT2 = math.sqrt(2.0)
AMM2D_ALPHA0 = 2 / 9 + SQRT2 / 27  # DESIGN §1.4, Table 2 at alpha = 0
OCTAGON_AXIS, OCTAGON_L1 = 1 / 3, (4 - SQRT2) / 6
OCTAGON_AREA = (2 * OCTAGON_AXIS) ** 2 - 2 * (2 * OCTAGON_AXIS - OCTAGON_L1) ** 2  # = 1/3
OCTAGON_PERIMETER = 8 * (OCTAGON_L1 - OCTAGON_AXIS) + 4 * SQRT2 * (2 * OCTAGON_AXIS - OCTAGON_L1)


def spread_profit(alpha: float, s_ask: float, s_bid: float | None = None) -> float:
    """Exact profit of the menu {buy at 1/2 + s_ask, sell at 1/2 - s_bid} on U[0, 1], c = 1/2."""
    side = lambda s: s / 2 - s * s - alpha * (0.25 - s * s) / 2  # noqa: E731
    return side(s_ask) + side(s_ask if s_bid is None else s_bid)


def _simplex_moments(points: np.ndarray) -> tuple[float, np.ndarray]:
    """Volume and centroid of the convex hull of ``points`` (split into simplices)."""
    n = points.shape[1]
    tri = spatial.Delaunay(points)
    simp = points[tri.simplices]  # (S, n + 1, n)
    vols = np.abs(np.linalg.det(simp[:, 1:] - simp[:, :1])) / math.factorial(n)
    vol = float(vols.sum())
    return vol, (vols[:, None] * simp.mean(axis=1)).sum(axis=0) / vol


def exact_menu(alloc: np.ndarray, prices: np.ndarray, c: np.ndarray, alpha: float = 0.0
               ) -> tuple[float, np.ndarray]:
    """Exact profit and masses of a menu for uniform types on [0, 1]^n (no-trade item added).

    Each item's region {x in box : <a_k - a_j, x> >= p_k - p_j} is a polytope and the per-type
    profit p_k - <a_k, c> - alpha <a_k, x - c> is affine, so the integral is
    vol (p_k - <a_k, c> - alpha <a_k, centroid - c>). Independent of solvers.menu_profit.

    Returns
    -------
    profit : float
    masses : np.ndarray, shape (K,)
        Mass of each given item (the no-trade item's mass is 1 - their sum).
    """
    alloc, prices, c = np.atleast_2d(np.asarray(alloc, float)), np.asarray(prices, float), np.asarray(c, float)
    n = alloc.shape[1]
    a_all, p_all = np.vstack([alloc, np.zeros(n)]), np.append(prices, 0.0)
    box = np.vstack([np.hstack([-np.eye(n), np.zeros((n, 1))]), np.hstack([np.eye(n), -np.ones((n, 1))])])
    profit, masses = 0.0, np.zeros(len(prices))
    for k in range(len(prices)):
        rows = np.hstack([a_all - a_all[k], (p_k := p_all[k]) - p_all[:, None]])  # <a_j - a_k, x> + p_k - p_j <= 0
        norms = np.linalg.norm(rows[:, :n], axis=1)
        if np.any((norms < 1e-14) & (rows[:, n] > 1e-14)):  # same allocation, cheaper elsewhere (ties: first wins)
            continue
        rows = np.vstack([rows[norms >= 1e-14], box])
        norm = np.linalg.norm(rows[:, :n], axis=1)
        lp = optimize.linprog(np.append(np.zeros(n), -1.0), A_ub=np.hstack([rows[:, :n], norm[:, None]]),
                              b_ub=-rows[:, n], bounds=[(None, None)] * n + [(0, 1)], method="highs")
        if lp.status != 0 or lp.x[n] < 1e-10:
            continue  # empty or lower-dimensional region: mass 0
        pts = spatial.HalfspaceIntersection(rows, lp.x[:n]).intersections
        vol, centroid = _simplex_moments(pts)
        masses[k] = vol
        profit += vol * (p_k - alloc[k] @ c - alpha * alloc[k] @ (centroid - c))
    return profit, masses


def table2_profit(alpha: float) -> float:
    """Exact profit of the Table 2 menu at alpha (c = (1/2, 1/2))."""
    return exact_menu(*table2(alpha), np.array([0.5, 0.5]), alpha)[0]


def table2_gain(alpha: float) -> float:
    """Table 2's profit over selling both goods separately at the optimal spread, minus 1."""
    return table2_profit(alpha) / (2 * spread_profit_1d(alpha)) - 1


def table2_gain_peak() -> tuple[float, float]:
    """(alpha, gain) at the maximum of Table 2's bundling gain (bounded scalar search, xatol 1e-6)."""
    res = optimize.minimize_scalar(lambda a: -table2_gain(a), bounds=(0.2, 0.8), method="bounded",
                                   options={"xatol": 1e-6})
    return float(res.x), float(-res.fun)


def first_best(m: int, n: int) -> float:
    """Expected efficient gains from trade, m buyers and n sellers, i.i.d. U[0, 1] (int_0^1 E min(X, Y) dt)."""
    def emin(t: float) -> float:
        x, y = np.arange(n + 1), np.arange(m + 1)
        px, py = stats.binom.pmf(x, n, t), stats.binom.pmf(y, m, 1 - t)
        return float(px @ np.minimum.outer(x, y) @ py)

    return integrate.quad(emin, 0, 1, epsabs=1e-12, epsrel=1e-12, limit=200)[0]


def three_goods_facets(t1: float, t2: float, t3: float) -> dict[str, int]:
    """Facets of the symmetric 3-good no-trade region by class, from the offsets (module docstring)."""
    return {"axis": 6 * (t1 < min(t2, t3)), "two-good": 12 * (t2 < min(t3, 2 * t1)),
            "three-good": 8 * (t3 < min(3 * t1, 1.5 * t2))}


def three_goods_menu(offsets: dict[int, float]) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric deterministic 3-good menu, price <a, c> + offsets[goods traded], c = 1/2."""
    items = np.array([a for a in product((-1, 0, 1), repeat=3) if any(a) and sum(map(abs, a)) in offsets], float)
    goods = np.abs(items).sum(axis=1).astype(int)
    return items, items @ np.full(3, 0.5) + np.array([offsets[g] for g in goods])


# The single-bidder suite (examples/rochetnet_suite.py), derived here independently of solvers/suite_values.py.
def suite_closed_forms() -> dict[str, float]:
    """Revenues of the literature's optimal menus, by region areas.

    DDT, U[4,16] x U[4,7] (density 1/36): bundle (1,1) at 12 for x1 >= 8 (area 24), lottery (1/2,1) at 8 where
    x1 < 8 and x2 >= 8 - x1/2 (area int_4^8 (x1/2 - 1) dx1 = 8): (12 * 24 + 8 * 8) / 36.
    Triangle and unit demand on U[0,1]^2: price p = 1/sqrt3 sells with probability 1 - p^2.
    Pavlov, U[2,3]^2: e = 2t - 4 solves 1 - 4e - 3e^2/2 = 0; items (area 4/9) at t + 1/6, the lottery
    (area 5/9 - e^2/2) at t.
    """
    p = 1 / math.sqrt(3)
    e = (-4 + math.sqrt(16 + 6)) / 3
    t = 2 + e / 2
    return {"suite-additive": 4 / 9 + 2 * math.sqrt(2) / 27, "suite-ddt": (12 * 24 + 8 * 8) / 36,
            "suite-triangle": p * (1 - p * p), "suite-unit-demand": p * (1 - p * p),
            "suite-pavlov": (t + 1 / 6) * 4 / 9 + t * (5 / 9 - e * e / 2)}
