"""solve(): setting -> grid -> LP -> cut rounds -> certificate -> Solution."""

from __future__ import annotations

import logging
import time
import warnings
from typing import Any

import numpy as np
from scipy import sparse

from grids import Grid, Setting, make_grid, make_setting
from grids.errors import InvalidInput
from solvers import status as st
from solvers.axis_reduction import AxisReduction
from solvers.backends import BackendOptions, make_backend
from solvers.certificate import certify
from solvers.gradient_lp import GradientLP, most_violated_pairs
from solvers.solution import Dual, Primal, RoundLog, Solution, SolveStats
from solvers.warm_start import WarmStart, make_warm_start

log = logging.getLogger("dualmech")

PAIR_TOL = 1e-9  # stop when no pair row is violated by more than this (u units)
GAP_TOL = 1e-7   # relative: |dual - primal| <= GAP_TOL * max(1, |primal|)
FORMS = ("gradient", "measure")


def _resolve(setting: str | Setting, grid: int | Grid, quadrature: str, params: dict[str, Any]) -> tuple[Setting, Grid]:
    if isinstance(setting, Setting):
        if params:
            raise InvalidInput(f"parameters {sorted(params)} given with a ready Setting; pass a setting name instead")
        s = setting
    else:
        s = make_setting(setting, **params)
    g = grid if isinstance(grid, Grid) else make_grid(s, grid, quadrature)
    return s, g


def reduction_pays(setting: Setting) -> bool:
    """Whether the reduced axis LP is the faster start (measured, 2-core machine).

    uniform 2D k = 128: amm c = 1/2 12.3 s -> 1.6 s, c = 1/4 22.8 s -> 8 s,
    alpha = 0.5 7.7 s -> 0.8 s, monopolist 71 s -> 9.3 s; but beta:2,2 2D
    8.4 s -> 33 s, truncnorm 2D k = 96 2.2 s -> 5.5 s, uniform 3D k = 24
    10.5 s -> 33 s. The reduced basis grows dense where many second
    differences are tight (smooth laws) and in 3D.
    """
    return setting.n <= 2 and setting.dist.is_uniform


def _reduced_axis_basis(
    lp: GradientLP, pi: np.ndarray, pj: np.ndarray, solver: str, options: BackendOptions
) -> tuple[tuple[np.ndarray, np.ndarray], int]:
    """Solve the reduced axis LP; its optimal basis mapped to the full LP, and its iterations."""
    red = AxisReduction.build(lp, pi, pj)
    pre = make_backend(solver, options)
    pre.load(red.cost, red.col_lower, red.col_upper, red.rows, row_lower=red.row_lower)
    res = pre.solve()
    if res.status != st.OPTIMAL:
        raise st.SolverFailure(res.status, f"{solver} stopped on the reduced axis LP: {res.message}")
    log.info("reduced axis LP: %d rows x %d columns, %d iterations, value %.10f",
             red.rows.shape[0], red.rows.shape[1], res.iterations, (res.objective + red.offset) / lp.scale)
    return red.full_basis(*pre.basis(), len(pi)), res.iterations


