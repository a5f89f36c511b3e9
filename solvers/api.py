"""solve(): validate, build setting and grid, dispatch to the gradient or measure form."""

from __future__ import annotations

import inspect
import time
from typing import Any

from grids import QUADRATURE_RULES, Grid, Setting, make_grid, make_setting
from grids.errors import InvalidInput
from grids.measure import require_density
from solvers import arguments as arg
from solvers.backends import BackendOptions, require_backend
from solvers.form_rule import choose_form
from solvers.gradient.solve import solve_gradient
from solvers.measure.solve import TRANSPORT_SOURCES
from solvers.memory_check import check_memory
from solvers.solution import Solution, WarmStart
from solvers.gradient.warm_start import check_warm_start_name, coarse_warm_start, require_warm_start

PAIR_TOL = 1e-9  # stop when no pair row is violated by more than this (u units)
GAP_TOL = 1e-7   # relative: |dual - primal| <= GAP_TOL * max(1, |primal|)
FORMS = ("auto", "gradient", "measure")


def _resolve(setting: str | Setting, grid: int | Grid, quadrature: str, params: dict[str, Any]) -> tuple[Setting, Grid]:
    if isinstance(setting, Setting):
        if params:
            raise InvalidInput(f"parameters {sorted(params)} given with a ready Setting; pass a setting name instead")
        s = setting
    else:
        s = make_setting(setting, **params)
    g = grid if isinstance(grid, Grid) else make_grid(s, grid, quadrature)
    return s, g


def solve_defaults() -> dict[str, Any]:
    """The keyword options of :func:`solve` with their defaults, read from its signature (one list)."""
    return {name: p.default for name, p in inspect.signature(solve).parameters.items()
            if p.kind is inspect.Parameter.KEYWORD_ONLY}


def check_options(**options: Any) -> None:
    """Check the options of :func:`solve` that need no setting or grid; raise InvalidInput for the first bad one.

    Options not given take :func:`solve`'s defaults. Used by :func:`validate`
    and by a sweep for every instance before any work.
    """
    defaults = solve_defaults()
    unknown = sorted(set(options) - set(defaults))
    if unknown:
        raise InvalidInput(f"unknown option {unknown[0]!r}; known: {', '.join(defaults)}")
    o = {**defaults, **options}
    require_backend(o["solver"])
    arg.choice("form", o["form"], FORMS)
    arg.choice("quadrature rule", o["quadrature"], QUADRATURE_RULES)
    arg.choice("transport source", o["transport"], TRANSPORT_SOURCES)
    for name in ("pair_tol", "gap_tol", "feasibility_tol"):
        arg.positive(name, o[name])
    arg.positive("time_limit", o["time_limit"], allow_inf=True)
    arg.integer("max_rounds", o["max_rounds"], 1)
    arg.integer("threads", o["threads"], 0)
    arg.integer("stencil", o["stencil"], 1)
    arg.flag("reduce_axis", o["reduce_axis"])
    arg.flag("fold", o["fold"])
    warm_start = o["warm_start"]
    if not isinstance(warm_start, WarmStart):
        check_warm_start_name(warm_start)
    if o["form"] == "measure" and not (isinstance(warm_start, str) and warm_start == "none"):
        raise InvalidInput("a warm start applies to the gradient form only")


def require_box_allocations(setting: Setting) -> None:
    """Refuse a polytope B for the measure form, whose edge Lipschitz rows are per axis (a box only)."""
    if not setting.B.is_box:
        raise InvalidInput(f"the measure form needs a box B (its edge Lipschitz rows are per axis); "
                           f"allocations {setting.allocations.describe()} is a polytope: use form=\"gradient\"")


