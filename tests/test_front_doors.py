"""The library refuses bad input itself, before any work, with grids.InvalidInput.

The command line only parses; every check below used to live in the CLI only
(``solve("amm2d", grid=16, max_rounds=0)`` ended in an UnboundLocalError).
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import pytest

import solvers.api
from grids import InvalidInput
from grids.auction import make_auction_setting
from solvers import solve
from solvers.auction.compare import compare
from solvers.auction.lp import solve_auction_lp


@pytest.fixture
def no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any LP work fails the test: a refusal must come before it."""
    def work(*args, **kwargs):
        raise AssertionError("work started before the input was refused")

    monkeypatch.setattr(solvers.api, "solve_gradient", work)
    monkeypatch.setattr("solvers.measure.solve.solve_measure", work)


@pytest.mark.parametrize("kwargs,fragment", [
    ({"max_rounds": 0}, "max_rounds"),
    ({"max_rounds": 2.5}, "max_rounds"),
    ({"pair_tol": 0.0}, "pair_tol"),
    ({"gap_tol": -1e-7}, "gap_tol"),
    ({"gap_tol": math.nan}, "gap_tol"),
    ({"feasibility_tol": math.inf}, "feasibility_tol"),
    ({"time_limit": 0.0}, "time_limit"),
    ({"threads": -1}, "threads"),
    ({"stencil": 0, "form": "measure"}, "stencil"),
    ({"solver": "gurobi"}, "gurobi"),
    ({"form": "dual"}, "form"),
    ({"transport": "flows"}, "transport"),
    ({"warm_start": "hot"}, "warm start"),
    ({"warm_start": "coarse", "form": "measure"}, "gradient form only"),
    ({"fold": "yes"}, "fold"),
    ({"reduce_axis": 1}, "reduce_axis"),
    ({"alpha": 1.5}, "alpha"),
    ({"dist": "samples:/no/such.npy", "form": "measure"}, "does not exist"),
    # laws that are not products: bad formulas before any work, and the measure form's histogram refused on the away rule
    ({"dist": "density:x1-0.5"}, "is negative at x ="),
    ({"dist": "density:0*x1"}, "does not integrate"),
    ({"dist": "density:__import__('os')"}, "'__import__' is not allowed"),
    ({"dist": "density:x3"}, "unknown variable 'x3'"),
    ({"dist": "uniform-polytope:1,1,-1"}, "empty or has zero volume"),
    ({"dist": "density:1+x1*x2", "form": "measure", "quadrature": "away"}, "needs the 'cell' quadrature"),
    ({"dist": "triangle", "form": "measure", "quadrature": "away"}, "needs the 'cell' quadrature"),
])
def test_solve_refuses_bad_arguments_before_any_work(kwargs: dict, fragment: str, no_work: None) -> None:
    with pytest.raises(InvalidInput, match=fragment):
        solve("amm2d", grid=16, **kwargs)


@pytest.mark.parametrize("setting,kwargs,fragment", [
    ("amm2d", {"types": "4:4,0:1"}, "empty on axis 1"),             # empty type box
    ("amm2d", {"types": "0:1,2:1"}, "empty on axis 2"),             # inverted
    ("amm2d", {"types": "0:1,0:1,0:1"}, "has 3 axes"),
    ("amm2d", {"types": "0:inf,0:1"}, "finite"),
    ("amm2d", {"types": "2:4,1:2", "belief": "1,1"}, "off the type box"),
    ("amm2d", {"allocations": "polytope:1 0 <= 1; -1 0 <= -2; 0 1 <= 1; 0 -1 <= 1"}, "contain 0|empty"),
    ("amm2d", {"allocations": "polytope:1 1 <= 1; -1 -1 <= 1"}, "unbounded"),
    ("amm2d", {"allocations": "polytope:1 0 <= -0.5; -1 0 <= 1; 0 1 <= 1; 0 -1 <= 1"}, "does not contain 0"),
    ("amm2d", {"allocations": "box:0.2:1,-1:1"}, "does not contain 0"),
    ("amm2d", {"allocations": "unit-demand", "form": "measure"}, "gradient"),
    ("monopolist2d", {"allocations": "box:-1:1,0:1"}, ">= 0"),
    ("amm2d", {"allocations": "simplex"}, "unknown allocations"),
])
def test_solve_refuses_bad_boxes_and_polytopes_before_any_work(setting: str, kwargs: dict, fragment: str,
                                                               no_work: None) -> None:
    """Type boxes and allocation sets go through grids.make_setting from solvers.api.validate."""
    with pytest.raises(InvalidInput, match=fragment):
        solve(setting, grid=8, **kwargs)
    with pytest.raises(InvalidInput, match=fragment):
        solvers.api.validate(setting, 8, **kwargs)