def solve(
    setting: str | Setting,
    grid: int | Grid = 64,
    *,
    solver: str = "highs",
    quadrature: str = "cell",
    pair_tol: float = PAIR_TOL,
    gap_tol: float = GAP_TOL,
    max_rounds: int = 100,
    time_limit: float = float("inf"),
    threads: int = 0,
    feasibility_tol: float = 1e-10,
    reduce_axis: bool | None = None,
    form: str = "gradient",
    stencil: int = 1,
    warm_start: "str | WarmStart" = "none",
    **params: Any,
) -> Solution:
    """Solve the gradient-form LP of DESIGN §1.1 on a grid and certify it.

    max sum_i w_i (<g_i, d_i> - u_i) s.t. u_j >= u_i + <g_i, x_j - x_i> for all
    pairs, u >= 0, u_c = 0, g_i in B; pair rows are added lazily from the
    axis-neighbour stencil until an all-pairs scan finds none violated by more
    than ``pair_tol``.

    Parameters
    ----------
    setting : str or Setting
        A registered name (``amm2d``, ...) or a ready :class:`grids.Setting`.
    grid : int or Grid
        Cells per axis k, or a ready grid.
    solver : {"highs", "scs"}
    quadrature : {"cell", "away"}
        Weight rule (see :mod:`grids.grid`).
    pair_tol, gap_tol : float
        Stopping tolerance of the pair scan; relative gap tolerance for ``optimal``.
    max_rounds : int
        Cut rounds before giving up with status ``round_limit``.
    time_limit : float
        Seconds for each LP solve.
    threads : int
        HiGHS threads (0: HiGHS's default).
    feasibility_tol : float
        Primal and dual feasibility tolerance handed to the backend (scaled LP).
    reduce_axis : bool or None
        Solve the axis-stencil LP first with the allocations eliminated
        (:mod:`solvers.axis_reduction`) and start the full LP from its basis;
        only for backends with a basis (HiGHS). The optimum is the same either
        way; None picks by :func:`reduction_pays`.
    form : {"gradient", "measure"}
        ``gradient``: the LP of DESIGN §1.1 with pair multipliers as dual.
        ``measure``: the u-only LP of §1.2 and its transport dual, each solved
        as its own LP (:mod:`solvers.measure_solve`); needs a density.
    stencil : int
        Measure form only: spread directions p with |p|_inf <= stencil.
    warm_start : {"none", "coarse", "rochetnet"} or WarmStart
        Gradient form only: extra pair rows for the first LP
        (:mod:`solvers.warm_start`); the optimum is the cold one.
    **params
        ``alpha``, ``belief``, ``dist`` for :func:`grids.make_setting`.

    Raises
    ------
    grids.InvalidInput
        Bad setting, parameters or grid, before any work.
    solvers.status.SolverFailure
        The LP failed (status infeasible, time_limit, round_limit, ...).
    """
    t_start = time.perf_counter()
    if solver not in ("highs", "scs"):
        make_backend(solver, BackendOptions())  # raises InvalidInput listing the known ones
    if form not in FORMS:
        raise InvalidInput(f"unknown form {form!r}; known forms: {', '.join(FORMS)}")
    s, g = _resolve(setting, grid, quadrature, params)
    if form == "measure":
        from solvers.measure_solve import solve_measure

        return solve_measure(s, g, radius=stencil, solver=solver, gap_tol=gap_tol, row_tol=pair_tol,
                             options=BackendOptions(feasibility_tol, time_limit, threads))
    options = BackendOptions(feasibility_tol, time_limit, threads)
    t_warm = time.perf_counter()
    if isinstance(warm_start, str):
        warm_start = make_warm_start(warm_start, s, g, solver=solver, pair_tol=pair_tol, gap_tol=gap_tol,
                                     max_rounds=max_rounds, time_limit=time_limit, threads=threads,
                                     reduce_axis=reduce_axis)
    warm_s = time.perf_counter() - t_warm
    t_start += warm_s  # the solve's own phases exclude producing the warm start
    lp = GradientLP.build(s, g)
    backend = make_backend(solver, options)
    pi, pj = lp.stencil_pairs()
    timings = {"build_s": time.perf_counter() - t_start, "reduced_s": 0.0, "lp_s": 0.0, "scan_s": 0.0,
               "warm_start_s": warm_s}
    basis, reduced_iterations = None, 0
    use_reduction = reduction_pays(s) if reduce_axis is None else reduce_axis
    if use_reduction and backend.supports_basis:
        basis, reduced_iterations = _reduced_axis_basis(lp, pi, pj, solver, options)
        timings["reduced_s"] = time.perf_counter() - t_start - timings["build_s"]
    backend.load(lp.cost, lp.col_lower, lp.col_upper, lp.pair_rows(pi, pj), basis=basis)
    N = g.size
    keys = np.sort(pi * N + pj)
    if warm_start is not None:
        wi, wj = warm_start.pairs_i, warm_start.pairs_j
        new = (wi != wj) & ~np.isin(wi * N + wj, keys)
        wi, wj = np.unique(np.stack([wi[new], wj[new]]), axis=1)
        if len(wi):
            backend.add_rows(lp.pair_rows(wi, wj))
            pi, pj = np.concatenate([pi, wi]), np.concatenate([pj, wj])
            keys = np.sort(np.concatenate([keys, wi * N + wj]))
        log.info("warm start (%s): %d extra rows, %.2f s to produce", warm_start.source, len(wi), warm_s)
    history: list[RoundLog] = []
    for round_no in range(1, max_rounds + 1):
        t0 = time.perf_counter()
        res = backend.solve()
        t1 = time.perf_counter()
        timings["lp_s"] += t1 - t0
        if res.status != st.OPTIMAL or res.z is None:
            raise st.SolverFailure(res.status, f"{solver} stopped in cut round {round_no}: {res.message}")
        u, gr = lp.unpack(res.z)
        vi, vj, worst = most_violated_pairs(u, gr, g.points, pair_tol)
        new = ~np.isin(vi * N + vj, keys, assume_unique=False)
        vi, vj = vi[new], vj[new]
        timings["scan_s"] += time.perf_counter() - t1
        history.append(RoundLog(len(keys), t1 - t0, res.iterations, worst, len(vi)))
        log.info("round %d: %d rows, lp %.2f s (%d iterations), max violation %.1e, adding %d rows",
                 round_no, len(keys), t1 - t0, res.iterations, worst, len(vi))
        if len(vi) == 0:
            break  # either nothing is violated, or only rows already in the LP (solver accuracy)
        backend.add_rows(lp.pair_rows(vi, vj))
        pi, pj = np.concatenate([pi, vi]), np.concatenate([pj, vj])
        keys = np.sort(np.concatenate([keys, vi * N + vj]))
    else:
        raise st.SolverFailure(st.ROUND_LIMIT, f"{max_rounds} cut rounds left pair rows violated by {worst:.1e}")

    t_cert = time.perf_counter()
    y_vals = np.maximum(res.row_dual * g.k / lp.scale, 0.0)  # scaled rows are k x the design rows
    y = sparse.csr_matrix((y_vals, (pi, pj)), shape=(N, N))
    y.eliminate_zeros()
    cert = certify(s, g, u, gr, y, worst)
    timings["certify_s"] = time.perf_counter() - t_cert
    timings["total_s"] = time.perf_counter() - t_start
    status = st.OPTIMAL if cert.is_accurate(gap_tol, pair_tol) else st.INACCURATE
    if status == st.INACCURATE:
        warnings.warn(
            f"{solver}: gap {cert.gap:.2e}, bound gap {cert.dual_bound - cert.primal_value:.2e}, "
            f"max pair violation {worst:.1e} exceed the tolerances (gap {gap_tol:g} relative, pairs {pair_tol:g})",
            st.InaccurateSolutionWarning, stacklevel=2,
        )
    t = np.einsum("ij,ij->i", gr, g.points) - u
    stats = SolveStats(
        rounds=len(history), rows=len(keys), columns=len(lp.cost),
        iterations=reduced_iterations + sum(h.iterations for h in history), timings=timings, history=tuple(history),
    )
    return Solution(
        setting=s, grid=g, solver=solver, status=status,
        primal=Primal(u=u, g=gr, t=t, value=cert.primal_value),
        dual=Dual(y=y, value=cert.dual_value, bound=cert.dual_bound),
        certificate=cert, stats=stats, tolerances={"pair": pair_tol, "gap": gap_tol}, warm_start=warm_start,
    )
