"""The exact double-auction LP (ex-post and interim column generation) against the optimal broker."""

from __future__ import annotations

import json

import numpy as np
import pytest

from grids.auction import make_auction_setting
from grids.errors import InvalidInput
from solvers.auction.broker import broker_outcome, optimal_broker, side_virtual_values
from solvers.auction.interim import solve_interim
from solvers.auction.pricing import MultisetPricer, ProfilePricer
from solvers.auction.block import interim_block, lagrangian_bound
from solvers.auction.lp import solve_auction_lp
from solvers.auction.matching import greedy_trades, profile_chunks
from solvers.status import OPTIMAL, TIME_LIMIT, SolverFailure

# Values: HiGHS runs with primal and dual feasibility tolerances 1e-10 on rows whose coefficients are
# at most 1 in size (values in [0, 1], probabilities), so objective values carry errors of order 1e-10
# times a handful of active rows; the exact enumeration of the broker is exact to rounding (1e-15).
VALUE_TOL = 1e-9
# IC/IR violations and realization residuals are row residuals of the same solves: 1e-10 tolerance
# times capacities of at most 3.
FEAS_TOL = 1e-9
FORMS = ("ex_post", "interim")

SMALL = {
    "1x1 uniform K5": dict(buyers=1, sellers=1, grid=5),
    "2x1 uniform K6": dict(buyers=2, sellers=1, grid=6),
    "1x2 uniform K6": dict(buyers=1, sellers=2, grid=6),
    "2x2 uniform K5": dict(buyers=2, sellers=2, grid=5),
    "2x2 beta K6": dict(buyers=2, sellers=2, grid=6, values="beta:2,3", costs="beta:3,2"),
    "2x2 uniform K7": dict(buyers=2, sellers=2, grid=7),
}
UNEQUAL = {
    "2x1 demand 2,1": dict(buyers=2, sellers=1, grid=5, demand=[2, 1]),
    "2x2 demand 2,1 supply 1,3": dict(buyers=2, sellers=2, grid=5, demand=[2, 1], supply=[1, 3]),
}
# Irregular buyer law: raw discrete virtual values 0.5, -1.3, 1.2 iron to 0.2, 0.2, 1.2; the virtual
# costs are 0, 0.3, 0.9. Un-ironed, buyer type 0.6 (phi 0.5) would trade with the seller of cost 0.1
# (gamma 0.3); ironed (0.2) it does not, so ironing changes the value.
IRREGULAR = dict(values="discrete:0.6@0.5,0.7@0.1,1.2@0.4", costs="discrete:0@0.5,0.1@0.25,0.3@0.25")
IRREGULAR_CASES = {"1x1": dict(buyers=1, sellers=1, **IRREGULAR), "2x1": dict(buyers=2, sellers=1, **IRREGULAR),
                   "2x2": dict(buyers=2, sellers=2, **IRREGULAR)}

_CACHE: dict[tuple[str, str], object] = {}


def solved(kw: dict, form: str):
    """One solve per (setting, formulation) for the whole module."""
    key = (json.dumps(kw, sort_keys=True), form)
    if key not in _CACHE:
        _CACHE[key] = solve_auction_lp(make_auction_setting(**kw), formulation=form)
    return _CACHE[key]


def check_certified(res) -> None:
    assert res.status == OPTIMAL
    assert abs(res.gap) <= VALUE_TOL
    assert max(res.ic_violation.values()) <= FEAS_TOL
    assert max(res.ir_violation.values()) <= FEAS_TOL
    assert res.residuals["realization"] <= FEAS_TOL


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name", list(SMALL) + list(UNEQUAL))
def test_value_equals_broker_enumeration(name, form):
    kw = {**SMALL, **UNEQUAL}[name]
    res = solved(kw, form)
    broker = optimal_broker(make_auction_setting(**kw))
    assert broker.method == "enumeration"
    assert res.value == pytest.approx(broker.revenue, abs=VALUE_TOL)
    check_certified(res)
    # Expected trades are not unique across optimal mechanisms, but they are a probability-weighted
    # count: between 0 and the total demand.
    assert 0.0 <= res.expected_trades <= sum(kw.get("demand", [1] * kw["buyers"])) + FEAS_TOL


