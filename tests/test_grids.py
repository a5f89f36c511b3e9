"""Settings registry, type laws, grids and quadrature weights (grids/).

Every expected value here is computed in the test from the definitions of
DESIGN §1.1 and grids/grid.py's docstring (cells of half-width h/2 clipped to
[0,1], or the cell on the side away from c), never copied from a run.
"""

from __future__ import annotations

import os
import pickle
import re
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

import grids
from grids import InvalidInput, make_grid, make_setting, parse_distribution

SETTINGS = ("amm1d", "amm2d", "amm3d", "monopolist1d", "monopolist2d", "monopolist3d")
LAWS = ("uniform", "beta:2,2", "beta:0.5,3", "truncnorm:0.5,0.2", "truncnorm:0.1,0.05")

# Weights are cell masses divided by their sum: they sum to 1 up to float
# round-off of a sum of at most a few hundred terms (~1e-15); 1e-12 is loose.
SUM_TOL = 1e-12
REPO = Path(__file__).resolve().parents[1]


def _dim(name: str) -> int:
    return int(re.search(r"(\d)d$", name).group(1))


# --------------------------------------------------------------------------- registry


SUITE = ("suite-additive", "suite-ddt", "suite-triangle", "suite-04-03", "suite-unit-demand", "suite-pavlov",
         "suite-additive-10")


def test_registry_holds_exactly_the_market_settings_and_the_suite() -> None:
    assert set(grids.REGISTRY) == set(SETTINGS) | set(SUITE)


@pytest.mark.parametrize("name", SETTINGS)
def test_every_named_setting_builds_with_its_defaults(name: str) -> None:
    s = make_setting(name)
    n = _dim(name)
    assert s.name == name and s.n == n
    if name.startswith("amm"):
        assert (s.market.lo, s.market.hi) == (-1.0, 1.0)  # B = [-1,1]^n
        assert s.belief == (0.5,) * n                     # c = 1/2 per good by default
    else:
        assert (s.market.lo, s.market.hi) == (0.0, 1.0)  # B = [0,1]^n
        assert s.belief == (0.0,) * n                     # c = 0 fixed
    assert s.alpha == 0.0
    assert s.dist.spec == "uniform"
    g = make_grid(s, 4)
    assert g.size == 5**n and g.points.shape == (5**n, n)
    assert np.array_equal(g.points[g.c_index], s.c)


def test_unknown_setting_lists_the_known_names() -> None:
    with pytest.raises(InvalidInput) as info:
        make_setting("amm4d")
    msg = str(info.value)
    assert "amm4d" in msg
    for name in SETTINGS:
        assert name in msg


# --------------------------------------------------------------------------- parameters


@pytest.mark.parametrize("alpha", [-0.1, 1.0001, 2.0, float("inf"), float("-inf"), float("nan")])
def test_alpha_outside_unit_interval_is_refused(alpha: float) -> None:
    with pytest.raises(InvalidInput, match="alpha"):
        make_setting("amm2d", alpha=alpha)


@pytest.mark.parametrize("alpha", [0.0, 0.3, 1.0])
def test_alpha_in_unit_interval_is_kept(alpha: float) -> None:
    assert make_setting("amm1d", alpha=alpha).alpha == alpha


@pytest.mark.parametrize("belief", [[1.5, 0.5], [0.5, -0.1], [float("nan"), 0.5], [0.5, float("inf")], "0.5,1.01"])
def test_belief_off_the_box_is_refused(belief) -> None:
    with pytest.raises(InvalidInput):
        make_setting("amm2d", belief=belief)


@pytest.mark.parametrize("name,belief", [
    ("amm1d", [0.5, 0.5]), ("amm2d", [0.5, 0.5, 0.5]), ("amm3d", [0.5, 0.5]), ("amm2d", "0.5,0.5,0.5"), ("amm2d", []),
])
def test_belief_of_wrong_length_is_refused(name: str, belief) -> None:
    with pytest.raises(InvalidInput, match="entries|numbers"):
        make_setting(name, belief=belief)


def test_single_belief_value_is_repeated_for_every_good() -> None:
    assert make_setting("amm3d", belief=0.25).belief == (0.25, 0.25, 0.25)
    assert make_setting("amm2d", belief="0.25,0.75").belief == (0.25, 0.75)


