"""Shared helpers for the tests: closed forms of DESIGN §1.4."""

from __future__ import annotations

import pytest

from solvers.known_values import (AMM2D_PROFIT_ALPHA0, MONOPOLIST2D_REVENUE,  # noqa: F401  (re-exported)
                                  spread_profit_1d, table2_menu)


def spread_half_width(alpha: float) -> float:
    """Half bid-ask spread s = 1 / (2 (2 - alpha))."""
    return 1 / (2 * (2 - alpha))


@pytest.fixture(scope="session")
def amm2d_k64():
    """amm2d solutions at k = 64 for alpha 0 and 0.5, solved once per session."""
    from solvers import solve

    return {alpha: solve("amm2d", 64, alpha=alpha) for alpha in (0.0, 0.5)}
