"""Solve the measure form (DESIGN §1.2): the u-only primal and the transport dual, each as its own LP."""

from __future__ import annotations

import logging
import time
import warnings
from dataclasses import replace

import numpy as np

from grids import Grid, Setting
from grids.measure import GridMeasure, grid_measure
from solvers import status as st
from solvers.backends import BackendOptions, BackendResult, make_backend
from solvers.certificate import Certificate
from solvers.measure.fold import MeasureFold
from solvers.gradient.repair import repair_primal
from solvers.measure.lp import (LPData, TransportLayout, edge_bounds, implied_column_box, measure_primal,
                                 moves_matrix, transport_dual)
from solvers.measure.reading import TransportDual
from solvers.measure.row_generation import column_box_pays, solve_generating_rows
from solvers.solution import Primal, RoundLog, Solution, SolveStats
from solvers.measure.stencil import Stencil
from solvers.symmetry import GridSymmetry

log = logging.getLogger("dualmech")

DEFAULT_RADIUS = 1  # |p|_inf <= 1 (4 directions in 2D, 13 in 3D); radius 2-5 changed no optimum we measured
TRANSPORT_SOURCES = ("auto", "lp", "multipliers")
# Up to here ``auto`` solves the transport LP as its own LP (primal simplex); beyond, the
# plan is read from the u-only LP's row multipliers, which solve the same LP dual (the
# certificate recomputes cost and leftover mass from it either way), and a transport LP
# that fails under ``auto`` falls back to them too (transport_plan). Measured on the
# 2-core machine, amm2d off the centre (belief 0.25,0.375, so nothing folds), the u-only
# LP with its convexity rows generated (solvers/measure/row_generation.py):
#   k = 64:  transport LP 0.37 s after 0.10 s for the u-only LP (beta:2,5: 0.61 s after 0.14 s);
#   k = 128: transport LP 5.3 s after 0.8 s (beta:2,5: 15.3 s after 1.0 s), same value;
#   k = 256: transport LP "Solve error" after 140-215 s (before row generation); u-only LP 5.4 s.
# Folded amm2d k = 512 (centre): transport LP > 8 min against 8.6 s for the u-only LP.
# So the separate LP, an independent check, is solved where it costs under a second: k <= 64.
TRANSPORT_LP_MAX_POINTS = 4_225    # (64 + 1)^2: the transport LP takes < 1 s there, 5-15 s at k = 128 (the primal 1 s)


def _solve_lp(lp: LPData, solver: str, options: BackendOptions, what: str) -> tuple[BackendResult, float, bool]:
    """The backend's result, the solve time, and whether the backend is first-order."""
    backend = make_backend(solver, options)
    backend.load(lp.cost, lp.col_lower, lp.col_upper, lp.rows, row_lower=lp.row_lower)
    t0 = time.perf_counter()
    res = backend.solve()
    if res.status != st.OPTIMAL or res.z is None:
        raise st.SolverFailure(res.status, f"{solver} stopped on the {what}: {res.message}")
    return res, time.perf_counter() - t0, getattr(backend, "first_order", False)


def deferred_spread_rows(primal_lp: LPData, stn: Stencil, folding: MeasureFold | None) -> np.ndarray:
    """The u-only LP's spread (convexity) rows, as a mask: each row is one move (an orbit's representative if folded).

    Moves are laid out as edges forward, edges back, spreads, radial moves
    (:func:`solvers.measure.lp.measure_primal`).
    """
    E, S = len(stn.edge_tail), len(stn.spread_mid)
    moves = np.arange(primal_lp.rows.shape[0]) if folding is None else folding.rep_moves
    return (moves >= 2 * E) & (moves < 2 * E + S)