@pytest.mark.parametrize("name", ["monopolist1d", "monopolist2d", "monopolist3d"])
def test_monopolist_fixes_alpha_and_belief(name: str) -> None:
    with pytest.raises(InvalidInput, match="alpha"):
        make_setting(name, alpha=0.5)
    with pytest.raises(InvalidInput):
        make_setting(name, belief=0.5)
    with pytest.raises(InvalidInput):
        make_setting(name, belief=[0.0] * (_dim(name) - 1) + [0.25])
    # the fixed values themselves are accepted
    assert make_setting(name, alpha=0.0, belief=0.0).belief == (0.0,) * _dim(name)


# --------------------------------------------------------------------------- distributions


def test_distributions_parse() -> None:
    u = parse_distribution("uniform", 2)
    assert (u.family, u.params) == ("uniform", ())
    b = parse_distribution("beta:2,2", 2)
    assert (b.family, b.params) == ("beta", (2.0, 2.0))
    t = parse_distribution("truncnorm:0.5,0.2", 3)
    assert (t.family, t.params) == ("truncnorm", (0.5, 0.2))
    for d in (u, b, t):  # the spec string parses back to the same law
        assert parse_distribution(d.spec, 2) == d
    # the truncated normal lives on [0, 1]: all its mass is there
    m = t.marginal()
    assert m.cdf(0.0) == 0.0 and m.cdf(1.0) == pytest.approx(1.0, abs=1e-15)  # float round-off of a CDF


@pytest.mark.parametrize("spec", [
    "beta:1", "beta:-1,2", "beta:0,2", "beta:2,2,2", "beta:a,b", "beta:nan,2", "foo", "", "normal:0,1",
    "truncnorm:0.5,0", "truncnorm:0.5,-1", "truncnorm:0.5", "uniform:1", "samples:",
])
def test_bad_distributions_are_refused(spec: str) -> None:
    with pytest.raises(InvalidInput):
        parse_distribution(spec, 2)
    with pytest.raises(InvalidInput):  # and through make_setting
        make_setting("amm2d", dist=spec)


# --------------------------------------------------------------------------- weights


@pytest.mark.parametrize("rule", grids.QUADRATURE_RULES)
@pytest.mark.parametrize("law", LAWS)
@pytest.mark.parametrize("name,k", [
    ("amm1d", 2), ("amm1d", 10), ("amm2d", 6), ("amm3d", 4), ("monopolist1d", 5), ("monopolist2d", 6),
    ("monopolist3d", 3),
])
def test_weights_are_a_probability_vector(name: str, k: int, law: str, rule: str) -> None:
    g = make_grid(make_setting(name, dist=law), k, rule)
    assert g.weights.shape == (g.size,)
    assert np.all(g.weights >= 0.0)
    assert abs(g.weights.sum() - 1.0) <= SUM_TOL


@pytest.mark.parametrize("rule", grids.QUADRATURE_RULES)
def test_weights_sum_to_one_with_an_off_centre_belief(rule: str) -> None:
    g = make_grid(make_setting("amm2d", belief="0.25,1", dist="beta:0.5,3"), 8, rule)
    assert abs(g.weights.sum() - 1.0) <= SUM_TOL


@pytest.mark.parametrize("k", [2, 3, 8])
def test_uniform_cell_weights_are_the_trapezoid_rule(k: int) -> None:
    h = 1.0 / k
    trap = np.full(k + 1, h)
    trap[[0, -1]] = h / 2
    g1 = make_grid(make_setting("amm1d", belief=0.0), k)  # the cell rule does not depend on c
    # cell masses of the uniform law are exact up to float round-off of CDF differences
    assert np.allclose(g1.weights, trap, rtol=0, atol=1e-15)
    g2 = make_grid(make_setting("monopolist2d"), k)
    # 2D: product of the 1D rules, lattice in C order (last axis fastest)
    assert np.allclose(g2.weights.reshape(k + 1, k + 1), np.outer(trap, trap), rtol=0, atol=1e-15)


