"""Every example script runs in its fast mode, and the claims it writes to findings.json are checked.

Each script writes ``findings.json`` (see examples/common.py): its claims as named
values with the numbers behind them and, for comparisons, ``holds``. The tests
below run every script once (``--fast``), check that the report prints each
claim's verdict, and assert per script the claims that are meaningful at fast
sizes against closed forms derived in tests/example_reference.py (never against
solvers.known_values, which is code under test). The full-size figures the
README quotes are asserted by the slow tests in tests/test_examples_full.py.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

from example_reference import (AMM2D_ALPHA0, OCTAGON_AREA, OCTAGON_AXIS, OCTAGON_L1, OCTAGON_PERIMETER, exact_menu,
                               first_best, half_spread, spread_profit, spread_profit_1d, table2, table2_gain,
                               suite_closed_forms, table2_gain_peak, table2_profit, three_goods_facets,
                               three_goods_menu)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.py") if p.name != "common.py")
Claims = dict[str, dict[str, Any]]
# Rounding only: the scripts' exact (polytope) evaluation and the test-side one add the same
# terms in a different order, so they agree to a few ulps of O(1) sums.
EXACT = 1e-9


def run_example(script: Path, out: Path, fast: bool = True, timeout: int = 300) -> dict[str, Any]:
    """Run one example into ``out``; check report, figure and findings.json; return the findings."""
    args = [sys.executable, str(script), "--out", str(out)] + (["--fast"] if fast else [])
    proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = (out / "report.md").read_text()
    assert report.startswith("# ") and "**Finding.**" in report
    assert list(out.glob("*.png")), "an example draws at least one figure"
    doc = json.loads((out / "findings.json").read_text())
    assert doc["example"] == script.stem and doc["fast"] is fast
    for c in doc["claims"]:  # the report states every claim's verdict, as computed
        verdict = {None: "measured", True: "holds", False: "does NOT hold"}[c["holds"]]
        assert f"| {c['name']} | {c['claim']} |" in report, c["name"]
        row = next(line for line in report.splitlines() if line.startswith(f"| {c['name']} |"))
        assert row.endswith(f"| {verdict} |"), row
    assert doc["failed"] == [c["name"] for c in doc["claims"] if c["holds"] is False]
    doc["report"] = report
    return doc


def claims_of(doc: dict[str, Any]) -> Claims:
    """name -> claim record."""
    return {c["name"]: c for c in doc["claims"]}


@pytest.fixture(scope="session")
def fast_doc(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], dict[str, Any]]:
    """findings.json (plus the report's text under "report") of an example's fast run; each runs once per session."""
    cache: dict[str, dict[str, Any]] = {}

    def get(name: str) -> dict[str, Any]:
        if name not in cache:
            cache[name] = run_example(ROOT / "examples" / f"{name}.py", tmp_path_factory.mktemp(name))
        return cache[name]

    return get


@pytest.fixture(scope="session")
def fast_run(fast_doc: Callable[[str], dict[str, Any]]) -> Callable[[str], Claims]:
    """Claims of an example's fast run, by name."""
    return lambda name: claims_of(fast_doc(name))


def findings_text(doc: dict[str, Any]) -> str:
    """The report's **Finding.** paragraphs."""
    return "\n".join(line for line in doc["report"].splitlines() if line.startswith("**Finding.**"))


def assert_hold(claims: Claims, *names: str) -> None:
    """The named claims exist and hold."""
    failed = {n: claims[n] for n in names if claims[n]["holds"] is not True}
    assert not failed, failed


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 8


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs_fast(script: Path, fast_run: Callable[[str], Claims]) -> None:
    claims = fast_run(script.stem)
    assert claims, "an example makes at least one claim"
    assert all(c["holds"] in (True, False, None) for c in claims.values())


def test_findings_render_failed_claims(tmp_path: Path) -> None:
    """The shared machinery prints a claim that fails as failing, and records it in findings.json."""
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        from common import Report
    finally:
        sys.path.remove(str(ROOT / "examples"))
    rep = Report("t", example="t", fast=True)
    ok = rep.claims.within("ok", 1.0, 1.0, 0.1, "one is one")
    bad = rep.claims.at_most("bad", 2.0, 1.0, "two is at most one", source=[1, 2])
    rep.finding(f"{ok.verdict('confirms', 'does not confirm')}, {bad.verdict('confirms', 'does not confirm')}")
    rep.save(tmp_path)
    doc = json.loads((tmp_path / "findings.json").read_text())
    assert doc["failed"] == ["bad"] and doc["all_hold"] is False
    assert claims_of(doc)["bad"] == {"name": "bad", "value": 2.0, "claim": "two is at most one", "holds": False,
                                     "bound": 1.0, "source": [1, 2]}
    text = (tmp_path / "report.md").read_text()
    assert "**Finding.** confirms, does not confirm" in text and "| bad | two is at most one | 2 | does NOT hold |" in text
    with pytest.raises(ValueError):
        rep.claims.add("ok", 0, "again")


@pytest.mark.parametrize(("name", "claim", "says"), [
    ("off_center_belief", "lp_menu_minus_best6", "earns {lp_menu:.6f}, NOT more than the best conjectured-form menu"),
    ("rochetnet_vs_lp", "net_clean_8_trades_alpha0", "the trained net is NOT that clean"),
    ("double_auction", "neural_beats_trm_3x3", "It does NOT beat TRM on revenue"),
])
def test_failed_claims_are_reported_as_failing(name: str, claim: str, says: str,
                                               fast_doc: Callable[[str], dict[str, Any]]) -> None:
    """Claims that fail at fast sizes (coarse grids, a few training steps) are printed as failing, with the numbers."""
    doc = fast_doc(name)
    c = claims_of(doc)[claim]
    assert c["holds"] is False and claim in doc["failed"]
    assert says.format(**c) in findings_text(doc)


def test_bid_ask_1d_claims(fast_run: Callable[[str], Claims]) -> None:
    c = fast_run("bid_ask_1d")
    assert_hold(c, "menu_items", "half_spread_error_max", "menu_profit_shortfall_max", "closed_menu_evaluation_error",
                "lp_primal_excess")
    assert c["menu_items"]["value"] == [3]  # bid, no trade, ask
    h = c["half_spread_error_max"]["h"]
    assert h == 1 / 32
    for case in c["half_spread_error_max"]["cases"]:
        a = case["alpha"]
        assert case["closed_half"] == pytest.approx(half_spread(a), abs=1e-15)
        assert case["closed_profit"] == pytest.approx(spread_profit_1d(a), abs=1e-15)
        # the LP's quotes are grid points: within one cell h = 1/k of the closed form
        assert abs(case["ask_half"] - half_spread(a)) <= h and abs(case["bid_half"] - half_spread(a)) <= h
        # the exact profit of the LP's quotes, from the closed-form profit of any spread (rounding only)
        assert case["menu_profit"] == pytest.approx(spread_profit(a, case["ask_half"], case["bid_half"]), abs=EXACT)
        # a quote error d costs (2 - alpha) d^2 / 2 per side, d <= h
        assert 0 <= spread_profit_1d(a) - case["menu_profit"] <= (2 - a) * h * h + EXACT
        assert case["closed_menu_evaluated"] == pytest.approx(spread_profit_1d(a), abs=EXACT)
    # DESIGN §6: at alpha = 0 the cell quadrature biases the 1D LP value upward by exactly 1/(4k)
    assert c["lp_primal_excess"]["per_alpha"]["0.0"] == pytest.approx(h / 4, abs=EXACT)


def test_bundling_2goods_claims(fast_run: Callable[[str], Claims]) -> None:
    c = fast_run("bundling_2goods")
    assert_hold(c, "table2_trades_offered", "price_error_max", "mass_off_table2", "lp_menu_minus_table2_max",
                "table2_gain_alpha0", "table2_gain_peak", "table2_peak_alpha", "lp_gain_above_table2",
                "sweep_gain_overstates")
    assert c["table2_trades_offered"]["value"] == 8  # the 3^2 - 1 deterministic trades
    k = 16
    for row in c["price_error_max"]["prices"]:  # LP prices within one grid cell 1/k of the test-side Table 2
        alloc, prices = table2(row["alpha"])
        trade = tuple(int(v) for v in row["trade"].strip("()").split(","))
        p = prices[[tuple(a) for a in alloc.astype(int)].index(trade)]
        assert row["table2_price"] == pytest.approx(p, abs=1e-12)
        assert abs(row["lp_price"] - p) <= 1 / k
    for alpha, v in c["lp_menu_minus_table2_max"]["per_alpha"].items():
        t2 = table2_profit(float(alpha))
        assert v["table2"] == pytest.approx(t2, abs=EXACT)
        assert v["lp_menu"] <= t2 + EXACT  # Table 2 is optimal: no exact menu profit above it
    # (2/9 + sqrt2/27) / (2 * 1/8) - 1 = 4 sqrt2/27 - 1/9
    assert c["table2_gain_alpha0"]["value"] == pytest.approx(4 * math.sqrt(2) / 27 - 1 / 9, abs=EXACT)
    a_peak, g_peak = table2_gain_peak()
    # both bounded Brent searches stop at xatol <= 1e-5 on a smooth maximum: the gain agrees to O(xatol^2)
    assert c["table2_gain_peak"]["value"] == pytest.approx(g_peak, abs=1e-8)
    assert c["table2_gain_peak"]["at_alpha"] == pytest.approx(a_peak, abs=1e-4)
    for a, g in zip(c["lp_gain_above_table2"]["alphas"], c["lp_gain_above_table2"]["table2_gain"]):
        assert g == pytest.approx(table2_gain(a), abs=EXACT)


def test_off_center_belief_claims(fast_run: Callable[[str], Claims]) -> None:
    c = fast_run("off_center_belief")
    # the LP's own menu against the best 6-item one is a full-size claim (k = 24 is too coarse): not asserted here
    assert_hold(c, "lp_trades", "table3_trades_missing", "buy_one_mass", "no_trade_border_trades",
                "best8_minus_best6", "diagonal_scan_single_items")
    belief = np.array([1 / 3, 1 / 3])
    menu = [m for m in c["lp_trades"]["menu"] if any(m["allocation"])]
    profit, masses = exact_menu(np.array([m["allocation"] for m in menu]), np.array([m["price"] for m in menu]), belief)
    assert profit == pytest.approx(c["lp_trades"]["menu_profit"], abs=EXACT)
    assert masses == pytest.approx([m["exact_mass"] for m in menu], abs=EXACT)
    buy_one = sum(m for it, m in zip(menu, masses) if sorted(it["allocation"]) == [0, 1])
    assert c["buy_one_mass"]["value"] == pytest.approx(buy_one, abs=EXACT) and buy_one > 0.005
    classes = (((-1, 0), (0, -1)), ((-1, -1),), ((1, -1), (-1, 1)), ((1, 0), (0, 1)), ((1, 1),))

    def symmetric(prices: list[float], buy_one: bool) -> float:
        items = [(a, p) for cls, p in zip(classes, prices) for a in cls if buy_one or cls is not classes[3]]
        return exact_menu(np.array([a for a, _ in items], float), np.array([p for _, p in items]), belief)[0]

    b = c["best8_minus_best6"]
    assert b["best8"] == pytest.approx(symmetric(b["prices8"], True), abs=EXACT)
    assert b["best6"] == pytest.approx(symmetric(b["prices6"], False), abs=EXACT)
    assert b["value"] == pytest.approx(b["best8"] - b["best6"], abs=EXACT) and b["value"] > 1e-6
    assert c["lp_menu_minus_best6"]["value"] == pytest.approx(profit - b["best6"], abs=EXACT)


def test_three_goods_claims(fast_run: Callable[[str], Claims]) -> None:
    c = fast_run("three_goods")
    assert_hold(c, "two_good_items", "two_good_mass", "pair_gain", "lp_region_facets", "lp_region_facet_classes",
                "pair_free_region_facets", "reoptimized_volumes")
    assert c["two_good_items"]["value"] == 3 * 4  # choose 2 of 3 goods, 2 x 2 directions
    t1, t2, t3 = c["lp_region_facets"]["offsets"]
    facets = three_goods_facets(t1, t2, t3)
    assert c["lp_region_facets"]["value"] == sum(facets.values()) == 26
    assert {k: c["lp_region_facets"]["by_class"][k] for k in facets} == facets
    g = c["pair_gain"]
    w1, w3 = g["offsets_without"]
    assert c["pair_free_region_facets"]["value"] == sum(three_goods_facets(w1, math.inf, w3).values()) == 14
    centre = np.full(3, 0.5)
    alloc = np.array(c["two_good_mass"]["allocations"], float)
    lp_profit, lp_masses = exact_menu(alloc, np.array(c["two_good_mass"]["prices"]), centre)
    pairs = np.abs(alloc).sum(axis=1) == 2
    assert c["two_good_mass"]["value"] == pytest.approx(lp_masses[pairs].sum(), abs=EXACT)
    assert c["two_good_mass"]["lp_menu_profit"] == pytest.approx(lp_profit, abs=EXACT)
    with_p, with_m = exact_menu(*three_goods_menu(dict(zip((1, 2, 3), g["offsets_with"]))), centre)
    without_p, without_m = exact_menu(*three_goods_menu({1: w1, 3: w3}), centre)
    assert g["profit_with"] == pytest.approx(with_p, abs=EXACT)
    assert g["profit_without"] == pytest.approx(without_p, abs=EXACT)
    assert g["value"] == pytest.approx(with_p / without_p - 1, abs=EXACT) and with_p > without_p
    # no-trade volume = 1 - trading mass; it is 1/(n + 1) = 1/4 at the optimum (the unit mass at c spreads over
    # density n + 1). Fast mode stops Nelder-Mead after 12 iterations, offsets off by up to ~2e-3; the region's
    # surface (about 2.2) times that moves the volume by ~4e-3: 0.005 allowed.
    assert c["reoptimized_volumes"]["value"] == pytest.approx([1 - with_m.sum(), 1 - without_m.sum()], abs=EXACT)
    assert c["reoptimized_volumes"]["value"] == pytest.approx([0.25, 0.25], abs=0.005)


def test_continuous_menus_claims(fast_run: Callable[[str], Claims]) -> None:
    c = fast_run("continuous_menus")
    assert_hold(c, "beta_lp_items", "beta_lp_fractional_mass", "net_fractional_items", "net_minus_lp_in_se",
                "truncnorm_grand_bundling_loss")
    assert c["beta_lp_items"]["value"] == [3 ** 2]  # every deterministic trade in {-1, 0, 1}^2, no lotteries
    # QMC standard errors: the net's menu is more than 2 s.e. below the LP menu's (one-sided, about 2 %)
    for law in c["net_minus_lp_in_se"]["per_law"].values():
        assert (law["net"] - law["lp"]) / math.hypot(law["net_se"], law["lp_se"]) == pytest.approx(law["z"])
        assert law["z"] < -2
    # the best menu is at least grand bundling (a special case of it, same QMC points): gain >= 0
    assert all(v >= 0 for v in c["truncnorm_single_gain"]["value"])


def test_transport_certificate_claims(fast_run: Callable[[str], Claims]) -> None:
    c = fast_run("transport_certificate")
    assert_hold(c, "measure_gap_max", "measure_value", "measure_more_accurate", "mu_point_mass", "mu_boundary_mass",
                "mu_interior_mass", "octagon_area", "octagon_reach_axis", "octagon_reach_diagonal",
                "region_in_zero_set", "partition_nearest_face")
    # strong duality on the grid: the gap is the solver's, HiGHS stops at 1e-9 relative
    assert c["measure_gap_max"]["value"] <= 1e-9
    # DESIGN §1.2 at alpha = 0: density 1/2 on each of 4 unit edges, -3 inside, +1 at c (rounding of the weights)
    assert c["mu_point_mass"]["value"] == pytest.approx(1.0, abs=1e-12)
    assert c["mu_boundary_mass"]["value"] == pytest.approx(4 * 0.5, abs=1e-12)
    assert c["mu_interior_mass"]["value"] == pytest.approx(-(1 + 2), abs=1e-12)
    k = c["octagon_area"]["k"]
    h = 1 / k
    assert k == 16
    # first-order convergence of the grid value (DESIGN §1.4): within h of 2/9 + sqrt2/27
    assert abs(c["measure_value"]["value"] - AMM2D_ALPHA0) <= h
    # the area counts whole cells: the error is at most half a cell along the octagon's boundary
    assert c["octagon_area"]["perimeter"] == pytest.approx(OCTAGON_PERIMETER)
    assert abs(c["octagon_area"]["value"] - OCTAGON_AREA) <= OCTAGON_PERIMETER * h / 2
    # reach is read on grid points: within one cell
    assert abs(c["octagon_reach_axis"]["value"] - OCTAGON_AXIS) <= h
    assert abs(c["octagon_reach_diagonal"]["value"] - OCTAGON_L1 / 2) <= h


def test_double_auction_claims(fast_run: Callable[[str], Claims]) -> None:
    c = fast_run("double_auction")
    markets = ((3, 3), (10, 8), (20, 20))
    assert_hold(c, "lp_minus_broker", "paper_profits_above_first_best",
                *(f"paper_neural_above_first_best_{m}x{n}" for m, n in markets),
                *(f"paper_rescaling_inconsistent_{m}x{n}" for m, n in markets),
                *(f"dsic_below_neural_violation_{t}" for t in ("2x2", "3x3")))
    # LP and broker agree on the grid up to the LP solver's tolerance (1e-9)
    assert c["lp_minus_broker"]["value"] <= 1e-9
    paper = {(3, 3): 1.67, (10, 8): 9.95, (20, 20): 21.45}  # the paper's Table 1, its transformer ("Our Model")
    for m, n in markets:
        rec = c[f"paper_neural_above_first_best_{m}x{n}"]
        # the library's first best is a quadrature of the same integral (rule error far below 1e-9)
        assert rec["first_best"] == pytest.approx(first_best(m, n), abs=1e-9)
        assert rec["paper"]["neural"] == paper[(m, n)] > first_best(m, n)


def test_rochetnet_vs_lp_claims(fast_run: Callable[[str], Claims]) -> None:
    c = fast_run("rochetnet_vs_lp")
    k = 16
    for alpha, closed in ((0.0, AMM2D_ALPHA0), (0.5, table2_profit(0.5))):
        tag = f"alpha{alpha:g}"
        assert_hold(c, f"net_not_above_closed_{tag}", f"lp_menu_not_above_closed_{tag}", f"lp_primal_excess_{tag}")
        assert c[f"net_not_above_closed_{tag}"]["closed"] == pytest.approx(closed, abs=EXACT)
        # exact menu profits are lower bounds on the optimum (rounding only)
        assert c[f"lp_menu_not_above_closed_{tag}"]["lp_menu"] <= closed + EXACT
        assert c[f"net_not_above_closed_{tag}"]["net"] <= closed + EXACT
        # the grid LP's value sits above the continuous optimum by O(h), at most h = 1/k
        assert 0 < c[f"lp_primal_excess_{tag}"]["primal"] - closed <= 1 / k


def test_rochetnet_suite_claims(fast_run: Callable[[str], Claims]) -> None:
    c = fast_run("rochetnet_suite")
    for name, closed in suite_closed_forms().items():
        assert_hold(c, f"certified_{name}", f"closed_form_bracketed_{name}", f"lp_bias_{name}",
                    f"net_not_above_closed_{name}", f"net_below_lp_value_{name}")
        menu, value, lp = c[f"closed_form_bracketed_{name}"]["value"]
        assert value == pytest.approx(closed, abs=EXACT)
        assert menu <= closed + EXACT <= lp + 2 * EXACT   # exact menu profit below, grid LP value above
    assert_hold(c, "lp_beats_baselines_04_03", "ddt_lottery_half_one")
    assert c["lp_beats_baselines_04_03"]["bundle"] == pytest.approx(4 * math.sqrt(2) / 3, abs=EXACT)
