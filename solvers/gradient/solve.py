"""Solve the gradient form (DESIGN §1.1): lazy pair rows, warm re-solves, certificate."""

from __future__ import annotations

import logging
import time
import warnings
from typing import Callable

import numpy as np
from scipy import sparse

from grids import Grid, Setting
from solvers import status as st
from solvers.gradient.axis_reduction import AxisReduction
from solvers.backends import BackendOptions, make_backend
from solvers.certificate import certify
from solvers.gradient.lp import GradientLP, most_violated_pairs
from solvers.gradient.repair import repair_primal
from solvers.gradient.fold import FoldedLP
from solvers.symmetry import GridSymmetry
from solvers.solution import Dual, Primal, RoundLog, Solution, SolveStats, WarmStart

log = logging.getLogger("dualmech")

FIRST_ORDER_SCAN_TOL = 1e-6  # first-order iterates violate rows by ~ their tolerance: add rows only above this


class PairRows:
    """The pair rows (i -> j) held by the LP, in LP row order, with a sorted key set.

    ``key`` names a row: the pair itself, or under symmetry folding the
    canonical pair of its orbit (one folded row stands for the whole orbit).
    """

    def __init__(self, key: Callable[[np.ndarray, np.ndarray], np.ndarray], num_points: int) -> None:
        self.key, self.N = key, num_points
        self.i = self.j = self.keys = np.zeros(0, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.i)

    def new(self, i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The distinct rows among the pairs (i, j) not in the LP yet (and not i == j), as key pairs."""
        key = self.key(i, j)
        fresh = (i != j) & ~np.isin(key, self.keys)
        key = np.unique(key[fresh])
        return key // self.N, key % self.N

    def extend(self, i: np.ndarray, j: np.ndarray) -> None:
        self.i, self.j = np.concatenate([self.i, i]), np.concatenate([self.j, j])
        self.keys = np.sort(np.concatenate([self.keys, self.key(i, j)]))


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


def solve_gradient(
    s: Setting, g: Grid, *, solver: str, options: BackendOptions, pair_tol: float, gap_tol: float,
    max_rounds: int, reduce_axis: bool | None, warm_start: WarmStart | None, warm_s: float = 0.0,
    fold: bool | None = None, form_reason: str = "asked for",
) -> Solution:
    """The cut loop of :func:`solvers.solve` for the gradient form (see its docstring).

    ``form_reason`` is recorded on the solution (why this form: see :mod:`solvers.form_rule`).
    """
    t_start = time.perf_counter()
    lp = GradientLP.build(s, g)
    symmetry = GridSymmetry.detect(s, g) if fold is not False else None
    flp = FoldedLP.build(lp, symmetry)
    if flp.symmetry is not None:
        log.info("symmetry: group of order %d, %d orbits of %d points, %d folded columns",
                 flp.symmetry.order, len(flp.symmetry.reps), g.size, len(flp.cost))
    backend = make_backend(solver, options)
    first_order = getattr(backend, "first_order", False)
    scan_tol = max(pair_tol, FIRST_ORDER_SCAN_TOL) if first_order else pair_tol
    rows = PairRows(flp.keys, g.size)
    rows.extend(*rows.new(*lp.stencil_pairs()))
    timings = {"build_s": time.perf_counter() - t_start, "reduced_s": 0.0, "lp_s": 0.0, "scan_s": 0.0,
               "warm_start_s": warm_s}
    basis, reduced_iterations = None, 0
    use_reduction = reduction_pays(s) if reduce_axis is None else reduce_axis
    if use_reduction and flp.symmetry is None and backend.supports_basis and s.B.is_box:
        basis, reduced_iterations = _reduced_axis_basis(lp, rows.i, rows.j, solver, options)
        timings["reduced_s"] = time.perf_counter() - t_start - timings["build_s"]
    polytope, polytope_lower = lp.fixed_rows()  # polytope rows of B (none for a box; no folding then)
    first = flp.pair_rows(rows.i, rows.j)
    if polytope.shape[0]:  # only for a polytope B, which is never folded (solvers.symmetry)
        first = sparse.vstack([polytope, first], format="csr")
    nonzeros = first.nnz
    backend.load(flp.cost, flp.col_lower, flp.col_upper, first,
                 row_lower=np.concatenate([polytope_lower, np.zeros(len(rows))]), basis=basis)
    if warm_start is not None:
        wi, wj = rows.new(warm_start.pairs_i, warm_start.pairs_j)
        if len(wi):
            extra = flp.pair_rows(wi, wj)
            nonzeros += extra.nnz
            backend.add_rows(extra)
            rows.extend(wi, wj)
        log.info("warm start (%s): %d extra rows, %.2f s to produce", warm_start.source, len(wi), warm_s)
        if warm_start.start is not None and hasattr(backend, "set_start"):
            backend.set_start(flp.restrict(lp.pack(*warm_start.start)), None)  # first-order: first iterate
    history: list[RoundLog] = []
    for round_no in range(1, max_rounds + 1):
        t0 = time.perf_counter()
        res = backend.solve()
        t1 = time.perf_counter()
        timings["lp_s"] += t1 - t0
        if res.status != st.OPTIMAL or res.z is None:
            raise st.SolverFailure(res.status, f"{solver} stopped in cut round {round_no}: {res.message}")
        u, gr = flp.unpack(res.z)
        vi, vj, worst = most_violated_pairs(u, gr, g.points, scan_tol)
        vi, vj = rows.new(vi, vj)
        timings["scan_s"] += time.perf_counter() - t1
        history.append(RoundLog(len(rows), t1 - t0, res.iterations, worst, len(vi)))
        log.info("round %d: %d rows, lp %.2f s (%d iterations), max violation %.1e, adding %d rows",
                 round_no, len(rows), t1 - t0, res.iterations, worst, len(vi))
        if len(vi) == 0:
            break  # either nothing is violated, or only rows already in the LP (solver accuracy)
        extra = flp.pair_rows(vi, vj)
        nonzeros += extra.nnz
        backend.add_rows(extra)
        rows.extend(vi, vj)
    else:
        raise st.SolverFailure(st.ROUND_LIMIT, f"{max_rounds} cut rounds left pair rows violated by {worst:.1e}")

    t_cert = time.perf_counter()
    if first_order:  # the iterate violates rows by about the solver's tolerance: certify a feasible repair
        fixed = repair_primal(s, g, u, gr)
        u, gr = fixed.u, fixed.g
        worst = most_violated_pairs(u, gr, g.points, np.inf)[2]
        log.info("repaired primal: %d planes, max change of u %.1e, pair violation after %.1e",
                 fixed.planes, fixed.max_change, worst)
    # pair rows follow the fixed rows; scaled pair rows are k x the design rows. The polytope rows'
    # multipliers are not needed: the certificate's h_B is their minimum (LP duality on B)
    y_vals = np.maximum(res.row_dual[polytope.shape[0]:] * g.k / lp.scale, 0.0)
    y = flp.lift_duals(y_vals, rows.i, rows.j)
    cert = certify(s, g, u, gr, y, worst)
    timings["certify_s"] = time.perf_counter() - t_cert
    timings["total_s"] = time.perf_counter() - t_start
    status = st.OPTIMAL if cert.is_accurate(gap_tol, pair_tol) else st.INACCURATE
    if status == st.INACCURATE:
        warnings.warn(
            f"{solver}: gap {cert.gap:.2e}, bound gap {cert.dual_bound - cert.primal_value:.2e}, "
            f"max pair violation {worst:.1e} exceed the tolerances (gap {gap_tol:g} relative, pairs {pair_tol:g})",
            st.InaccurateSolutionWarning, stacklevel=3,
        )
    t = np.einsum("ij,ij->i", gr, g.points) - u
    stats = SolveStats(
        rounds=len(history), rows=len(rows), columns=len(flp.cost),
        iterations=reduced_iterations + sum(h.iterations for h in history), timings=timings, history=tuple(history),
        nonzeros=nonzeros, group_order=1 if flp.symmetry is None else flp.symmetry.order,
    )
    return Solution(
        setting=s, grid=g, solver=solver, status=status,
        primal=Primal(u=u, g=gr, t=t, value=cert.primal_value),
        dual=Dual(y=y, value=cert.dual_value, bound=cert.dual_bound),
        certificate=cert, stats=stats, tolerances={"pair": pair_tol, "gap": gap_tol}, warm_start=warm_start,
        form_reason=form_reason,
    )