@pytest.mark.parametrize("name", SMALL)
def test_formulations_agree(name):
    assert solved(SMALL[name], "ex_post").value == pytest.approx(solved(SMALL[name], "interim").value,
                                                                 abs=VALUE_TOL)


def test_interim_all_pairs_same_as_neighbour_rows():
    """Neighbour BIC rows and the worst type's IR are the same feasible set as every pair and every IR."""
    setting = make_auction_setting(buyers=2, sellers=2, grid=7)
    full = solve_interim(setting, adjacent=False)
    assert full.value == pytest.approx(solved(SMALL["2x2 uniform K7"], "interim").value, abs=VALUE_TOL)
    assert full.rows > solved(SMALL["2x2 uniform K7"], "interim").rows


def test_auto_is_interim_and_result_is_json():
    res = solve_auction_lp(make_auction_setting(buyers=2, sellers=1, grid=4))
    assert res.formulation == "interim"
    data = json.loads(json.dumps(res.to_dict()))
    assert data["buyer_alloc"] == res.buyer_alloc.tolist()
    assert set(data["ic_violation"]) == {"buyer", "seller"}
    assert res.buyer_virtual.shape == (2, 4) and res.seller_virtual.shape == (1, 4)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name", IRREGULAR_CASES)
def test_irregular_law_needs_ironing(name, form):
    setting = make_auction_setting(**IRREGULAR_CASES[name])
    phi, _ = side_virtual_values(setting)
    assert not phi.regular
    res = solved(IRREGULAR_CASES[name], form)
    check_certified(res)
    assert res.value == pytest.approx(optimal_broker(setting).revenue, abs=VALUE_TOL)
    # The un-ironed "broker" is only an upper bound (its allocation is not monotone, so no payments
    # implement it). Its excess here is 0.069 to 0.17; 1e-2 is far above the solver tolerance.
    assert optimal_broker(setting, ironed=False).revenue > res.value + 1e-2


def test_irregular_law_where_ironing_does_not_change_the_value():
    """The issue's example values 0@0.3, 0.5@0.1, 1@0.6 are irregular (raw virtual values -1.17,
    -2.5, 1), but both pooled types stay below every virtual cost, so ironed and raw brokers agree."""
    kw = dict(values="discrete:0@0.3,0.5@0.1,1@0.6", costs="discrete:0@0.5,0.4@0.5")
    setting = make_auction_setting(**kw)
    assert not side_virtual_values(setting)[0].regular
    broker = optimal_broker(setting).revenue
    assert optimal_broker(setting, ironed=False).revenue == pytest.approx(broker, abs=1e-15)  # rounding
    assert solved(kw, "ex_post").value == pytest.approx(broker, abs=VALUE_TOL)


def _stretches(alloc: np.ndarray, cap: float) -> list[slice]:
    """Maximal runs of neighbouring types with equal interim allocation strictly inside (0, cap)."""
    edges = np.flatnonzero(np.abs(np.diff(alloc)) > FEAS_TOL) + 1
    runs = np.split(np.arange(len(alloc)), edges)
    return [slice(r[0], r[-1] + 1) for r in runs if FEAS_TOL < alloc[r[0]] < cap - FEAS_TOL]


ALL_CASES = {**SMALL, **UNEQUAL, **{f"irregular {k}": v for k, v in IRREGULAR_CASES.items()}}


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name", ALL_CASES)
def test_virtual_values_from_multipliers(name, form):
    """On each run of types with one allocation strictly between 0 and capacity, the p-weighted mean
    of the LP's virtual values equals that of the ironed discrete virtual values.

    Inside such a run BIC binds both ways, so multipliers can circulate between its types and only
    their mean is pinned; a run of one type (allocation strictly rising through it) pins the value
    itself. Types with no trade or at capacity have one-sided (non-unique) multipliers.
    """
    kw = ALL_CASES[name]
    setting = make_auction_setting(**kw)
    res = solved(kw, form)
    phi, gamma = side_virtual_values(setting)
    checked = 0
    for alloc, virt, table, law, caps in (
            (res.buyer_alloc, res.buyer_virtual, phi.table, setting.values, setting.demand),
            (res.seller_alloc, res.seller_virtual, gamma.table, setting.costs, setting.supply)):
        p = law.support_array()[1]
        for row, vrow, cap in zip(alloc, virt, caps):
            for run in _stretches(row, cap):
                # multipliers of 1e-10-tolerance solves divided by probabilities >= 0.016 (beta cells)
                assert p[run] @ vrow[run] / p[run].sum() == pytest.approx(p[run] @ table[run] / p[run].sum(),
                                                                          abs=1e-8)
                checked += 1
            if phi.regular and gamma.regular and set(caps) == {1}:
                # regular laws, unit capacities: allocations rise strictly through every type that
                # trades below capacity, so each such type is pinned on its own
                assert all(run.stop - run.start == 1 for run in _stretches(row, cap))
    assert checked >= 2