def validate(setting: str | Setting, grid: int | Grid = 64, **kwargs: Any) -> tuple[Setting, Grid]:
    """Check every argument of :func:`solve` and resolve the setting and grid; no LP work.

    ``kwargs`` are :func:`solve`'s options (:func:`check_options`) and the
    setting's parameters (``alpha``, ``belief``, ``dist``, ``types``,
    ``allocations``: :func:`grids.make_setting` checks them). Returns the
    resolved ``(Setting, Grid)``; raises :class:`grids.InvalidInput` with one
    sentence for the first bad argument. :func:`solve` calls it first; a
    caller that runs several solves (``--form both``) calls it for each
    before starting any.
    """
    options = {name: kwargs.pop(name) for name in solve_defaults() if name in kwargs}
    check_options(**options)
    s, g = _resolve(setting, grid, options.get("quadrature", "cell"), kwargs)
    form = choose_form(s, g, form=options.get("form", "auto"), warm_start=options.get("warm_start", "none"),
                       fold=options.get("fold")).form
    # per form, backend and symmetry group (solvers.memory_check): a grid that would not fit is refused here
    check_memory(s, g, form, options.get("solver", "highs"), options.get("fold"))
    if form == "measure":
        require_box_allocations(s)
        require_density(s, g)
    warm_start = options.get("warm_start", "none")
    if isinstance(warm_start, str):
        require_warm_start(warm_start, g)
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
    form: str = "auto",
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
    solver : {"highs", "scs", "pdlp", "cupdlpx"}
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
        (:mod:`solvers.gradient.axis_reduction`) and start the full LP from its basis;
        only for backends with a basis (HiGHS), and only when nothing is
        folded. The optimum is the same either way; None picks by
        :func:`solvers.gradient.solve.reduction_pays`.
    form : {"auto", "gradient", "measure"}
        ``gradient``: the LP of DESIGN §1.1 with pair multipliers as dual.
        ``measure``: the u-only LP of §1.2 and its transport dual, each solved
        as its own LP (:mod:`solvers.measure.solve`); needs a density.
        ``auto``: the faster of the two for the setting's family, by the rule
        measured in :mod:`solvers.form_rule` (gradient on small or folded
        grids, in 1D and 3D, for samples; measure for large 2D grids with a
        density); ``solution.form`` and ``solution.form_reason`` say which.
        The forms' grid values differ by O(h).
    stencil : int
        Measure form only: spread directions p with |p|_inf <= stencil.
    warm_start : {"none", "coarse"} or WarmStart
        Gradient form only: extra pair rows for the first LP
        (:mod:`solvers.gradient.warm_start`); the optimum is the cold one.
        ``coarse`` solves on the k/2 grid first; a trained RochetNet's start
        is built by :func:`neural.warm_start.rochetnet_warm_start` and passed
        as a :class:`~solvers.solution.WarmStart`.
    transport : {"auto", "lp", "multipliers"}
        Measure form only: solve the transport dual as its own LP, or read it
        from the u-only LP's multipliers (auto: its own LP up to
        :data:`solvers.measure.solve.TRANSPORT_LP_MAX_POINTS` points, the
        multipliers beyond and whenever that LP fails;
        ``solution.dual.source`` says which).
    fold : bool or None
        Solve for group-invariant (u, g) when signed axis
        permutations about c keep the grid, B and every weight
        (:mod:`solvers.symmetry`; exact, the certificate is recomputed on the
        unfolded arrays). None or True: fold when such a group exists.
    **params
        ``alpha``, ``belief``, ``dist``, ``types`` (type box ``"4:16,4:7"``,
        solved on the unit box by x = lo + D y; the menu is reported in these
        units) and ``allocations`` (``box``, ``unit-demand``,
        ``polytope:A.npy,b.npy`` or inline ``polytope:a1 a2 <= b; ..``) for
        :func:`grids.make_setting`. A polytope B needs the gradient form.

    Raises
    ------
    grids.InvalidInput
        Any bad argument, setting, parameter or grid, before any work
        (:func:`validate`).
    solvers.status.SolverFailure
        The LP failed (status infeasible, time_limit, round_limit, ...).
    """
    s, g = validate(setting, grid, solver=solver, quadrature=quadrature, pair_tol=pair_tol, gap_tol=gap_tol,
                    max_rounds=max_rounds, time_limit=time_limit, threads=threads, feasibility_tol=feasibility_tol,
                    reduce_axis=reduce_axis, form=form, stencil=stencil, warm_start=warm_start, fold=fold,
                    transport=transport, **params)
    options = BackendOptions(feasibility_tol, time_limit, threads)
    choice = choose_form(s, g, form=form, warm_start=warm_start, fold=fold)
    if choice.form == "measure":
        from solvers.measure.solve import solve_measure

        return solve_measure(s, g, radius=stencil, solver=solver, gap_tol=gap_tol, row_tol=pair_tol, options=options,
                             fold=fold, transport=transport, form_reason=choice.reason)
    t_warm = time.perf_counter()
    if isinstance(warm_start, str) and warm_start == "coarse":
        coarse = solve(s, make_grid(s, g.k // 2, g.quadrature), form="gradient", solver=solver, pair_tol=pair_tol,
                       gap_tol=gap_tol, max_rounds=max_rounds, time_limit=time_limit, threads=threads,
                       reduce_axis=reduce_axis)
        warm_start = coarse_warm_start(coarse, g, time.perf_counter() - t_warm)
    elif isinstance(warm_start, str):
        warm_start = None
    return solve_gradient(s, g, solver=solver, options=options, pair_tol=pair_tol, gap_tol=gap_tol,
                          max_rounds=max_rounds, reduce_axis=reduce_axis, warm_start=warm_start,
                          warm_s=time.perf_counter() - t_warm, fold=fold, form_reason=choice.reason)
