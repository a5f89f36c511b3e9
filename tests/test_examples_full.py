"""Full-size runs of the example scripts, asserting the figures the README's Examples section quotes.

These are slow (seconds to minutes each; about 15 minutes in all on 2 cores)
and out of the default run: pyproject's addopts deselects ``-m "not slow"``.
Run them with::

    python -m pytest -m slow tests/test_examples_full.py

or one of them with ``-k``, e.g. ``python -m pytest -m slow tests/test_examples_full.py -k three_goods``.
Each test runs its script without ``--fast`` into a temporary folder and reads
its findings.json (see examples/common.py). A README figure quoted to d digits
is asserted to round to it (tolerance half a unit of its last digit); other
tolerances say where they come from. Expected values come from
tests/example_reference.py, never from solvers.known_values.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from example_reference import (AMM2D_ALPHA0, OCTAGON_AREA, OCTAGON_PERIMETER, first_best, half_spread,
                               spread_profit_1d, table2_gain_peak, table2_profit)
from test_examples import ROOT, EXACT, Claims, assert_hold, claims_of, run_example

pytestmark = pytest.mark.slow


def full_run(name: str, tmp_path: Path, timeout: int = 1800) -> Claims:
    """Claims of the full-size run of examples/NAME.py."""
    return claims_of(run_example(ROOT / "examples" / f"{name}.py", tmp_path, fast=False, timeout=timeout))


def rounds_to(value: float, quoted: float, decimals: int) -> bool:
    """``value`` rounds to the README's ``quoted`` figure at ``decimals`` decimals (half a unit of the last digit)."""
    return abs(value - quoted) <= 0.5 * 10.0 ** -decimals + 1e-12


def test_bid_ask_1d_full(tmp_path: Path) -> None:
    """README: 'Confirmed. The 1D spread.'"""
    c = full_run("bid_ask_1d", tmp_path)
    assert_hold(c, *c)  # every claim holds at k = 256
    h = c["half_spread_error_max"]["h"]
    assert h == 1 / 256
    for case in c["half_spread_error_max"]["cases"]:  # quotes on grid points: within one cell of the closed form
        assert abs(case["ask_half"] - half_spread(case["alpha"])) <= h
        assert 0 <= spread_profit_1d(case["alpha"]) - case["menu_profit"] <= 2 * h * h + EXACT
    assert c["lp_primal_excess"]["per_alpha"]["0.0"] == pytest.approx(h / 4, abs=EXACT)  # DESIGN §6: 1/(4k)


def test_bundling_2goods_full(tmp_path: Path) -> None:
    """README: all 8 trades, prices within one cell, LP menu never above Table 2; gain 9.84 % at alpha = 0,
    peak 11.44 % near alpha = 0.53."""
    c = full_run("bundling_2goods", tmp_path)
    assert_hold(c, "table2_trades_offered", "price_error_max", "lp_menu_minus_table2_max", "table2_gain_alpha0",
                "table2_gain_peak", "table2_peak_alpha", "lp_gain_above_table2", "mass_off_table2")
    assert c["table2_trades_offered"]["value"] == 8
    assert c["price_error_max"]["value"] <= 1 / 64  # one grid cell at k = 64
    for alpha, v in c["lp_menu_minus_table2_max"]["per_alpha"].items():
        assert v["lp_menu"] <= table2_profit(float(alpha)) + EXACT  # Table 2 is optimal
    g0 = c["table2_gain_alpha0"]["value"]
    assert g0 == pytest.approx(4 * math.sqrt(2) / 27 - 1 / 9, abs=EXACT)  # (2/9 + sqrt2/27) / (1/4) - 1
    assert rounds_to(100 * g0, 9.84, 2)
    peak = c["table2_gain_peak"]
    assert rounds_to(100 * peak["value"], 11.44, 2) and rounds_to(peak["at_alpha"], 0.53, 2)
    a_ref, g_ref = table2_gain_peak()
    assert peak["value"] == pytest.approx(g_ref, abs=1e-8)  # both bounded searches, xatol <= 1e-5: O(xatol^2)
    assert peak["at_alpha"] == pytest.approx(a_ref, abs=1e-4)
    # the LP's own gain against the exact 1D optimum never beats Table 2's (it is a menu's exact profit)
    assert c["lp_gain_peak"]["value"] <= g_ref + EXACT


def test_off_center_belief_full(tmp_path: Path) -> None:
    """README: c = (1/3, 1/3): all 8 trades, buying one good alone has mass 0.036 per good; the LP menu earns
    more than the best conjectured-form menu the local search found."""
    c = full_run("off_center_belief", tmp_path)
    assert_hold(c, "lp_trades", "table3_trades_missing", "buy_one_mass", "no_trade_border_trades",
                "best8_minus_best6", "lp_menu_minus_best6", "diagonal_scan_single_items")
    assert c["lp_trades"]["value"] == 8
    assert rounds_to(c["buy_one_mass"]["per_good"], 0.036, 3)
    assert c["lp_menu_minus_best6"]["value"] > 0


