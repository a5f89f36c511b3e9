"""solve(): validate, build setting and grid, dispatch to the gradient or measure form."""

from __future__ import annotations

import time
from typing import Any

from grids import Grid, Setting, make_grid, make_setting
from grids.errors import InvalidInput
from solvers.backends import BackendOptions, make_backend
from solvers.gradient_solve import solve_gradient
from solvers.memory_check import check_memory
from solvers.measure_solve import TRANSPORT_SOURCES
from solvers.solution import Solution
from solvers.warm_start import WarmStart, make_warm_start

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
    fold: bool | None = None,
    transport: str = "auto",
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
        only for backends with a basis (HiGHS), and only when nothing is
        folded. The optimum is the same either way; None picks by
        :func:`solvers.gradient_solve.reduction_pays`.
    form : {"gradient", "measure"}
        ``gradient``: the LP of DESIGN §1.1 with pair multipliers as dual.
        ``measure``: the u-only LP of §1.2 and its transport dual, each solved
        as its own LP (:mod:`solvers.measure_solve`); needs a density.
    stencil : int
        Measure form only: spread directions p with |p|_inf <= stencil.
    warm_start : {"none", "coarse", "rochetnet"} or WarmStart
        Gradient form only: extra pair rows for the first LP
        (:mod:`solvers.warm_start`); the optimum is the cold one.
    transport : {"auto", "lp", "multipliers"}
        Measure form only: solve the transport dual as its own LP, or read it
        from the u-only LP's multipliers (auto: its own LP up to
        :data:`solvers.measure_solve.TRANSPORT_LP_MAX_POINTS` points).
    fold : bool or None
        Solve for group-invariant (u, g) when signed axis
        permutations about c keep the grid, B and every weight
        (:mod:`solvers.symmetry`; exact, the certificate is recomputed on the
        unfolded arrays). None or True: fold when such a group exists.
    **params
        ``alpha``, ``belief``, ``dist`` for :func:`grids.make_setting`.

    Raises
    ------
    grids.InvalidInput
        Bad setting, parameters or grid, before any work.
    solvers.status.SolverFailure
        The LP failed (status infeasible, time_limit, round_limit, ...).
    """
    if solver not in ("highs", "scs"):
        make_backend(solver, BackendOptions())  # raises InvalidInput listing the known ones
    if form not in FORMS:
        raise InvalidInput(f"unknown form {form!r}; known forms: {', '.join(FORMS)}")
    if transport not in TRANSPORT_SOURCES:
        raise InvalidInput(f"unknown transport source {transport!r}; known: {', '.join(TRANSPORT_SOURCES)}")
    s, g = _resolve(setting, grid, quadrature, params)
    check_memory(s, g, form, solver, fold)  # per form, backend and symmetry group; before any work
    options = BackendOptions(feasibility_tol, time_limit, threads)
    if form == "measure":
        from solvers.measure_solve import solve_measure

        return solve_measure(s, g, radius=stencil, solver=solver, gap_tol=gap_tol, row_tol=pair_tol, options=options,
                             fold=fold, transport=transport)
    t_warm = time.perf_counter()
    if isinstance(warm_start, str):
        warm_start = make_warm_start(warm_start, s, g, solver=solver, pair_tol=pair_tol, gap_tol=gap_tol,
                                     max_rounds=max_rounds, time_limit=time_limit, threads=threads,
                                     reduce_axis=reduce_axis)
    return solve_gradient(s, g, solver=solver, options=options, pair_tol=pair_tol, gap_tol=gap_tol,
                          max_rounds=max_rounds, reduce_axis=reduce_axis, warm_start=warm_start,
                          warm_s=time.perf_counter() - t_warm, fold=fold)
