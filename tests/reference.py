"""Expected values for the tests, derived here from DESIGN §1.4, independently of the code under test.

``solvers.known_values`` holds the same closed forms for the bounds table; the tests take
theirs from this module instead, and tests/test_values.py compares the two, so a wrong
value in ``solvers.known_values`` fails a test rather than moving the target with it.

Notation: types x on [0,1]^n, uniform; belief c = 1/2 (market maker) or 0 (monopolist);
phi(x) = c + alpha (x - c); the paper writes lam = 1 - alpha.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

SQRT2 = math.sqrt(2.0)


# --------------------------------------------------------------------------------------
# One good, uniform on [0,1], c = 1/2: a bid-ask spread
# --------------------------------------------------------------------------------------
#
# Offer to sell one unit at the ask 1/2 + s and to buy one at the bid 1/2 - s. A type
# x > 1/2 + s buys; the market maker's profit is ask - phi(x) = s - alpha (x - 1/2).
# With t = x - 1/2 the buy side earns
#     int_s^{1/2} (s - alpha t) dt = s (1/2 - s) - alpha (1/4 - s^2) / 2,
# and the sell side (x < 1/2 - s) the same by the reflection x -> 1 - x. In total
#     P(s) = s - 2 s^2 - alpha / 4 + alpha s^2 = s - (2 - alpha) s^2 - alpha / 4.
# P'(s) = 1 - 2 (2 - alpha) s = 0 gives s = 1 / (2 (2 - alpha)) (P'' < 0: a maximum), and
#     P(s) = s - s / 2 - alpha / 4 = 1 / (4 (2 - alpha)) - alpha / 4
#          = (1 - 2 alpha + alpha^2) / (4 (2 - alpha)) = (1 - alpha)^2 / (4 (2 - alpha)),
# DESIGN §1.4's value (1/8 at alpha = 0; lam^2 / (4 (1 + lam)) in the paper's notation).
# A deterministic spread is optimal in 1D (DESIGN §1.4), so this is the optimum.

def spread_half_width(alpha: float) -> float:
    """Half bid-ask spread s = 1 / (2 (2 - alpha)): the root of P'(s) = 1 - 2 (2 - alpha) s."""
    return 1.0 / (2.0 * (2.0 - alpha))


def spread_profit_1d(alpha: float) -> float:
    """P(s) = s - (2 - alpha) s^2 - alpha / 4 at the optimal s: (1 - alpha)^2 / (4 (2 - alpha))."""
    return (1.0 - alpha) ** 2 / (4.0 * (2.0 - alpha))


def spread_profit_at(alpha: float, s: float) -> float:
    """P(s) for any half spread 0 <= s <= 1/2 (the expression above, before optimizing)."""
    return s - (2.0 - alpha) * s**2 - alpha / 4.0


