"""Double auctions: laws, virtual values, matching, optimal broker, baselines (DESIGN §2).

Expected values come from closed forms derived in the comments (Myerson and
Satterthwaite for U[0,1]: phi(v) = 2v - 1, gamma(s) = 2s), from independent
brute force (scipy's LP, explicit loops) or from hand-worked profiles.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import linprog

from grids import InvalidInput
from grids.auction import make_auction_setting, parse_value_law
from solvers.auction.broker import broker_interim, broker_outcome, first_best, optimal_broker
from solvers.auction.evaluate import draw_profiles, evaluate_rule, expost_regret
from solvers.auction.matching import greedy_trades, profile_chunks
from solvers.auction.mechanisms import RULES, broker_dsic, mcafee, not_applicable, random_matching, trade_reduction
from solvers.auction.virtual_values import BUYER, SELLER, virtual_values

# Gauss-Legendre with 160 nodes integrates the polynomial integrands of uniform laws
# exactly; what remains is float64 round-off over ~25,600 terms (~1e-15 relative).
QUAD_TOL = 1e-12
# Monte Carlo comparisons: 4 standard errors (two-sided false alarm rate ~6e-5).
Z = 4.0
# an irregular buyer law: raw phi = [0.767, -1.433, 3] is not monotone; ironing pools the first two
IRREGULAR = "discrete:1@0.3,1.1@0.3,3@0.4"


# ----------------------------------------------------------------------------- laws and settings


def test_laws_parse_and_round_trip() -> None:
    for spec in ("uniform:0,1", "uniform:-1,2.5", "beta:2,3:0.5,1.5", "discrete:0@0.25,0.5@0.25,1@0.5"):
        law = parse_value_law(spec)
        assert parse_value_law(law.spec) == law
    assert parse_value_law("beta:2,2").hi == 1.0 and parse_value_law("uniform").lo == 0.0


@pytest.mark.parametrize("spec, words", [
    ("uniform:1,1", "empty range"), ("uniform:0", "two numbers"), ("beta:0,1", "positive"),
    ("discrete:0@0.5,1@0.6", "sum to"), ("discrete:0@0.5,0@0.5", "distinct"), ("discrete:0@1,1@0", "positive"),
    ("discrete:0,1", "value@probability"), ("normal:0,1", "unknown"), ("uniform:a,b", "numbers"),
])
def test_bad_laws_are_refused_with_a_reason(spec: str, words: str) -> None:
    with pytest.raises(InvalidInput, match=words):
        parse_value_law(spec)


@pytest.mark.parametrize("kwargs, words", [
    ({"buyers": 0}, "buyers"), ({"sellers": 0}, "sellers"), ({"demand": 0}, "whole numbers"),
    ({"buyers": 2, "demand": "1,2,3"}, "3 entries"), ({"grid": 1}, "K >= 2"), ({"supply": 1.5}, "whole"),
])
def test_bad_settings_are_refused(kwargs: dict, words: str) -> None:
    with pytest.raises(InvalidInput, match=words):
        make_auction_setting(**kwargs)


def test_grid_discretizes_to_cell_midpoints_with_cell_masses() -> None:
    s = make_auction_setting(values="beta:2,2", grid=4)
    v, p = s.values.support_array()
    np.testing.assert_allclose(v, [0.125, 0.375, 0.625, 0.875])
    # Beta(2,2) cdf 3x^2 - 2x^3 at 1/4, 1/2, 3/4: 5/32, 1/2, 27/32
    np.testing.assert_allclose(p, [5 / 32, 11 / 32, 11 / 32, 5 / 32], rtol=1e-12)
    assert s.params()["values"] == "beta:2,2:0,1" and s.params()["grid"] == 4
    assert sum(prob.sum() for _, _, prob in profile_chunks(s)) == pytest.approx(1.0, abs=1e-12)


def test_make_setting_points_double_auctions_to_their_builder() -> None:
    from grids import make_setting

    with pytest.raises(InvalidInput, match="make_auction_setting"):
        make_setting("da")


# ----------------------------------------------------------------------------- virtual values


def test_uniform_virtual_values_are_the_closed_forms() -> None:
    x = np.linspace(0, 1, 11)
    np.testing.assert_allclose(virtual_values(parse_value_law("uniform:0,1"), BUYER)(x), 2 * x - 1)
    np.testing.assert_allclose(virtual_values(parse_value_law("uniform:0,1"), SELLER)(x), 2 * x)


def test_discrete_virtual_values_follow_the_local_ic_formula() -> None:
    # values 0, 1 with 1/2 each: phi_1 = 0 - (1 - 0)(1 - 1/2)/(1/2) = -1, phi_2 = 1;
    # costs 0, 1: gamma_1 = 0, gamma_2 = 1 + (1 - 0)(1/2)/(1/2) = 2
    law = parse_value_law("discrete:0@0.5,1@0.5")
    np.testing.assert_allclose(virtual_values(law, BUYER).table, [-1, 1])
    np.testing.assert_allclose(virtual_values(law, SELLER).table, [0, 2])


def test_ironing_pools_the_non_monotone_stretch_at_its_weighted_mean() -> None:
    vv = virtual_values(parse_value_law(IRREGULAR), BUYER)
    raw = np.array([1 - 0.1 * 0.7 / 0.3, 1.1 - 1.9 * 0.4 / 0.3, 3.0])
    np.testing.assert_allclose(vv.raw, raw)
    pooled = (0.3 * raw[0] + 0.3 * raw[1]) / 0.6
    np.testing.assert_allclose(vv.table, [pooled, pooled, 3.0])
    assert not vv.regular


# ----------------------------------------------------------------------------- matching


def test_greedy_matching_solves_the_ex_post_lp() -> None:
    rng = np.random.default_rng(3)
    for _ in range(20):
        m, n = rng.integers(1, 5, size=2)
        demand, supply = tuple(rng.integers(1, 4, m)), tuple(rng.integers(1, 4, n))
        a, b = rng.normal(size=(1, m)), rng.normal(size=(1, n))
        q, r = greedy_trades(a, b, demand, supply)
        # max a.q - b.r  s.t.  sum q = sum r, 0 <= q <= D, 0 <= r <= S  (scipy minimizes)
        lp = linprog(np.concatenate([-a[0], b[0]]), A_eq=np.concatenate([np.ones(m), -np.ones(n)])[None, :],
                     b_eq=[0.0], bounds=list(zip([0] * (m + n), demand + supply)), method="highs")
        # HiGHS's default optimality tolerance is 1e-7 on unit-scale data
        assert a[0] @ q[0] - b[0] @ r[0] == pytest.approx(-lp.fun, abs=1e-7)
        assert q.sum() == r.sum() and np.all(q[0] <= demand) and np.all(r[0] <= supply)


# ----------------------------------------------------------------------------- optimal broker and first best


def test_one_buyer_one_seller_uniform_is_one_24th_and_first_best_one_sixth() -> None:
    # trade iff 2v - 1 > 2s; E[(2v - 1 - 2s)^+] = 1/24; E[(v - s)^+] = 1/6
    s = make_auction_setting()
    assert optimal_broker(s).revenue == pytest.approx(1 / 24, abs=QUAD_TOL)
    assert optimal_broker(s).trades == pytest.approx(1 / 8, abs=QUAD_TOL)  # P(v - s > 1/2)
    assert first_best(s).revenue == pytest.approx(1 / 6, abs=QUAD_TOL)


def _brute_force_broker(setting) -> float:
    """Expected virtual surplus by explicit loops over profiles and an independent sort."""
    phi = virtual_values(setting.values, BUYER)
    gamma = virtual_values(setting.costs, SELLER)
    vb, pb = setting.values.support_array()
    vs, ps = setting.costs.support_array()
    total = 0.0
    for bi in itertools.product(range(len(vb)), repeat=setting.buyers):
        for si in itertools.product(range(len(vs)), repeat=setting.sellers):
            prob = np.prod(pb[list(bi)]) * np.prod(ps[list(si)])
            w = sorted(phi.table[list(bi)], reverse=True)
            c = sorted(gamma.table[list(si)])
            total += prob * sum(max(x - y, 0.0) for x, y in zip(w, c))
    return total


@pytest.mark.parametrize("m, n, values", [(1, 1, "uniform:0,1"), (2, 2, "beta:2,3"), (3, 2, IRREGULAR)])
def test_enumerated_broker_matches_brute_force(m: int, n: int, values: str) -> None:
    s = make_auction_setting(buyers=m, sellers=n, values=values, grid=5)
    # both sum the same ~K^(m+n) float64 terms in different orders
    assert optimal_broker(s).revenue == pytest.approx(_brute_force_broker(s), abs=1e-12)


@pytest.mark.parametrize("m, n, values", [(2, 2, "uniform:0,1"), (3, 2, "beta:2,2"), (2, 3, "uniform:0.5,2")])
def test_quadrature_agrees_with_monte_carlo(m: int, n: int, values: str) -> None:
    s = make_auction_setting(buyers=m, sellers=n, values=values)
    exact = optimal_broker(s)
    assert exact.method == "quadrature"
    sample = draw_profiles(s, 400_000, seed=5, exact=False)
    _, _, surplus = broker_outcome(s, sample.bids, sample.asks)
    mean, se = sample.mean(surplus)
    assert abs(mean - exact.revenue) <= Z * se


def test_ironed_broker_is_bic_and_unironed_formula_is_only_an_upper_bound() -> None:
    s = make_auction_setting(buyers=2, sellers=1, values=IRREGULAR, costs="discrete:0@0.5,0.5@0.5")
    ironed, raw = broker_interim(s, ironed=True), broker_interim(s, ironed=False)
    # envelope payments reproduce the virtual-surplus formula when allocations are constant on ironed stretches
    assert ironed.revenue == pytest.approx(optimal_broker(s).revenue, abs=1e-12)
    assert max(ironed.buyer_regret, ironed.seller_regret) <= 1e-12  # float64 round-off of sums of ~10 terms
    assert optimal_broker(s, ironed=False).revenue > optimal_broker(s).revenue + 0.05
    assert raw.buyer_regret > 0.1  # the un-ironed allocation is not monotone: a type gains by misreporting


def test_first_best_bounds_every_ir_mechanism() -> None:
    s = make_auction_setting(buyers=3, sellers=3)
    fb = first_best(s).revenue
    assert fb == pytest.approx(9 / 14, abs=QUAD_TOL)  # m = n = 3: sum_t E[(V_(t) - C_(t))^+] = 9/14
    prof = draw_profiles(s, 100_000, seed=1)
    for name in ("trm", "mcafee", "broker_dsic"):
        val = evaluate_rule(RULES[name].rule, s, prof)
        assert val.revenue + Z * val.stderr < fb
    assert optimal_broker(s).revenue < fb


# ----------------------------------------------------------------------------- baselines


def _one(rule, setting, bids, asks, noise=None):
    return rule(setting, np.array([bids], float), np.array([asks], float),
                np.zeros((1, len(bids) + len(asks))) if noise is None else np.array([noise]))


def test_trade_reduction_and_mcafee_on_a_worked_profile() -> None:
    # bids 0.9 0.6 0.2, asks 0.1 0.3 0.8: k = 2 efficient trades
    s = make_auction_setting(buyers=3, sellers=3)
    trm = _one(trade_reduction, s, [0.9, 0.6, 0.2], [0.1, 0.3, 0.8])
    np.testing.assert_array_equal(trm.buyer_units[0], [1, 0, 0])
    assert trm.revenue[0] == pytest.approx(0.6 - 0.3)  # one trade, buyer pays b_(2), seller gets s_(2)
    mc = _one(mcafee, s, [0.9, 0.6, 0.2], [0.1, 0.3, 0.8])
    # p0 = (0.2 + 0.8) / 2 = 0.5 lies in [s_(2), b_(2)] = [0.3, 0.6]: both trade at 0.5, revenue 0
    assert mc.trades[0] == 2 and mc.revenue[0] == pytest.approx(0.0)
    np.testing.assert_allclose(mc.buyer_pay[0], [0.5, 0.5, 0])
    mc2 = _one(mcafee, s, [0.9, 0.6, 0.55], [0.1, 0.3, 0.8])  # p0 = 0.675 > b_(2): trade reduction
    assert mc2.trades[0] == 1 and mc2.revenue[0] == pytest.approx(0.3)


def test_broker_dsic_thresholds_on_a_worked_profile() -> None:
    # phi = 2v - 1 = (0.8, 0.6), gamma = 2s = (0.2, 0.4): 2 trades; buyers pay phi^-1(gamma_(2) = 0.4) = 0.7,
    # sellers get gamma^-1(phi_(2) = 0.6) = 0.3
    s = make_auction_setting(buyers=2, sellers=2)
    out = _one(broker_dsic, s, [0.9, 0.8], [0.1, 0.2])
    np.testing.assert_allclose(out.buyer_pay[0], [0.7, 0.7])
    np.testing.assert_allclose(out.seller_recv[0], [0.3, 0.3])


@pytest.mark.parametrize("name", ["trm", "mcafee", "broker_dsic"])
def test_dominant_strategy_rules_admit_no_profitable_misreport(name: str) -> None:
    s = make_auction_setting(buyers=3, sellers=2)
    reg = expost_regret(RULES[name].rule, s, draw_profiles(s, 300, seed=2, exact=False))
    # the search tries a 101-point grid and every report in the profile; payoffs of these
    # rules are piecewise constant with jumps only at those reports, so the search is exhaustive
    assert max(reg.buyers_max, reg.sellers_max) <= 1e-12


def test_trm_brute_force_truthful_on_every_discrete_profile() -> None:
    s = make_auction_setting(buyers=2, sellers=2, grid=4)
    prof = draw_profiles(s, 0, seed=0)  # exact: all 256 profiles
    assert prof.method == "enumeration"
    reg = expost_regret(trade_reduction, s, prof)
    assert max(reg.buyers_max, reg.sellers_max) <= 1e-12


def test_random_matching_pays_as_bid_and_is_manipulable() -> None:
    s = make_auction_setting(buyers=2, sellers=2)
    reg = expost_regret(random_matching, s, draw_profiles(s, 300, seed=4, exact=False))
    assert reg.buyers_mean > 0.01 and reg.sellers_mean > 0.01  # shading toward the partner's report pays
    out = _one(random_matching, s, [0.9, 0.2], [0.1, 0.5], noise=[0.1, 0.2, 0.1, 0.2])
    assert out.revenue[0] == pytest.approx(0.9 - 0.1)  # pairs (0.9, 0.1) trade, (0.2, 0.5) do not


def test_broker_dsic_has_the_broker_revenue_by_revenue_equivalence() -> None:
    s = make_auction_setting(buyers=3, sellers=3, values="beta:2,2")
    val = evaluate_rule(broker_dsic, s, draw_profiles(s, 200_000, seed=7))
    assert abs(val.revenue - optimal_broker(s).revenue) <= Z * val.stderr


def test_rules_that_need_units_or_regular_laws_say_why() -> None:
    assert "unit" in not_applicable("trm", make_auction_setting(demand=2))
    assert "continuous" in not_applicable("broker_dsic", make_auction_setting(grid=5))
    assert "regular" in not_applicable("broker_dsic", make_auction_setting(values="beta:0.3,0.3"))
    assert not_applicable("mcafee", make_auction_setting(buyers=2)) is None