def solve_primal(primal_lp: LPData, deferred: np.ndarray, solver: str, options: BackendOptions,
                 row_tol: float, column_box: np.ndarray | None = None,
                 ) -> tuple[BackendResult, float, bool, tuple[RoundLog, ...], int]:
    """The u-only LP: generating its ``deferred`` rows on a simplex backend, all rows at once on a first-order one.

    ``column_box`` (upper bounds on the columns, :func:`implied_column_box`) is
    applied when the rows are generated, the path it was measured on.

    Returns the result (multipliers on every row), seconds, whether first-order,
    the rounds, and the rows in the LP at the end.
    """
    backend = make_backend(solver, options)
    first_order = bool(getattr(backend, "first_order", False))
    t0 = time.perf_counter()
    if first_order or not deferred.any():
        backend.load(primal_lp.cost, primal_lp.col_lower, primal_lp.col_upper, primal_lp.rows,
                     row_lower=primal_lp.row_lower)
        res = backend.solve()
        active = primal_lp.rows.shape[0]
        rounds = (RoundLog(active, time.perf_counter() - t0, res.iterations, 0.0, 0),)
    else:
        if column_box is not None:
            primal_lp = replace(primal_lp, col_upper=np.minimum(primal_lp.col_upper, column_box))
        res, rounds, active = solve_generating_rows(primal_lp, deferred, backend, row_tol)
    if res.status != st.OPTIMAL or res.z is None:
        where = f" (row-generation round {len(rounds) + 1})" if len(rounds) else ""
        raise st.SolverFailure(res.status, f"{solver} stopped on the measure-form primal{where}: {res.message}")
    return res, time.perf_counter() - t0, first_order, rounds, active


def transport_source(choice: str, grid: Grid) -> str:
    """``lp`` or ``multipliers``: ``auto`` solves the transport LP up to TRANSPORT_LP_MAX_POINTS points."""
    if choice not in TRANSPORT_SOURCES:
        from grids.errors import InvalidInput

        raise InvalidInput(f"unknown transport source {choice!r}; known: {', '.join(TRANSPORT_SOURCES)}")
    if choice == "auto":
        return "lp" if grid.size <= TRANSPORT_LP_MAX_POINTS else "multipliers"
    return choice


def multipliers_plan(res_p: BackendResult, grid: Grid, folding: MeasureFold | None) -> np.ndarray:
    """The transport plan z (folded when ``folding``) read from the u-only LP's row multipliers.

    The u-only LP's rows are the moves, so its multipliers y are a plan in masses / k:
    z = k y, each member of a folded move orbit getting y / |orbit| (lifted later).
    """
    z = np.maximum(res_p.row_dual, 0.0) * grid.k
    if folding is not None:
        z = z / np.asarray(folding.lift_z.sum(axis=0)).ravel()
    return z


def transport_plan(dual_lp: LPData, res_p: BackendResult, grid: Grid, folding: MeasureFold | None, solver: str,
                   options: BackendOptions, *, choice: str, source: str) -> tuple[np.ndarray, int, float, str]:
    """The transport plan z, its iterations, its seconds, and which path produced it.

    ``source`` (from :func:`transport_source`) is ``lp`` or ``multipliers``. With
    ``lp``, a transport LP that stops without an optimum (any status: solver_error,
    time_limit, ...) is, under ``choice="auto"``, replaced by the plan read from the
    u-only LP's multipliers, which solve the same LP dual; the certificate recomputes
    cost and leftover mass from whichever plan it gets. The path is returned as
    ``lp``, ``multipliers`` or ``multipliers (fallback: transport LP said <status: message>)``.

    Raises
    ------
    solvers.status.SolverFailure
        The transport LP failed and ``choice`` is ``lp`` (the caller asked for that
        path); the message says that ``multipliers`` would give the same certificate.
    """
    if source == "multipliers":
        log.info("transport plan read from the u-only LP's multipliers")
        return multipliers_plan(res_p, grid, folding), 0, 0.0, "multipliers"
    t0 = time.perf_counter()
    try:
        res_d, dual_s, _ = _solve_lp(dual_lp, solver, replace(options, simplex="primal", presolve=False),
                                     "transport dual")
    except st.SolverFailure as err:
        if choice != "auto":
            raise st.SolverFailure(err.status, f"{err.message}; transport='multipliers' (--transport multipliers) "
                                               f"reads the same LP dual from the u-only LP's multipliers and would "
                                               f"give the same certificate") from err
        provenance = f"multipliers (fallback: transport LP said {err})"
        log.warning("transport dual LP failed (%s) after %.1f s; reading the plan from the u-only LP's "
                    "multipliers instead", err, time.perf_counter() - t0)
        return multipliers_plan(res_p, grid, folding), 0, time.perf_counter() - t0, provenance
    log.info("transport dual: %d rows x %d columns, %d iterations, %.2f s",
             *dual_lp.rows.shape, res_d.iterations, dual_s)
    return res_d.z, res_d.iterations, dual_s, "lp"