def test_ironing_interval_gets_one_allocation():
    """The LP pools the two ironed buyer types (values 0.6 and 0.7) on one interim allocation."""
    for form in FORMS:
        res = solved(IRREGULAR_CASES["1x1"], form)
        assert res.buyer_alloc[0, 0] == pytest.approx(res.buyer_alloc[0, 1], abs=FEAS_TOL)
        assert 0.4 < res.buyer_alloc[0, 0] < 0.6  # trades with the cost-0 seller only (probability 0.5)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name", ["2x2 uniform K5"] + [f"irregular {k}" for k in IRREGULAR_CASES])
def test_broker_allocation_is_optimal_for_multipliers(name, form):
    """Complementary slackness: the ironed broker's allocation maximizes sum phi q - sum gamma r
    under the LP's virtual values in every profile; the un-ironed allocation does not."""
    kw = SMALL[name] if name in SMALL else IRREGULAR_CASES[name.split()[1]]
    setting = make_auction_setting(**kw)
    res = solved(kw, form)
    vb, vs = setting.values.support_array()[0], setting.costs.support_array()[0]
    gaps = {True: 0.0, False: 0.0}
    for bids, asks, prob in profile_chunks(setting):
        wb = res.buyer_virtual[np.arange(setting.buyers), np.searchsorted(vb, bids)]
        ws = res.seller_virtual[np.arange(setting.sellers), np.searchsorted(vs, asks)]
        q, r = greedy_trades(wb, ws, setting.demand, setting.supply)
        best = (wb * q).sum(1) - (ws * r).sum(1)
        for ironed in (True, False):
            qb, rb, _ = broker_outcome(setting, bids, asks, ironed=ironed)
            gaps[ironed] = max(gaps[ironed], float((prob * (best - ((wb * qb).sum(1) - (ws * rb).sum(1)))).max()))
    assert gaps[True] <= VALUE_TOL
    if name.startswith("irregular"):
        # some profile of probability >= 0.03 loses >= 0.1 of virtual surplus (measured 0.003 to 0.015)
        assert gaps[False] > 1e-3


def test_converges_to_one_twenty_fourth():
    """1 buyer, 1 seller, U[0,1] on K midpoints (K even).

    With v_k = (k - 1/2)/K and p = 1/K the discrete virtual values are phi_k = v_k - (1 - F_k) =
    (2k - 1/2)/K - 1 and gamma_l = s_l + G_{l-1} = (2l - 3/2)/K, so phi_k - gamma_l =
    (2(k - l) - K + 1)/K, and the optimum K^-3 sum_d (K - d)(2d - K + 1)^+ is
    (K + 1)(K + 2) / (24 K^2) for even K: the error to the continuous 1/24 is
    1/(8K) + 1/(12 K^2), first order in the cell size 1/K.
    """
    errors = []
    for k in (8, 16, 32, 64):
        setting = make_auction_setting(grid=k)
        exact = (k + 1) * (k + 2) / (24 * k * k)
        for form in FORMS:
            res = solve_auction_lp(setting, formulation=form)
            check_certified(res)
            assert res.value == pytest.approx(exact, abs=VALUE_TOL)
        errors.append(res.value - 1 / 24)
        # first order: K * error lies in [1/8, 1/8 + 1/(12 K)] (solver tolerance on top)
        assert 1 / 8 - k * VALUE_TOL <= k * errors[-1] <= 1 / 8 + 1 / (12 * k) + k * VALUE_TOL
    ratios = np.array(errors[1:]) / np.array(errors[:-1])
    # doubling K: error ratio (3K + 1)/(6K + 4), in [0.48, 0.5) for K >= 8, i.e. about halved
    assert np.all((ratios >= 0.48 - 1e-6) & (ratios < 0.5))


