"""Closed-form optima of DESIGN §1.4, for the bounds table and the tests.

All are for the uniform law with the default belief (c = 1/2 for a market
maker, 0 for a monopolist); ``known_optimum`` returns None elsewhere.
"""

from __future__ import annotations

import math

import numpy as np

from grids import Setting


def spread_profit_1d(alpha: float) -> float:
    """Optimal 1D profit (1 - alpha)^2 / (4 (2 - alpha)): bid-ask spread 1/2 -+ 1/(2(2 - alpha))."""
    return (1 - alpha) ** 2 / (4 * (2 - alpha))


def table2_menu(alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """The 8 trading items of the paper's Table 2 (lam = 1 - alpha); no-trade is implicit."""
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


MONOPOLIST2D_REVENUE = 4 / 9 + 2 * math.sqrt(2) / 27  # Manelli and Vincent
AMM2D_PROFIT_ALPHA0 = 2 / 9 + math.sqrt(2) / 27


def known_optimum(setting: Setting) -> tuple[float, str] | None:
    """(value, source) of the continuous optimum where DESIGN §1.4 or the suite's literature gives one.

    A suite setting (``suite-*``) has one only with its own defaults (types, B, law).
    """
    from solvers.suite_values import SUITE_OPTIMA

    if setting.name in SUITE_OPTIMA:
        from grids import make_setting

        form = SUITE_OPTIMA[setting.name]
        return (form.value, form.source) if _same_problem(setting, make_setting(setting.name)) else None
    if not setting.dist.is_uniform or not setting.is_standard:  # a type box or another B: none known here
        return None
    centred = all(abs(v - 0.5) < 1e-12 for v in setting.belief)
    if setting.name == "amm1d" and centred:
        return spread_profit_1d(setting.alpha), "bid-ask spread, DESIGN §1.4"
    if setting.name == "monopolist1d":
        return 0.25, "posted price 1/2"
    if setting.name == "monopolist2d":
        return MONOPOLIST2D_REVENUE, "Manelli-Vincent, 4/9 + 2 sqrt2/27"
    if setting.name == "amm2d" and centred:
        from solvers.menu_profit import evaluate_menu

        alloc, prices = table2_menu(setting.alpha)
        return evaluate_menu(setting, alloc, prices).value, "paper's Table 2 menu, exact profit"
    return None


def _same_problem(a: Setting, b: Setting) -> bool:
    """Whether two settings pose the same problem (types, B, law, alpha, belief)."""
    return (a.types == b.types and a.allocations == b.allocations and a.dist.spec == b.dist.spec
            and a.alpha == b.alpha and a.belief == b.belief)
