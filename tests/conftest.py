"""Shared helpers for the tests: closed forms of DESIGN §1.4."""

from __future__ import annotations

import math

import numpy as np
import pytest


def spread_profit_1d(alpha: float) -> float:
    """Optimal 1D profit (1 - alpha)^2 / (4 (2 - alpha)) (DESIGN §1.4)."""
    return (1 - alpha) ** 2 / (4 * (2 - alpha))


def spread_half_width(alpha: float) -> float:
    """Half bid-ask spread s = 1 / (2 (2 - alpha))."""
    return 1 / (2 * (2 - alpha))


def table2_menu(alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """The 8 trading items of the paper's Table 2 (lam = 1 - alpha), no-trade implicit."""
    lam = 1 - alpha
    r2 = math.sqrt(2)
    den = 4 * lam + 2
    one_buy, one_sell = (3 * lam + 2) / den, -lam / den
    both_buy, both_sell = (6 * lam - r2 * lam + 4) / den, -(2 + r2) * lam / den
    swap = (2 * lam - r2 * lam + 2) / den
    items = [
        ((1, 0), one_buy), ((0, 1), one_buy), ((-1, 0), one_sell), ((0, -1), one_sell),
        ((1, 1), both_buy), ((-1, -1), both_sell), ((1, -1), swap), ((-1, 1), swap),
    ]
    return np.array([a for a, _ in items], dtype=float), np.array([p for _, p in items])


MONOPOLIST2D_REVENUE = 4 / 9 + 2 * math.sqrt(2) / 27  # Manelli and Vincent, DESIGN §1.4
AMM2D_PROFIT_ALPHA0 = 2 / 9 + math.sqrt(2) / 27


@pytest.fixture(scope="session")
def amm2d_k64():
    """amm2d solutions at k = 64 for alpha 0 and 0.5, solved once per session."""
    from solvers import solve

    return {alpha: solve("amm2d", 64, alpha=alpha) for alpha in (0.0, 0.5)}
