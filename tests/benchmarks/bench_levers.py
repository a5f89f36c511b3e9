"""Issue 16's levers on the LPs without symmetry, one LP at a time (markdown table). Not a test.

    python tests/benchmarks/bench_levers.py              # k = 128 (2D), k = 24 (3D): about 10 minutes
    python tests/benchmarks/bench_levers.py --k 256      # 2D at k = 256 (long: the default alone is 80-540 s)
    python tests/benchmarks/bench_levers.py --case beta  # one setting
    python tests/benchmarks/bench_levers.py --case trades --k 64   # the 1e5-trade sample (harness)
    python tests/benchmarks/bench_levers.py --case kde --k 256     # the same trades smoothed (kde:scott)

Two families of lever, each against the default on the same LP:

- the measure-form u-only LP (2D: amm2d off-centre, amm2d beta:2,5,
  monopolist2d, and with ``--case``: 1e5 correlated trades raw or as kde:scott,
  truncnorm off the centre, a density bump): HiGHS options (dual edge weights, presolve, primal simplex,
  interior point with crossover, PDLP), a basis crashed from the k/2 solution
  interpolated onto the grid (``Highs.setSolution`` before ``run``), and row
  generation of the convexity rows (start without the diagonal spreads, or
  without any, and add the violated ones, warm; or without any, with every
  column boxed by the implied bound u <= support_B(x - c), which removes the
  dual simplex's phase 1); every row deferred (edges and radial rows too), the
  columns boxed, seeded with the rows that the k/2 optimum interpolated onto
  the grid makes nearly tight; and Clarabel, the interior-point solver cvxpy
  installs, on the LP with every row (no crossover: its value only);
- the gradient form in 3D (amm3d off-centre): other HiGHS algorithms for the
  first cut round (which is most of the time), and the full radius-1 stencil
  as the first rows instead of the axis neighbours.

Every run has the same time limit (HiGHS's own ``time_limit``); a run that
stops there is a row with its status. Each row gives seconds, simplex
iterations, status and the value's difference from the default's.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import itertools
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import highspy
from scipy import sparse
from scipy.interpolate import RegularGridInterpolator

import solvers
from grids import Grid, Setting, make_grid, make_setting
from grids.measure import grid_measure
from solvers.backends import BackendOptions, BackendResult, make_backend
from solvers.backends.highs import HighsBackend
from solvers.gradient.lp import GradientLP
from solvers.measure.lp import LPData, implied_column_box, measure_primal
from solvers.measure.stencil import Stencil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import correlated_trades  # noqa: E402  (the benchmarks' shared plumbing)

TRADES = Path(tempfile.gettempdir()) / "dualmech_bench_trades.npy"  # harness.correlated_trades, seed 0

CASES_2D = {
    "offc": ("amm2d c=(1/4,3/8)", "amm2d", {"belief": [0.25, 0.375]}),
    "beta": ("amm2d beta:2,5", "amm2d", {"dist": "beta:2,5"}),
    "mono": ("monopolist2d", "monopolist2d", {}),
    "trades": ("amm2d 1e5 correlated trades", "amm2d", {"dist": f"samples:{TRADES}"}),
    "kde": ("amm2d 1e5 trades, kde:scott", "amm2d", {"dist": f"kde:scott:{TRADES}"}),
    "truncnorm": ("amm2d truncnorm:0.3,0.2 c=(1/4,3/8)", "amm2d",
                  {"dist": "truncnorm:0.3,0.2", "belief": [0.25, 0.375]}),
    "bump": ("amm2d density bump", "amm2d", {"dist": "density:exp(-8*((x1-0.3)**2+(x2-0.6)**2))"}),
}
CASE_3D = ("amm3d c=(1/4,3/8,1/2)", "amm3d", {"belief": [0.25, 0.375, 0.5]})
HIGHS_OPTIONS = {  # lever name -> HiGHS options on top of the backend's (dual simplex, presolve on)
    "default (dual simplex)": {},
    "dual edge weights Devex": {"simplex_dual_edge_weight_strategy": 1},
    "dual edge weights Dantzig": {"simplex_dual_edge_weight_strategy": 0},
    "presolve off": {"presolve": "off"},
    "primal simplex": {"simplex_strategy": 4},
    "IPX + crossover": {"solver": "ipm", "run_crossover": "on"},
    "PDLP": {"solver": "pdlp"},
    "parallel dual (PAMI), 2 threads": {"simplex_strategy": 2, "threads": 2, "parallel": "on"},
    "parallel dual (SIP), 2 threads": {"simplex_strategy": 3, "threads": 2, "parallel": "on"},
    "refactorize every 1000 updates": {"simplex_update_limit": 1000},
}
ROW_TOL = 1e-9  # a generated row counts as violated above this (the project's pair tolerance)


def measure_lp(s: Setting, k: int) -> tuple[Grid, Stencil, LPData]:
    g = make_grid(s, k, "cell")
    st = Stencil.build(s, g, 1)
    return g, st, measure_primal(s, g, grid_measure(s, g), st)


def loaded(lp: LPData, limit: float, rows: np.ndarray | None = None, **options: object) -> HighsBackend:
    """A HiGHS backend holding ``lp`` (or its rows ``rows``), with extra options set."""
    b = make_backend("highs", BackendOptions(time_limit=limit))
    keep = slice(None) if rows is None else rows
    b.load(lp.cost, lp.col_lower, lp.col_upper, lp.rows[keep], row_lower=lp.row_lower[keep])
    for key, value in options.items():
        b.highs.setOptionValue(key, value)
    return b


def row(case: str, k: int, lever: str, seconds: float, iterations: int, status: str, value: float | None,
        note: str = "") -> dict:
    return {"case": case, "k": k, "lever": lever, "s": seconds, "it": iterations, "status": status,
            "value": value, "note": note}


def crash_start(s: Setting, g: Grid, lp: LPData, b: HighsBackend) -> str:
    """Solve k/2, interpolate u onto the grid, hand it to HiGHS as a solution (it crashes a basis from it)."""
    v = coarse_start(s, g)
    v[g.pin_index] = 0.0
    start = highspy.HighsSolution()
    start.col_value = list(v)
    start.row_value = list(lp.rows @ v)
    start.value_valid = True
    b.highs.setSolution(start)
    return f"k/2 start violates {int(np.sum(lp.row_lower - lp.rows @ v > ROW_TOL))} rows"


def measure_levers(key: str, k: int, limit: float) -> Iterator[dict]:
    name, setting, params = CASES_2D[key]
    s = make_setting(setting, **params)
    g, st, lp = measure_lp(s, k)
    N = g.size
    for lever, options in HIGHS_OPTIONS.items():
        b = loaded(lp, limit, **options)
        t0 = time.perf_counter()
        r = b.solve()
        yield row(name, k, lever, time.perf_counter() - t0, r.iterations, r.status,
                  None if r.objective is None else r.objective / N)
    b = loaded(lp, limit)
    t0 = time.perf_counter()
    note = crash_start(s, g, lp, b)
    r = b.solve()
    yield row(name, k, "crash from k/2 (setSolution)", time.perf_counter() - t0, r.iterations, r.status,
              None if r.objective is None else r.objective / N, note + "; time includes the k/2 solve")
    E, S = len(st.edge_tail), len(st.spread_mid)
    step = g.lattice[st.spread_hi] - g.lattice[st.spread_mid]
    for lever, first_spreads in (("row generation: axis spreads first", np.abs(step).sum(axis=1) == 1),
                                 ("row generation: no spreads first", np.zeros(S, bool))):
        yield row_generation(name, k, lp, E, first_spreads, limit, lever)
    # u <= support_B(x - c) follows from the edge rows; one grid step above it the bound is never active,
    # but every column is boxed, so the dual simplex needs no phase 1
    boxed = dataclasses.replace(lp, col_upper=np.minimum(lp.col_upper, implied_column_box(s, g)))
    yield row_generation(name, k, boxed, E, np.zeros(S, bool), limit,
                         "row generation, columns boxed by the implied bound")
    yield seeded_lazy_rows(s, g, boxed, limit, name)
    yield clarabel_all_rows(g, boxed, limit, name)


def coarse_start(s: Setting, g: Grid) -> np.ndarray:
    """The k/2 measure-form optimum (default solve), interpolated onto the grid, in v = k u."""
    sc = solvers.solve(s, grid=g.k // 2, form="measure")
    axes = [np.linspace(0.0, 1.0, g.k // 2 + 1)] * g.n
    return RegularGridInterpolator(axes, sc.primal.u.reshape(sc.grid.shape))(g.points) * g.k


def seeded_lazy_rows(s: Setting, g: Grid, lp: LPData, limit: float, name: str, seed_slack: float = 0.05) -> dict:
    """Every row deferred; first the rows within ``seed_slack`` of tight at the k/2 start; add violated ones, warm.

    The columns must be boxed (``lp`` from :func:`measure_levers`): with few rows the LP is otherwise unbounded.
    """
    t0 = time.perf_counter()
    slack = lp.rows @ coarse_start(s, g) - lp.row_lower
    active = slack <= seed_slack
    seeded = int(active.sum())
    r, iterations, rounds = generate(lp, active, limit)
    return row(name, g.k, "every row deferred, seeded by the k/2 optimum's near-tight rows, boxed",
               time.perf_counter() - t0, iterations, r.status,
               None if r.objective is None else r.objective / lp.rows.shape[1],
               f"time includes the k/2 solve; {seeded} seed rows, {rounds} rounds, {int(active.sum())} "
               f"of {lp.rows.shape[0]} rows at the end")


def clarabel_all_rows(g: Grid, lp: LPData, limit: float, name: str) -> dict:
    """Clarabel (interior point, sparse LDL by QDLDL) on the u-only LP with every row; the pin column removed."""
    import clarabel  # installed with cvxpy

    keep = np.flatnonzero(np.arange(g.size) != g.pin_index)
    eye = sparse.eye(len(keep), format="csc")
    a = sparse.vstack([-lp.rows[:, keep], -eye, eye]).tocsc()  # rows >= lower, v >= 0, v <= box
    b = np.concatenate([-lp.row_lower, np.zeros(len(keep)), lp.col_upper[keep]])
    settings = clarabel.DefaultSettings()
    settings.verbose, settings.time_limit, settings.direct_solve_method = False, limit, "qdldl"
    t0 = time.perf_counter()
    solver = clarabel.DefaultSolver(sparse.csc_matrix((len(keep), len(keep))), -lp.cost[keep] / g.size, a, b,
                                    [clarabel.NonnegativeConeT(a.shape[0])], settings)
    sol = solver.solve()
    return row(name, g.k, "Clarabel interior point, every row (QDLDL; the default faer LDL was 7x slower at k = 64)",
               time.perf_counter() - t0, sol.iterations, str(sol.status), -sol.obj_val,
               "interior-point iterations; no basis, so no certificate without a repair")


def generate(lp: LPData, active: np.ndarray, limit: float) -> tuple[BackendResult, int, int]:
    """Solve with the rows ``active`` (updated in place); add every violated row, warm, until none is.

    Returns the last result, the simplex iterations and the rounds. Rows enter with their own lower
    bounds (edge rows have -1), so through ``Highs.addRows``, not ``Backend.add_rows`` (rows >= 0).
    """
    b = loaded(lp, limit, rows=np.flatnonzero(active))
    iterations, rounds = 0, 0
    while True:
        r = b.solve()
        iterations, rounds = iterations + r.iterations, rounds + 1
        if r.z is None:
            return r, iterations, rounds
        new = np.flatnonzero((lp.row_lower - lp.rows @ r.z > ROW_TOL) & ~active)
        if not len(new):
            return r, iterations, rounds
        active[new] = True
        add = lp.rows[new]
        b.highs.addRows(len(new), lp.row_lower[new], np.full(len(new), highspy.kHighsInf), add.nnz,
                        add.indptr[:-1].astype(np.int32), add.indices.astype(np.int32), add.data)


def row_generation(name: str, k: int, lp: LPData, E: int, first_spreads: np.ndarray, limit: float,
                   lever: str) -> dict:
    """Solve with edges, radial rows and ``first_spreads``; add violated spread rows (lower bound 0) warm."""
    active = np.ones(lp.rows.shape[0], bool)
    active[2 * E:2 * E + len(first_spreads)] = first_spreads
    t0 = time.perf_counter()
    r, iterations, rounds = generate(lp, active, limit)
    return row(name, k, lever, time.perf_counter() - t0, iterations, r.status,
               None if r.objective is None else r.objective / lp.rows.shape[1],
               f"{rounds} rounds, {int(active.sum())} of {lp.rows.shape[0]} rows")


def full_stencil_pairs(self: GradientLP) -> tuple[np.ndarray, np.ndarray]:
    """Every ordered pair of grid neighbours at Chebyshev distance 1 (3^n - 1 directions)."""
    shape = self.grid.shape
    idx = np.arange(self.num_points).reshape(shape)
    src_all, dst_all = [], []
    for d in itertools.product((-1, 0, 1), repeat=len(shape)):
        if any(d):
            src = tuple(slice(max(0, -di), n - max(0, di)) for di, n in zip(d, shape))
            dst = tuple(slice(max(0, di), n - max(0, -di)) for di, n in zip(d, shape))
            src_all.append(idx[src].ravel())
            dst_all.append(idx[dst].ravel())
    return np.concatenate(src_all), np.concatenate(dst_all)


@contextlib.contextmanager
def patched(owner: type, attr: str, value: Callable) -> Iterator[None]:
    old = getattr(owner, attr)
    setattr(owner, attr, value)
    try:
        yield
    finally:
        setattr(owner, attr, old)


def first_round_with(options: dict) -> Callable:
    """HighsBackend.solve that uses ``options`` for its first run only, then the dual simplex."""
    plain = HighsBackend.solve

    def solve(self: HighsBackend):  # noqa: ANN202 - a BackendResult
        first = not getattr(self, "bench_first_done", False)
        if first:
            for key, value in options.items():
                self.highs.setOptionValue(key, value)
        result = plain(self)
        if first:
            self.bench_first_done = True
            self.highs.setOptionValue("solver", "simplex")
            self.highs.setOptionValue("simplex_strategy", 1)
        return result
    return solve


def gradient_3d_levers(k: int, limit: float) -> Iterator[dict]:
    name, setting, params = CASE_3D
    levers: dict[str, contextlib.AbstractContextManager] = {
        "default (axis rows, dual simplex)": contextlib.nullcontext(),
        "first rows: full radius-1 stencil": patched(GradientLP, "stencil_pairs", full_stencil_pairs),
    }
    for lever in ("primal simplex", "IPX + crossover", "PDLP"):
        levers[f"first round: {lever}"] = patched(HighsBackend, "solve", first_round_with(HIGHS_OPTIONS[lever]))
    for lever, context in levers.items():
        t0 = time.perf_counter()
        with context:
            try:
                sol = solvers.solve(setting, grid=k, form="gradient", time_limit=limit, **params)
            except solvers.SolverFailure as exc:
                yield row(name, k, lever, time.perf_counter() - t0, 0, exc.status, None)
                continue
        yield row(name, k, lever, time.perf_counter() - t0, sol.stats.iterations, sol.status, sol.primal.value,
                  f"{sol.stats.rounds} rounds, first round {sol.stats.history[0].seconds:.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--k", type=int, default=128, help="2D grid size (3D runs at k = 24, or 32 from k >= 256)")
    ap.add_argument("--case", choices=[*CASES_2D, "amm3d"], action="append")
    ap.add_argument("--limit", type=float, default=300.0, help="seconds per run")
    a = ap.parse_args()
    cases = a.case or ["offc", "beta", "mono", "amm3d"]  # the others (--case) take minutes each
    if {"trades", "kde"} & set(cases) and not TRADES.exists():
        correlated_trades(TRADES)
    print("| case | k | lever | s | iterations | status | value | vs default | note |")
    print("|---|---|---|---|---|---|---|---|---|")
    for case in cases:
        rows = gradient_3d_levers(24 if a.k < 256 else 32, a.limit) if case == "amm3d" else \
            measure_levers(case, a.k, a.limit)
        base = None
        for r in rows:
            base = r["value"] if base is None else base
            diff = "" if r["value"] is None or base is None else f"{r['value'] - base:+.1e}"
            value = "" if r["value"] is None else f"{r['value']:.10f}"
            print(f"| {r['case']} | {r['k']} | {r['lever']} | {r['s']:.1f} | {r['it']} | {r['status']} | {value} "
                  f"| {diff} | {r['note']} |", flush=True)


if __name__ == "__main__":
    main()
