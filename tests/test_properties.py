"""Property tests (hypothesis): every valid draw solves to a certified optimum that
the test re-checks from the arrays alone; every invalid draw is refused with
grids.InvalidInput and nothing else.

Runs are deterministic (derandomize=True) and keep no example database.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grids import InvalidInput
from solvers import solve

SIX = ("amm1d", "amm2d", "amm3d", "monopolist1d", "monopolist2d", "monopolist3d")
BOX = {"amm": (-1.0, 1.0), "monopolist": (0.0, 1.0)}  # B = [lo, hi]^n (DESIGN §1)

PAIR_TOL = 1e-9   # the solver's stopping test: no pair row violated by more than 1e-9 (solvers.api.PAIR_TOL)
GAP_TOL = 1e-7    # relative gap tolerance |D - P| <= 1e-7 max(1, |P|) (solvers.api.GAP_TOL)
ROUNDOFF = 1e-12  # recomputing P or D in another summation order: float round-off over <= 343 points
BOUND_TOL = 1e-12  # u >= 0 and u_c = 0 are column bounds: simplex returns them at (or ~1e-16 off) the bound

COMMON = dict(deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])


def dim(name: str) -> int:
    return int(name[-2])


def market(name: str) -> str:
    return "amm" if name.startswith("amm") else "monopolist"


# --------------------------------------------------------------------------- strategies

def _num(v: float) -> str:
    return repr(float(v))  # round-trips exactly through float()


dists = st.one_of(
    st.just("uniform"),
    st.builds(lambda a, b: f"beta:{_num(a)},{_num(b)}", st.floats(0.5, 5.0), st.floats(0.5, 5.0)),
    st.builds(lambda m, s: f"truncnorm:{_num(m)},{_num(s)}", st.floats(0.0, 1.0), st.floats(0.05, 1.0)),
)


@st.composite
def valid_problems(draw, names=SIX):
    name = draw(st.sampled_from(names))
    n = dim(name)
    k = draw(st.integers(2, 6 if n == 3 else 12))
    if market(name) == "amm":
        alpha = draw(st.floats(0.0, 1.0))
        belief = tuple(m / k for m in draw(st.lists(st.integers(0, k), min_size=n, max_size=n)))
    else:
        alpha, belief = 0.0, None
    return name, k, alpha, belief, draw(dists)


KNOWN_FAMILIES = {"uniform", "beta", "truncnorm", "samples"}
below_zero = st.floats(max_value=0.0, exclude_max=True).filter(lambda v: v < 0)
above_one = st.floats(min_value=1.0, exclude_min=True).filter(lambda v: v > 1)
off_unit = st.one_of(below_zero, above_one, st.just(math.nan))
not_a_number = st.text(alphabet="abcdxyz!?#", min_size=1, max_size=6)  # no letters of nan/inf/e: float() fails

# free text whose family is none of the known ones
bad_dist_text = st.text(max_size=30).filter(lambda s: s.partition(":")[0].strip().lower() not in KNOWN_FAMILIES)
# known families with malformed parameters, or a sample file that does not exist
bad_dist_params = st.one_of(
    st.builds(lambda a: f"beta:{_num(a)}", st.floats(0.5, 5)),
    st.builds(lambda a, b, c: f"beta:{_num(a)},{_num(b)},{_num(c)}", st.floats(0.5, 5), st.floats(0.5, 5),
              st.floats(0.5, 5)),
    st.builds(lambda a, b: f"beta:{_num(a)},{_num(b)}", st.floats(max_value=0.0, allow_infinity=False),
              st.floats(0.5, 5)),
    st.builds(lambda m, s: f"truncnorm:{_num(m)},{_num(s)}", st.floats(0, 1), st.floats(max_value=0.0)),
    st.builds(lambda m: f"truncnorm:{_num(m)}", st.floats(0, 1)),
    st.builds(lambda a: f"uniform:{_num(a)}", st.floats(0, 1)),
    st.builds(lambda t, b: f"beta:{t},{_num(b)}", not_a_number, st.floats(0.5, 5)),
    st.builds(lambda m, t: f"truncnorm:{_num(m)},{t}", st.floats(0, 1), not_a_number),
    st.sampled_from(["beta:nan,2", "beta:2,inf", "truncnorm:0.5,nan", "truncnorm:inf,0.2", "samples:", "beta:",
                     "truncnorm:"]),
    st.builds(lambda t: f"samples:/nonexistent-dualmech-dir/{t}.npy", st.text(alphabet="abcxyz", min_size=1,
                                                                              max_size=12)),
)


INVALID_KINDS = {  # defect -> the settings it applies to
    "alpha_out": SIX, "alpha_nan": SIX, "belief_off_box": SIX, "belief_length": SIX, "unknown_name": SIX,
    "k_small": SIX, "dist_text": SIX, "dist_params": SIX, "belief_off_grid": SIX[:3], "monopolist_alpha": SIX[3:],
    "monopolist_belief": SIX[3:],
}


@st.composite
def invalid_problems(draw, kind):
    """A valid draw with exactly one defect of the given kind; returns (name, k, kwargs)."""
    name, k, alpha, belief, dist = draw(valid_problems(INVALID_KINDS[kind]))
    n = dim(name)
    amm = market(name) == "amm"
    grid_belief = belief if amm else (0.0,) * n
    if kind == "alpha_out":
        alpha = draw(st.one_of(below_zero, above_one))
        assert not 0.0 <= alpha <= 1.0
    elif kind == "alpha_nan":
        alpha = math.nan
    elif kind == "monopolist_alpha":
        alpha = draw(st.floats(0.0, 1.0, exclude_min=True))
    elif kind == "belief_off_box":
        j = draw(st.integers(0, n - 1))
        belief = tuple(draw(off_unit) if i == j else v for i, v in enumerate(grid_belief))
    elif kind == "belief_length":
        length = draw(st.sampled_from([m for m in (2, 3, 4) if m != n]))  # one entry is broadcast: valid
        belief = tuple(draw(st.integers(0, k)) / k for _ in range(length)) if amm else (0.0,) * length
    elif kind == "belief_off_grid":
        # coordinate j strictly inside a cell, at least 1/100 of a cell from both ends
        j = draw(st.integers(0, n - 1))
        m, f = draw(st.integers(0, k - 1)), draw(st.floats(0.01, 0.99))
        belief = tuple((m + f) / k if i == j else v for i, v in enumerate(belief))
        assert abs(belief[j] * k - round(belief[j] * k)) > 1e-9
    elif kind == "monopolist_belief":
        j = draw(st.integers(0, n - 1))
        belief = tuple(draw(st.integers(1, k)) / k if i == j else 0.0 for i in range(n))
    elif kind == "unknown_name":
        name = draw(st.one_of(st.text(max_size=20), st.sampled_from(["amm4d", "AMM2D", "monopolist", "amm2d "])))
        if name in SIX:
            name = name + "x"
    elif kind == "k_small":
        k = draw(st.integers(-10, 1))
    elif kind == "dist_text":
        dist = draw(bad_dist_text)
    elif kind == "dist_params":
        dist = draw(bad_dist_params)
    return name, k, {"alpha": alpha, "belief": belief, "dist": dist}


# --------------------------------------------------------------------------- valid draws


def lattice_points(k: int, n: int) -> np.ndarray:
    """x_i = m_i / k, m in {0..k}^n, last axis fastest (DESIGN §1.1), built independently."""
    return np.array(list(itertools.product(range(k + 1), repeat=n)), dtype=np.float64).reshape(-1, n) / k


# 7 examples for each of the six settings: 42 valid draws in all
@pytest.mark.parametrize("setting", SIX)
@settings(max_examples=7, **COMMON)
@given(data=st.data())
def test_valid_draws_solve_to_a_certified_optimum(setting: str, data) -> None:
    name, k, alpha, belief, dist = data.draw(valid_problems((setting,)), label="problem")
    n = dim(name)
    lo, hi = BOX[market(name)]
    sol = solve(name, k, alpha=alpha, belief=belief, dist=dist)

    assert sol.status == "optimal"
    P, D = sol.primal.value, sol.dual.value
    assert abs(sol.gap) <= GAP_TOL * max(1.0, abs(P))
    assert sol.certificate.max_pair_violation <= PAIR_TOL

    # the grid, independently
    x = lattice_points(k, n)
    assert np.array_equal(sol.grid.points, x)
    c = np.zeros(n) if belief is None else np.asarray(belief)
    ci = int(np.flatnonzero(np.all(np.abs(x - c) <= 1e-12, axis=1))[0])  # c = m/k exactly, up to m/k round-off
    w = sol.grid.weights
    assert np.all(w >= 0) and abs(w.sum() - 1.0) <= ROUNDOFF  # cell masses normalized to 1

    u, g = sol.primal.u, sol.primal.g
    assert u.shape == (len(x),) and g.shape == (len(x), n)
    # brute force over ALL ordered pairs: u_j >= u_i + <g_i, x_j - x_i> - pair_tol
    viol = u[:, None] + np.einsum("ia,ija->ij", g, x[None, :, :] - x[:, None, :]) - u[None, :]
    assert viol.max() <= PAIR_TOL
    # the certificate's scan reports the same largest violation (>= 0: i = j gives 0); round-off only
    assert sol.certificate.max_pair_violation == pytest.approx(max(0.0, viol.max()), abs=ROUNDOFF)
    assert u.min() >= -BOUND_TOL
    assert abs(u[ci]) <= BOUND_TOL
    assert g.min() >= lo - PAIR_TOL and g.max() <= hi + PAIR_TOL  # bound residuals share the pair tolerance

    # primal value sum_i w_i (<g_i, d_i> - u_i), d_i = (1 - alpha)(x_i - c)
    d = (1.0 - alpha) * (x - c)
    primal = math.fsum(w * (np.einsum("ia,ia->i", g, d) - u))
    assert abs(primal - P) <= ROUNDOFF

    # dual value sum_i h_B(w_i d_i - sum_j y_ij (x_j - x_i)) from the multipliers alone
    y = sol.dual.y.tocoo()
    assert y.shape == (len(x), len(x))
    assert np.all(y.data >= 0)
    resid = w[:, None] * d
    np.add.at(resid, y.row, -y.data[:, None] * (x[y.col] - x[y.row]))
    if market(name) == "amm":
        h = np.abs(resid).sum(axis=1)                  # h_B = l1 norm for B = [-1,1]^n
    else:
        h = np.maximum(resid, 0.0).sum(axis=1)         # h_B = sum of positive parts for B = [0,1]^n
    dual = math.fsum(h)
    assert abs(dual - D) <= ROUNDOFF
    # weak duality, checked on the recomputed values (certified to the gap tolerance)
    assert dual >= primal - GAP_TOL * max(1.0, abs(primal))


# --------------------------------------------------------------------------- invalid draws


# 6 examples for each of the eleven defects: 66 invalid draws in all
@pytest.mark.parametrize("kind", sorted(INVALID_KINDS))
@settings(max_examples=6, **COMMON)
@given(data=st.data())
def test_invalid_draws_raise_invalid_input_and_nothing_else(kind: str, data) -> None:
    name, k, kwargs = data.draw(invalid_problems(kind), label="problem")
    # pytest.raises lets any other exception through, which fails the test
    with pytest.raises(InvalidInput) as info:
        solve(name, k, **kwargs)
    assert str(info.value), kind  # a message, never an empty error