def test_uniform_away_weights_take_the_cell_away_from_c() -> None:
    # amm1d, c = 1/2, k = 4 (h = 1/4): points 0, 1/4, 1/2, 3/4, 1. Below c a point
    # owns [x - h, x] (clipped), above c [x, x + h], and c owns [c - h, c + h].
    g = make_grid(make_setting("amm1d"), 4, "away")
    assert np.allclose(g.weights, [0.0, 0.25, 0.5, 0.25, 0.0], rtol=0, atol=1e-15)  # CDF round-off
    # monopolist1d, c = 0: c owns [0, h], every other point [x, x + h], so x = 1 owns nothing.
    g = make_grid(make_setting("monopolist1d"), 4, "away")
    assert np.allclose(g.weights, [0.25, 0.25, 0.25, 0.25, 0.0], rtol=0, atol=1e-15)  # CDF round-off


def test_beta_cell_weights_are_exact_cell_masses() -> None:
    # Beta(2,2) has CDF 3x^2 - 2x^3 in closed form; cells [x - h/2, x + h/2] clipped to [0, 1].
    k = 6
    x = np.arange(k + 1) / k
    lo, hi = np.clip(x - 0.5 / k, 0, 1), np.clip(x + 0.5 / k, 0, 1)
    F = lambda t: 3 * t**2 - 2 * t**3  # noqa: E731
    w1 = F(hi) - F(lo)
    g = make_grid(make_setting("amm2d", dist="beta:2,2"), k)
    # scipy's beta CDF against the closed form: agreement to float round-off (~1e-15)
    assert np.allclose(g.weights.reshape(k + 1, k + 1), np.outer(w1, w1), rtol=0, atol=1e-13)


def test_unknown_quadrature_rule_is_refused() -> None:
    with pytest.raises(InvalidInput, match="cell"):
        make_grid(make_setting("amm1d"), 4, "trapezoid")


@pytest.mark.parametrize("k", [1, 0, -3, 4.0, True])
def test_grid_size_must_be_an_integer_at_least_two(k) -> None:
    with pytest.raises(InvalidInput):
        make_grid(make_setting("amm1d"), k)


# --------------------------------------------------------------------------- belief on the grid


def test_belief_off_the_grid_names_sizes_that_work() -> None:
    s = make_setting("amm1d", belief=1 / 3)
    with pytest.raises(InvalidInput) as info:
        make_grid(s, 4)
    msg = str(info.value)
    m = re.search(r"grid sizes that work: ([\d, ]+)", msg)
    assert m, msg
    sizes = [int(v) for v in m.group(1).split(",")]
    assert sizes[:2] == [3, 6]
    for k in sizes[:4]:  # every named size really puts c on the grid
        g = make_grid(s, k)
        assert g.points[g.c_index, 0] == pytest.approx(1 / 3, abs=1e-12)  # float of 1/3 vs m/k


def test_belief_off_the_grid_in_2d() -> None:
    s = make_setting("amm2d", belief=[0.25, 0.1])
    with pytest.raises(InvalidInput, match="not a grid point"):
        make_grid(s, 8)
    g = make_grid(s, 20)  # 0.25 = 5/20, 0.1 = 2/20
    assert np.allclose(g.points[g.c_index], [0.25, 0.1], rtol=0, atol=1e-15)  # m/k round-off


def test_grid_too_large_for_memory_is_refused_before_any_work() -> None:
    with pytest.raises(InvalidInput, match="GiB"):
        make_grid(make_setting("amm3d"), 2000)


# --------------------------------------------------------------------------- sample laws


def _expected_histogram(samples: np.ndarray, k: int) -> np.ndarray:
    """counts/m of nearest grid points (the samples below avoid cell boundaries)."""
    idx = np.rint(samples * k).astype(int)
    frac = np.abs(samples * k - np.rint(samples * k))
    assert np.all(np.abs(frac - 0.5) > 1e-6), "test data must avoid cell boundaries"
    n = samples.shape[1]
    counts = np.zeros((k + 1,) * n)
    for row in idx:
        counts[tuple(row)] += 1
    return counts.ravel() / len(samples)


# k = 4 (h = 1/4): (0.1, 0.1) and (0.05, 0.0) -> point (0, 0); (0.3, 0.9) -> (1/4, 1);
# (0.6, 0.4) and (0.55, 0.45) -> (1/2, 1/2); (1.0, 0.7) -> (1, 3/4).
SAMPLES_2D = np.array([[0.1, 0.1], [0.05, 0.0], [0.3, 0.9], [0.6, 0.4], [0.55, 0.45], [1.0, 0.7]])