def one_sided_gradient(setting: Setting, grid: Grid, u: np.ndarray) -> np.ndarray:
    """A subgradient of the grid function u: forward differences where x_a > p_a,
    backward where x_a < p_a (hi / lo past the box), 0 on x_a = p_a (p the pin, where u = 0)."""
    k, n = grid.k, grid.n
    m = grid.lattice
    U = u.reshape(grid.shape)
    g = np.zeros((grid.size, n))
    for a in range(n):
        fwd = np.diff(U, axis=a, append=np.nan).ravel() * k
        back = np.diff(U, axis=a, prepend=np.nan).ravel() * k
        ma, ca = m[:, a], int(grid.lattice[grid.pin_index, a])
        g[:, a] = np.where(ma > ca, np.where(ma < k, fwd, setting.B.hi[a]),
                           np.where(ma < ca, np.where(ma > 0, back, setting.B.lo[a]), 0.0))
    return setting.B.retract(g)


def _certify(setting: Setting, grid: Grid, mu: GridMeasure, stn: Stencil, u: np.ndarray,
             masses: np.ndarray, layout: TransportLayout) -> tuple[Certificate, np.ndarray, float]:
    """Primal value and stencil-row violations; transport cost and leftover mass, from the arrays."""
    h = grid.h
    lo, hi = edge_bounds(setting, grid, stn)
    du = u[stn.edge_head] - u[stn.edge_tail]
    viol = [lo * h - du, du - hi * h,
            -(u[stn.spread_lo] + u[stn.spread_hi] - 2 * u[stn.spread_mid]),
            -(u[stn.radial_to] - u[stn.radial_from])]
    row_violation = max(float(np.max(v, initial=0.0)) for v in viol)
    masses = np.maximum(masses, 0.0)
    fwd, back, _, _ = layout.split(masses)
    final = mu.total + moves_matrix(grid.size, stn) @ masses
    value = h * (-float(lo @ fwd) + float(hi @ back))
    left = np.maximum(final, 0.0)
    left[grid.pin_index] = 0.0
    u_max = setting.B.support(grid.points - setting.pin)
    cert = Certificate(
        primal_value=float(mu.total @ u),
        dual_value=value,
        dual_bound=value + float(left @ u_max),
        max_pair_violation=row_violation,
        primal_bound_violation=max(float(np.max(-u, initial=0.0)), abs(float(u[grid.pin_index]))),
        dual_flow_violation=float(left.max(initial=0.0)),
    )
    return cert, final, value


def transport_figure(solution: Solution):
    """The measure, the optimal flow and the no-trade region (:func:`solvers.measure.plot.plot_transport`)."""
    from solvers.measure.plot import plot_transport  # matplotlib only when a figure is drawn

    return plot_transport(solution)