def test_three_goods_full(tmp_path: Path) -> None:
    """README: 12 two-good bundles (12 % of types), 26 facets not 14, re-optimized pairs gain 0.033 %."""
    c = full_run("three_goods", tmp_path)
    assert_hold(c, "two_good_items", "two_good_mass", "pair_gain", "lp_region_facets", "pair_free_region_facets",
                "reoptimized_volumes")
    assert c["two_good_items"]["value"] == 12
    assert rounds_to(100 * c["two_good_mass"]["value"], 12, 0)
    assert c["lp_region_facets"]["value"] == 26 and c["pair_free_region_facets"]["value"] == 14
    assert rounds_to(100 * c["pair_gain"]["value"], 0.033, 3)
    # converged Nelder-Mead (300 iterations): no-trade volume 1/(n + 1) = 1/4 to the optimizer's xatol 1e-6 times
    # the region's surface (about 2.2): 1e-5 allowed
    assert c["reoptimized_volumes"]["value"] == pytest.approx([0.25, 0.25], abs=1e-5)


def test_continuous_menus_full(tmp_path: Path) -> None:
    """README: Beta(2,1), Beta(2,2): LP menus of 9 deterministic items, RochetNet's lotteries earn less;
    truncated normal: single-good items add 0 % to 0.15 %."""
    c = full_run("continuous_menus", tmp_path)
    assert_hold(c, "beta_lp_items", "beta_lp_fractional_mass", "net_fractional_items", "net_minus_lp_in_se",
                "truncnorm_grand_bundling_loss")
    assert c["beta_lp_items"]["value"] == [9]
    assert len(c["beta_lp_items"]["per_case"]) == 4  # both laws, alpha 0 and 0.5
    assert c["net_minus_lp_in_se"]["value"] < -2  # QMC standard errors: more than 2 s.e. below (one-sided)
    gains = c["truncnorm_single_gain"]["value"]
    assert c["truncnorm_single_gain"]["sds"] == [0.1, 0.2, 0.3]
    assert rounds_to(100 * min(gains), 0, 2) and rounds_to(100 * max(gains), 0.15, 2)
    assert all(g >= 0 for g in gains)  # grand bundling is a special case of the best menu


def test_transport_certificate_full(tmp_path: Path) -> None:
    """README: the octagonal no-trade region (area 1/3 at k = 1000); the flow partition differs from the
    paper's Figure 3 at the same cost."""
    c = full_run("transport_certificate", tmp_path)
    assert_hold(c, *(n for n, v in c.items() if v["holds"] is not None))
    area = c["octagon_area"]
    assert area["k"] == 1000
    # whole cells counted: error at most half a cell along the octagon's boundary (about 1.1e-3 at k = 1000)
    assert abs(area["value"] - OCTAGON_AREA) <= OCTAGON_PERIMETER / 1000 / 2
    assert rounds_to(area["value"], OCTAGON_AREA, 3)  # the README's "1/3", to 3 decimals
    # strong duality and the value: within h = 1e-3 of 2/9 + sqrt2/27 (first order, DESIGN §1.4)
    assert abs(c["measure_value"]["value"] - AMM2D_ALPHA0) <= 1 / 1000
    assert c["partition_nearest_face"]["value"] >= 0.95


def test_double_auction_full(tmp_path: Path) -> None:
    """README: the paper's Table 1 profits exceed the gains from trade."""
    c = full_run("double_auction", tmp_path)
    assert_hold(c, "lp_minus_broker", "paper_profits_above_first_best",
                *(n for n in c if n.startswith(("paper_neural_above_first_best", "paper_rescaling_inconsistent",
                                                "dsic_below_neural_violation"))))
    for m, n in ((3, 3), (10, 8), (20, 20)):
        rec = c[f"paper_neural_above_first_best_{m}x{n}"]
        assert rec["first_best"] == pytest.approx(first_best(m, n), abs=1e-9)  # quadrature of the same integral
        assert rec["paper"]["neural"] > first_best(m, n)


def test_rochetnet_vs_lp_full(tmp_path: Path) -> None:
    """The README's table: RochetNet's training curve against the LP bounds and the closed form."""
    c = full_run("rochetnet_vs_lp", tmp_path)
    for alpha, closed in ((0.0, AMM2D_ALPHA0), (0.5, table2_profit(0.5))):
        tag = f"alpha{alpha:g}"
        assert_hold(c, f"net_not_above_closed_{tag}", f"lp_menu_not_above_closed_{tag}", f"lp_primal_excess_{tag}")
        assert c[f"lp_menu_not_above_closed_{tag}"]["lp_menu"] <= closed + EXACT
        assert c[f"net_not_above_closed_{tag}"]["net"] <= closed + EXACT
        assert 0 < c[f"lp_primal_excess_{tag}"]["primal"] - closed <= 1 / 64  # O(h), h = 1/k