@pytest.mark.parametrize("suffix", ["npy", "csv"])
def test_sample_law_weights_are_the_histogram(tmp_path, suffix: str) -> None:
    path = tmp_path / f"types.{suffix}"
    if suffix == "npy":
        np.save(path, SAMPLES_2D)
    else:
        np.savetxt(path, SAMPLES_2D, delimiter=",")
    s = make_setting("amm2d", dist=f"samples:{path}")
    assert s.dist.spec == f"samples:{path}"
    g = make_grid(s, 4)
    w = g.weights.reshape(5, 5)
    m = len(SAMPLES_2D)
    # counts/m computed by hand from the comment above; histogram weights are
    # exact ratios of small integers, so only division round-off remains.
    assert w[0, 0] == pytest.approx(2 / m, abs=1e-15)
    assert w[1, 4] == pytest.approx(1 / m, abs=1e-15)
    assert w[2, 2] == pytest.approx(2 / m, abs=1e-15)
    assert w[4, 3] == pytest.approx(1 / m, abs=1e-15)
    assert np.count_nonzero(g.weights) == 4
    assert np.allclose(g.weights, _expected_histogram(SAMPLES_2D, 4), rtol=0, atol=1e-15)
    assert abs(g.weights.sum() - 1.0) <= SUM_TOL


@pytest.mark.parametrize("rule", grids.QUADRATURE_RULES)
def test_sample_law_weights_sum_to_one_for_every_rule(tmp_path, rule: str) -> None:
    path = tmp_path / "types.npy"
    np.save(path, np.random.default_rng(3).random((200, 2)))
    g = make_grid(make_setting("amm2d", belief="0.25,0.5", dist=f"samples:{path}"), 8, rule)
    assert np.all(g.weights >= 0.0)
    assert abs(g.weights.sum() - 1.0) <= SUM_TOL


def test_sample_law_1d_accepts_a_flat_array(tmp_path) -> None:
    rng = np.random.default_rng(1)
    pts = rng.random(500)
    path = tmp_path / "one.npy"
    np.save(path, pts)
    g = make_grid(make_setting("amm1d", dist=f"samples:{path}"), 10)
    # random doubles hit a cell boundary (odd multiple of 1/20) with probability ~0
    assert np.allclose(g.weights, _expected_histogram(pts[:, None], 10), rtol=0, atol=1e-15)


def test_random_sample_histogram_in_3d(tmp_path) -> None:
    pts = np.random.default_rng(2).random((1000, 3))
    path = tmp_path / "types3.csv"
    np.savetxt(path, pts, delimiter=",", fmt="%.17g")
    g = make_grid(make_setting("monopolist3d", dist=f"samples:{path}"), 5)
    assert np.allclose(g.weights, _expected_histogram(pts, 5), rtol=0, atol=1e-15)  # division round-off


# Every malformed sample file, each as (file name, how to write it, a fragment of
# its refusal). The same table runs in-process and through the command line.
def _npy(arr: np.ndarray) -> Callable[[Path], None]:
    return lambda p: np.save(p, arr)


def _text(text: str) -> Callable[[Path], None]:
    return lambda p: p.write_text(text)


def _npz_renamed(p: Path) -> None:
    with p.open("wb") as fh:
        np.savez(fh, types=SAMPLES_2D)


def _pickled(p: Path) -> None:
    p.write_bytes(pickle.dumps(SAMPLES_2D))


def _object_npy(p: Path) -> None:
    np.save(p, np.array([[0.1, None]], dtype=object), allow_pickle=True)


def _truncated_npy(p: Path) -> None:
    np.save(p, SAMPLES_2D)
    p.write_bytes(p.read_bytes()[:-8])


def _unreadable(p: Path) -> None:
    # Reading /proc/self/mem at offset 0 fails with EIO for every user, root included
    # (chmod 000 would not stop root); the file itself exists and is a regular file.
    if not Path("/proc/self/mem").is_file():
        pytest.skip("needs Linux /proc/self/mem for a file that exists but cannot be read")
    p.symlink_to("/proc/self/mem")