def solve_measure(
    setting: Setting, grid: Grid, *, radius: int = DEFAULT_RADIUS, solver: str = "highs",
    gap_tol: float = 1e-7, row_tol: float = 1e-9, options: BackendOptions = BackendOptions(),
    fold: bool | None = None, transport: str = "auto", form_reason: str = "asked for",
    column_box: bool | None = None,
) -> Solution:
    """Solve the measure-form primal and the transport dual; certify each against the other.

    ``transport``: ``lp`` solves the transport LP as its own LP; ``multipliers``
    reads the plan from the u-only LP's row multipliers (z = k y, each member
    of a folded move orbit getting y / |orbit|); ``auto`` picks by
    :func:`transport_source` and falls back to the multipliers when the
    transport LP fails (:func:`transport_plan`). ``solution.dual.source`` (and
    the summary's ``transport_source``) says which path produced the plan.
    ``form_reason`` is recorded on the solution (see :mod:`solvers.form_rule`).

    With ``fold`` (None: when a symmetry group keeps c, B and mu) both LPs are
    solved folded (:mod:`solvers.measure.fold`) and certified unfolded.

    ``column_box`` (None: :func:`solvers.measure.row_generation.column_box_pays`)
    bounds each column by :func:`solvers.measure.lp.implied_column_box` while the
    rows are generated: a bound the edge rows imply and never reach, so the
    optimum and the certificate are those of the LP without it.

    Raises
    ------
    grids.InvalidInput
        Densities unbounded on the box (no measure), a sample with the ``away`` rule, radius < 1.
    solvers.status.SolverFailure
        The u-only LP failed, or the transport LP failed with ``transport="lp"``.
    """
    from grids.errors import InvalidInput

    source = transport_source(transport, grid)
    if isinstance(radius, bool) or not isinstance(radius, (int, np.integer)) or radius < 1:
        raise InvalidInput(f"stencil radius must be an integer >= 1, got {radius!r}")
    t_start = time.perf_counter()
    mu = grid_measure(setting, grid)
    stn = Stencil.build(setting, grid, radius)
    primal_lp = measure_primal(setting, grid, mu, stn)
    dual_lp, layout = transport_dual(setting, grid, mu, stn)
    folding = None
    if fold is not False:
        symmetry = GridSymmetry.detect(setting, grid, invariant=mu.total)
        if not symmetry.trivial:
            folding = MeasureFold.build(symmetry, stn)
            primal_lp = folding.primal(primal_lp, grid)
            dual_lp = folding.transport(dual_lp, layout, moves_matrix(grid.size, stn), grid, mu.total)
            log.info("symmetry: group of order %d, %d point orbits, %d move orbits",
                     symmetry.order, len(symmetry.reps), len(folding.rep_moves))
    build_s = time.perf_counter() - t_start
    deferred = deferred_spread_rows(primal_lp, stn, folding)
    box = None
    if column_box_pays(setting) if column_box is None else column_box:
        box = implied_column_box(setting, grid)
        if folding is not None:  # one column per point orbit; the bound is the same on an orbit (it keeps c and B)
            box_folded = np.empty(len(primal_lp.cost))
            box_folded[folding.symmetry.orbit] = box
            box = box_folded
    res_p, primal_s, first_order, rounds, active_rows = solve_primal(primal_lp, deferred, solver, options, row_tol,
                                                                     box)
    v, it_p = res_p.z, res_p.iterations
    log.info("measure primal: %d of %d rows x %d columns, %d round(s), %d iterations, %.2f s",
             active_rows, *primal_lp.rows.shape, len(rounds), it_p, primal_s)
    z, it_d, dual_s, provenance = transport_plan(dual_lp, res_p, grid, folding, solver, options,
                                                 choice=transport, source=source)
    if folding is not None:
        v, z = folding.lift_u @ v, folding.lift_z @ z
    t_cert = time.perf_counter()
    u = v / grid.k
    g = one_sided_gradient(setting, grid, u)
    if first_order:
        fixed = repair_primal(setting, grid, u, g)  # a first-order u violates rows: certify a feasible repair
        u, g = fixed.u, fixed.g
        log.info("repaired primal: %d planes, max change of u %.1e", fixed.planes, fixed.max_change)
    cert, final, value = _certify(setting, grid, mu, stn, u, z / grid.size, layout)
    fwd, back, spreads, radial = layout.split(np.maximum(z, 0.0) / grid.size)
    timings = {"build_s": build_s, "reduced_s": 0.0, "lp_s": primal_s + dual_s, "primal_s": primal_s,
               "dual_s": dual_s, "scan_s": 0.0, "certify_s": time.perf_counter() - t_cert}
    timings["total_s"] = time.perf_counter() - t_start
    status = st.OPTIMAL if cert.is_accurate(gap_tol, row_tol) else st.INACCURATE
    if status == st.INACCURATE:
        warnings.warn(f"measure form: gap {cert.gap:.2e} or row violation {cert.max_pair_violation:.1e} "
                      f"exceeds the tolerances", st.InaccurateSolutionWarning, stacklevel=3)
    t = np.einsum("ij,ij->i", g, grid.points) - u
    stats = SolveStats(rounds=len(rounds), rows=active_rows, columns=len(primal_lp.cost) + len(dual_lp.cost),
                       iterations=it_p + it_d, timings=timings, nonzeros=primal_lp.rows.nnz + dual_lp.rows.nnz,
                       group_order=1 if folding is None else folding.symmetry.order, history=rounds)
    dual = TransportDual(stn, mu, fwd, back, spreads, radial, final, value, cert.dual_bound, source=provenance)
    return Solution(setting=setting, grid=grid, solver=solver, status=status,
                    primal=Primal(u=u, g=g, t=t, value=cert.primal_value), dual=dual, certificate=cert,
                    stats=stats, tolerances={"rows": row_tol, "gap": gap_tol}, form="measure", form_reason=form_reason,
                    figures={"transport": transport_figure})
