"""Shared helpers for the tests (closed forms live in solvers.known_values)."""

from __future__ import annotations

import pytest


def spread_half_width(alpha: float) -> float:
    """Half bid-ask spread s = 1 / (2 (2 - alpha))."""
    return 1 / (2 * (2 - alpha))


@pytest.fixture(scope="session")
def amm2d_k64():
    """amm2d solutions at k = 64 for alpha 0 and 0.5, solved once per session."""
    from solvers import solve

    return {alpha: solve("amm2d", 64, alpha=alpha) for alpha in (0.0, 0.5)}