MALFORMED: dict[str, tuple[str, Callable[[Path], None] | None, str]] = {
    "missing": ("nope.npy", None, "does not exist"),
    "folder": ("folder.npy", lambda p: p.mkdir(), "is not a file"),
    "unreadable": ("mem.npy", _unreadable, "could not be read"),
    "unreadable-csv": ("mem.csv", _unreadable, "could not be read"),
    "suffix": ("types.txt", _text("0.1,0.2\n"), "use a .npy or .csv file"),
    "npz-as-npy": ("types.npy", _npz_renamed, "zip archive"),
    "pickle-as-npy": ("types.npy", _pickled, "a pickle"),
    "object-npy": ("types.npy", _object_npy, "could not be read"),
    "text-as-npy": ("types.npy", _text("0.1,0.2\n"), "not in .npy format"),
    "truncated-npy": ("types.npy", _truncated_npy, "could not be read"),
    "empty-file-npy": ("types.npy", _text(""), "holds no types"),
    "empty-array-npy": ("types.npy", _npy(np.zeros((0, 2))), "holds no types"),
    "empty-csv": ("types.csv", _text(""), "holds no types"),
    "comments-only-csv": ("types.csv", _text("# x1,x2\n\n"), "holds no types"),
    "ragged-csv": ("types.csv", _text("0.1,0.2\n0.3\n"), "ragged: line 2 has 1 values"),
    "header-csv": ("types.csv", _text("x1,x2\n0.1,0.2\n"), "line 1, column 1: 'x1' is not a number"),
    "semicolon-csv": ("types.csv", _text("0.1;0.2\n"), "is not a number"),
    "binary-csv": ("types.csv", lambda p: p.write_bytes(b"\xff\xfe\x00\x01"), "not a text file"),
    "3-columns-npy": ("types.npy", _npy(np.full((4, 3), 0.5)), "3 columns"),
    "3-columns-csv": ("types.csv", _text("0.1,0.2,0.3\n"), "3 columns"),
    "1-column-csv": ("types.csv", _text("0.1\n0.2\n"), "1 columns"),
    "flat-npy": ("types.npy", _npy(np.array([0.2, 0.3, 0.4])), "shape (3,)"),
    "3-axes-npy": ("types.npy", _npy(np.zeros((2, 2, 2))), "shape (2, 2, 2)"),
    "nan-npy": ("types.npy", _npy(np.array([[0.2, 0.3], [0.2, np.nan]])), "row 2 holds NaN or infinity"),
    "inf-npy": ("types.npy", _npy(np.array([[np.inf, 0.3]])), "row 1 holds NaN or infinity"),
    "inf-csv": ("types.csv", _text("0.1,0.2\n-inf,0.5\n"), "row 2 holds NaN or infinity"),
    "nan-csv": ("types.csv", _text("nan,0.5\n"), "row 1 holds NaN or infinity"),
    "strings-npy": ("types.npy", _npy(np.array([["a", "b"], ["c", "d"]])), "real numbers"),
    "bool-npy": ("types.npy", _npy(np.array([[True, False]])), "booleans"),
    "complex-npy": ("types.npy", _npy(np.array([[0.1 + 0.0j, 0.2]])), "complex numbers"),
    "complex-csv": ("types.csv", _text("0.1,1+2j\n"), "'1+2j' is not a number"),
    "above-box-npy": ("types.npy", _npy(np.array([[0.2, 1.5]])), "outside [0, 1]^2"),
    "below-box-npy": ("types.npy", _npy(np.array([[0.2, 0.3], [0.2, -0.01]])), "row 2 = [0.2, -0.01] lies outside"),
    "above-box-csv": ("types.csv", _text("0.1,0.2\n0.3,1.7\n"), "outside [0, 1]^2"),
    "int-above-box-npy": ("types.npy", _npy(np.array([[0, 2]])), "outside [0, 1]^2"),
}


def _write_malformed(tmp_path: Path, case: str) -> tuple[Path, str]:
    name, write, fragment = MALFORMED[case]
    path = tmp_path / name
    if write is not None:
        write(path)
    return path, fragment


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_sample_file_is_refused_with_one_line(tmp_path, case: str) -> None:
    path, fragment = _write_malformed(tmp_path, case)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing may be printed on the way to the refusal
        with pytest.raises(InvalidInput) as info:
            make_setting("amm2d", dist=f"samples:{path}")
    msg = str(info.value)
    assert msg.startswith(f"sample file {str(path)!r} ") and fragment in msg, msg
    assert "\n" not in msg