def test_max_rounds_zero_is_a_clear_refusal_not_a_crash() -> None:
    with pytest.raises(InvalidInput, match="max_rounds must be an integer >= 1"):
        solve("amm2d", grid=16, max_rounds=0)


def test_coarse_warm_start_needs_an_even_grid(no_work: None) -> None:
    with pytest.raises(InvalidInput, match="even grid"):
        solve("amm2d", grid=15, belief="0.6,0.6", warm_start="coarse")


@pytest.fixture(scope="module")
def small_solution():
    return solve("amm1d", grid=8)


@pytest.mark.parametrize("target,fragment", [
    ("/proc/x", "not writable"),
    ("{tmp}/missing/parent/out", "does not exist"),
    ("{tmp}/a-file", "not a folder"),
])
def test_save_refuses_folders_it_cannot_write(small_solution, tmp_path: Path, target: str, fragment: str) -> None:
    (tmp_path / "a-file").write_text("keep\n")
    with pytest.raises(InvalidInput, match=fragment):
        small_solution.save(target.format(tmp=tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]  # nothing half-written
    assert (tmp_path / "a-file").read_text() == "keep\n"


@pytest.mark.parametrize("tol", [-0.1, math.nan, math.inf, "0.02"])
def test_menu_tolerance_is_checked(small_solution, tmp_path: Path, tol) -> None:
    with pytest.raises(InvalidInput, match="menu tolerance"):
        small_solution.menu(tol)
    with pytest.raises(InvalidInput, match="menu tolerance"):
        small_solution.save(tmp_path / "out", tol)
    assert not (tmp_path / "out").exists()


def test_plot_refuses_an_unwritable_path_before_drawing(small_solution) -> None:
    with pytest.raises(InvalidInput, match="cannot write"):
        small_solution.plot("/no/such/folder/plot.png")


@pytest.mark.parametrize("options,fragment", [
    ({"time_limit": 0.0}, "time_limit"),
    ({"gap_tol": -1.0}, "gap_tol"),
    ({"formulation": "primal"}, "formulation"),
    ({"max_rounds": 0}, "max_rounds"),
])
def test_auction_lp_options_are_checked_by_the_library(options: dict, fragment: str) -> None:
    setting = make_auction_setting(buyers=1, sellers=1, grid=3)
    with pytest.raises(InvalidInput, match=fragment):
        solve_auction_lp(setting, **options)
    with pytest.raises(InvalidInput, match=fragment):
        compare(setting, ["broker", "lp"], lp_options=options)


def test_compare_refuses_unknown_lp_options() -> None:
    with pytest.raises(InvalidInput, match="unknown auction LP options"):
        compare(make_auction_setting(buyers=1, sellers=1, grid=3), ["lp"], lp_options={"timelimit": 5})


@pytest.mark.parametrize("kwargs,fragment", [
    ({"samples": 1}, "samples"), ({"regret_profiles": 0}, "regret_profiles"), ({"seed": -1}, "seed"),
    ({"samples": 10.5}, "samples"),
])
def test_compare_checks_its_sampling_arguments(kwargs: dict, fragment: str) -> None:
    with pytest.raises(InvalidInput, match=fragment):
        compare(make_auction_setting(buyers=1, sellers=1), ["broker"], **kwargs)


def test_all_does_not_train_the_transformer_and_says_how_to_ask() -> None:
    res = compare(make_auction_setting(buyers=2, sellers=2), ["all"], samples=2000, regret_profiles=2)
    neural = res.row("neural")
    assert neural.status == "skipped" and "--mechanism neural" in neural.note
    assert all(res.row(name).ran for name in ("broker", "trm", "mcafee", "first_best"))


def test_transformer_training_raises_no_framework_warning() -> None:
    from neural import AuctionNetConfig, train_auction_net

    tiny = AuctionNetConfig(steps=3, d_model=8, heads=2, layers=1, ff=16, batch_size=8, eval_every=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torch's "Converting a tensor with requires_grad=True" would raise here
        result = train_auction_net(make_auction_setting(buyers=1, sellers=1), tiny, progress=True)
    assert result.steps == 3 and len(result.history) == 3