def separate_menu(n: int, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Each of n goods traded on its own at ask 1/2 + s and bid 1/2 - s: all 3^n - 1 trades.

    Utility is additive over goods, so each good earns the 1D profit: n * spread_profit_1d.
    """
    s = spread_half_width(alpha)
    price = {-1: -(0.5 - s), 0: 0.0, 1: 0.5 + s}
    trades = [t for t in itertools.product((-1, 0, 1), repeat=n) if any(t)]
    return np.array(trades, dtype=np.float64), np.array([sum(price[v] for v in t) for t in trades])


# --------------------------------------------------------------------------------------
# Two goods, monopolist (B = [0,1]^2, c = 0): Manelli and Vincent
# --------------------------------------------------------------------------------------
#
# DESIGN §1.4 (Manelli and Vincent): each good alone at 2/3, the bundle at (4 - sqrt2)/3,
# so u(x) = max(0, x1 - 2/3, x2 - 2/3, x1 + x2 - (4 - sqrt2)/3). Integrating the price
# paid over the polygons where each item is chosen gives the revenue
#     4/9 + 2 sqrt2 / 27 = 0.549201...
# (tests/test_menu_profit.py integrates this menu exactly and compares).

MONOPOLIST2D_SINGLE_PRICE = 2.0 / 3.0
MONOPOLIST2D_BUNDLE_PRICE = (4.0 - SQRT2) / 3.0
MONOPOLIST2D_REVENUE = 4.0 / 9.0 + 2.0 * SQRT2 / 27.0


def manelli_vincent_menu() -> tuple[np.ndarray, np.ndarray]:
    """(allocations, prices): good 1, good 2, the bundle; no trade is implicit."""
    return (np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]),
            np.array([MONOPOLIST2D_SINGLE_PRICE, MONOPOLIST2D_SINGLE_PRICE, MONOPOLIST2D_BUNDLE_PRICE]))


# --------------------------------------------------------------------------------------
# Two goods, market maker (B = [-1,1]^2, c = (1/2, 1/2)): the paper's Table 2
# --------------------------------------------------------------------------------------
#
# DESIGN §1.4, with lam = 1 - alpha and den = 4 lam + 2 (a negative price: the trader is paid):
#     buy one good          (3 lam + 2) / den
#     sell one good         -lam / den
#     buy both              (6 lam - sqrt2 lam + 4) / den
#     sell both             -(2 + sqrt2) lam / den
#     buy one, sell other   (2 lam - sqrt2 lam + 2) / den
#
# Cross-check at alpha = 0 (lam = 1, den = 6), from the monopolist above: without adverse
# selection the four quadrants around c decouple. On the quadrant x >= c the trader faces
# a monopolist whose types x - c are uniform on [0, 1/2]^2, i.e. the unit problem scaled by
# 1/2: premiums over <a, c> of 1/3 per good and (4 - sqrt2)/6 for the bundle. So
#     buy one  = 1/2 + 1/3 = 5/6 = (3 + 2)/6,        sell one  = -(1/2 - 1/3) = -1/6,
#     buy both = 1 + (4 - sqrt2)/6 = (10 - sqrt2)/6, sell both = -(1 - (4 - sqrt2)/6) = -(2 + sqrt2)/6,
#     buy one, sell other = 0 + (4 - sqrt2)/6,
# the formulas above at lam = 1. Revenue scales with the type box: each quadrant (mass 1/4)
# earns 1/2 of the Manelli-Vincent revenue per unit mass, so the total is half of it:
#     2/9 + sqrt2 / 27 = 0.274601...
# tests/test_menu_profit.py checks both statements (the menu, and its exact profit).

AMM2D_PROFIT_ALPHA0 = MONOPOLIST2D_REVENUE / 2.0   # = 2/9 + sqrt2/27


def table2_prices(alpha: float) -> dict[str, float]:
    """The five distinct Table 2 prices, by trade, for lam = 1 - alpha."""
    lam = 1.0 - alpha
    den = 4.0 * lam + 2.0
    return {
        "buy one": (3.0 * lam + 2.0) / den,
        "sell one": -lam / den,
        "buy both": (6.0 * lam - SQRT2 * lam + 4.0) / den,
        "sell both": -(2.0 + SQRT2) * lam / den,
        "swap": (2.0 * lam - SQRT2 * lam + 2.0) / den,
    }


def table2_menu(alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """The 8 trading items of Table 2 as (allocations (8, 2), prices (8,)); no trade is implicit."""
    p = table2_prices(alpha)
    items = [
        ((1, 0), p["buy one"]), ((0, 1), p["buy one"]), ((-1, 0), p["sell one"]), ((0, -1), p["sell one"]),
        ((1, 1), p["buy both"]), ((-1, -1), p["sell both"]), ((1, -1), p["swap"]), ((-1, 1), p["swap"]),
    ]
    return np.array([a for a, _ in items], dtype=np.float64), np.array([q for _, q in items])


def quadrant_manelli_vincent_menu() -> tuple[np.ndarray, np.ndarray]:
    """Table 2 at alpha = 0 rebuilt from the monopolist menu on each quadrant (see above).

    On the quadrant with signs sigma in {-1, 0, 1}^2 the allocation is sigma, priced at
    <sigma, c> plus half the monopolist price of the item with |sigma| (the quadrant's
    types |x - c| are uniform on [0, 1/2]^2: the monopolist problem scaled by 1/2).
    """
    alloc, prices = [], []
    c = np.array([0.5, 0.5])
    premium = {(1, 0): MONOPOLIST2D_SINGLE_PRICE / 2, (0, 1): MONOPOLIST2D_SINGLE_PRICE / 2,
               (1, 1): MONOPOLIST2D_BUNDLE_PRICE / 2}
    for sigma in itertools.product((-1, 0, 1), repeat=2):
        if not any(sigma):
            continue
        a = np.array(sigma, dtype=np.float64)
        alloc.append(a)
        prices.append(float(a @ c) + premium[tuple(int(abs(v)) for v in sigma)])
    return np.array(alloc), np.array(prices)