# One subprocess per kind of malformation (each costs ~1 s of interpreter start-up).
CLI_CASES = ("missing", "unreadable", "npz-as-npy", "pickle-as-npy", "empty-file-npy", "empty-csv", "ragged-csv",
             "3-columns-csv", "nan-npy", "inf-csv", "header-csv", "bool-npy", "complex-npy", "above-box-csv")


@pytest.mark.parametrize("case", CLI_CASES)
def test_malformed_sample_file_exits_2_with_one_line_on_stderr(tmp_path, case: str) -> None:
    path, fragment = _write_malformed(tmp_path, case)
    proc = subprocess.run([sys.executable, "-m", "solvers", "--setting", "amm2d", "--grid", "8",
                           "--dist", f"samples:{path}"], cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr  # no warning, no traceback
    assert lines[0].startswith("solve: bad input: sample file") and fragment in lines[0], lines[0]


def test_single_type_is_accepted(tmp_path) -> None:
    # One type is a valid (degenerate) law: all its mass on the nearest grid point.
    for suffix in ("npy", "csv"):
        path = tmp_path / f"one.{suffix}"
        if suffix == "npy":
            np.save(path, np.array([[0.3, 0.9]]))
        else:
            path.write_text("0.3,0.9\n")
        g = make_grid(make_setting("amm2d", dist=f"samples:{path}"), 4)
        # (0.3, 0.9) -> lattice (1, 4) at k = 4; a single count over 1 type is exactly 1.
        assert g.weights.reshape(5, 5)[1, 4] == 1.0 and np.count_nonzero(g.weights) == 1
    np.save(tmp_path / "one1d.npy", np.array([0.7]))  # 1 good: a flat array of one type
    assert make_setting("amm1d", dist=f"samples:{tmp_path / 'one1d.npy'}").dist.points.shape == (1, 1)


def test_integer_samples_on_the_box_corners_are_accepted(tmp_path) -> None:
    path = tmp_path / "corners.npy"
    np.save(path, np.array([[0, 0], [1, 1], [0, 1]], dtype=np.int64))
    pts = make_setting("amm2d", dist=f"samples:{path}").dist.points
    assert pts.dtype == np.float64
    np.testing.assert_array_equal(pts, [[0.0, 0.0], [1.0, 1.0], [0.0, 1.0]])


def test_correlated_samples_are_accepted_and_solved(tmp_path) -> None:
    from solvers import solve

    rng = np.random.default_rng(7)
    x1 = rng.random(2000)
    pts = np.clip(np.stack([x1, x1 + 0.05 * rng.standard_normal(2000)], axis=1), 0.0, 1.0)
    path = tmp_path / "correlated.npy"
    np.save(path, pts)
    sol = solve("amm2d", 8, dist=f"samples:{path}")
    assert sol.status == "optimal"
    # the law sits near the diagonal: the histogram puts most mass within one cell of it
    lat = sol.grid.lattice
    assert sol.grid.weights[np.abs(lat[:, 0] - lat[:, 1]) <= 1].sum() > 0.9


def test_overlong_sample_path_is_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        parse_distribution("samples:" + "a" * 300 + ".npy", 2)


def test_non_numeric_npy_is_invalid_input(tmp_path) -> None:
    path = tmp_path / "strings.npy"
    np.save(path, np.array([["a", "b"], ["c", "d"]]))
    try:
        parse_distribution(f"samples:{path}", 2)
    except InvalidInput:
        return
    pytest.fail("no error for a .npy of strings")


def test_away_histogram_never_fills_an_empty_cell(tmp_path) -> None:
    # Under the away rule the point x = 1 owns the empty cell [1, 1]; a sample at
    # exactly 1.0 belongs to x = 1 - h, whose cell [1 - h, 1] holds it.
    path = tmp_path / "edge.npy"
    np.save(path, np.array([1.0, 0.0, 0.5]))
    setting = make_setting("amm1d", dist=f"samples:{path}")
    w = make_grid(setting, 4, "away").weights
    np.testing.assert_array_equal(w, np.array([0, 1, 1, 1, 0]) / 3)


def test_library_rejects_non_numeric_parameters() -> None:
    for kwargs in ({"alpha": "abc"}, {"alpha": True}, {"belief": ["a", "b"]}, {"belief": [[0.5, 0.5]]}):
        with pytest.raises(InvalidInput):
            make_setting("amm2d", **kwargs)