def test_multiset_pricing_matches_profile_pricing():
    """The symmetric order-statistic pricer equals exact profile enumeration (value and interim column)."""
    setting = make_auction_setting(buyers=3, sellers=2, grid=5, values="beta:2,3", demand=2, supply=3)
    rng = np.random.default_rng(0)
    phi, gamma = rng.normal(size=5), rng.normal(size=5)
    v_sym, q_sym, s_sym = MultisetPricer.from_setting(setting).price(phi[None], gamma[None])
    v_all, q_all, s_all = ProfilePricer.from_setting(setting).price(np.tile(phi, (3, 1)), np.tile(gamma, (2, 1)))
    assert v_sym == pytest.approx(v_all, abs=1e-12)  # sums of ~5^5 products: rounding only
    np.testing.assert_allclose(q_sym[0], q_all.mean(axis=0), atol=1e-12)  # ties split differently per agent,
    np.testing.assert_allclose(s_sym[0], s_all.mean(axis=0), atol=1e-12)  # but random normals have none
    phi_bar, gamma_bar = side_virtual_values(setting)
    broker = MultisetPricer.from_setting(setting).price(phi_bar.table[None], gamma_bar.table[None])[0]
    assert broker == pytest.approx(optimal_broker(setting).revenue, abs=1e-12)


def test_bound_is_valid_for_any_multipliers():
    """Weak duality: the Lagrangian bound from arbitrary multipliers never falls below the optimum."""
    kw = SMALL["2x2 uniform K5"]
    setting = make_auction_setting(**kw)
    optimum = solved(kw, "ex_post").value
    block = interim_block(setting, symmetric=False)
    pricer = ProfilePricer.from_setting(setting)
    rng = np.random.default_rng(1)
    for _ in range(20):
        rows_dual = -rng.exponential(0.1, block.rows.shape[0])
        define_dual = rng.normal(0, 0.3, block.define.shape[0])
        priced = pricer.price(*block.virtual(define_dual))[0]
        # the bound holds exactly for any multipliers; the optimum is an LP value, accurate to VALUE_TOL
        assert lagrangian_bound(block, rows_dual, define_dual, priced) >= optimum - VALUE_TOL


def test_refuses_continuous_setting():
    with pytest.raises(InvalidInput, match="grid=K"):
        solve_auction_lp(make_auction_setting(buyers=2, sellers=2))


def test_refuses_unknown_formulation():
    with pytest.raises(InvalidInput, match="formulation"):
        solve_auction_lp(make_auction_setting(grid=4), formulation="dual")


def test_refuses_large_ex_post_with_estimate():
    setting = make_auction_setting(buyers=4, sellers=4, grid=21)  # 21^8 = 3.8e10 profiles
    with pytest.raises(InvalidInput, match=r"37,822,859,361 profiles.*GiB.*--mechanism broker"):
        solve_auction_lp(setting, formulation="ex_post")
    with pytest.raises(InvalidInput, match=r"GiB, over the 0\.0 GiB limit"):
        solve_auction_lp(make_auction_setting(buyers=2, sellers=2, grid=5), formulation="ex_post",
                         memory_limit=2**20)


def test_refuses_large_interim_with_estimate():
    setting = make_auction_setting(buyers=40, sellers=40, grid=21)
    with pytest.raises(InvalidInput, match=r"multisets x units.*GiB.*--mechanism broker"):
        solve_auction_lp(setting)


@pytest.mark.parametrize("form", FORMS)
def test_time_limit_is_a_failure_not_a_value(form):
    with pytest.raises(SolverFailure) as err:
        solve_auction_lp(make_auction_setting(buyers=2, sellers=2, grid=7), formulation=form, time_limit=1e-9)
    assert err.value.status == TIME_LIMIT
