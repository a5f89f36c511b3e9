"""HiGHS dual simplex through highspy: rows added between rounds keep the basis."""

from __future__ import annotations

import highspy
import numpy as np
from scipy import sparse

from solvers import status as st
from solvers.backends.base import BackendOptions, BackendResult

_STATUS = {
    highspy.HighsModelStatus.kOptimal: st.OPTIMAL,
    highspy.HighsModelStatus.kInfeasible: st.INFEASIBLE,
    highspy.HighsModelStatus.kUnbounded: st.UNBOUNDED,
    highspy.HighsModelStatus.kUnboundedOrInfeasible: st.INFEASIBLE,
    highspy.HighsModelStatus.kTimeLimit: st.TIME_LIMIT,
    highspy.HighsModelStatus.kIterationLimit: st.TIME_LIMIT,
}

_BASIS_STATUS = {int(v): v for v in highspy.HighsBasisStatus.__members__.values()}


class _QuietHighs(highspy.Highs):
    """``highspy.Highs`` whose logging is off before its first logged call.

    HiGHS prints its version header on the first call that logs, unless the
    option ``output_flag`` is already false (HiGHS issue #1702: set it before
    any other method). highspy 1.16's constructor itself makes such a call
    (``enableCallbacks``), so ``silent()`` after construction comes too late
    and two lines reach standard output. Turning the flag off inside that
    first call keeps every highspy version quiet; older ones never call it
    from the constructor and are silenced by :func:`new_highs` as before.
    """

    def enableCallbacks(self) -> None:  # noqa: N802 - highspy's name
        self.setOptionValue("output_flag", False)
        super().enableCallbacks()


def new_highs(**options: object) -> highspy.Highs:
    """A HiGHS instance that prints nothing, with ``options`` set (every LP of the project uses this)."""
    h = _QuietHighs()
    h.silent()
    for key, value in options.items():
        h.setOptionValue(key, value)
    return h


def model_status(h: highspy.Highs) -> tuple[str, str]:
    """(project status, HiGHS's own words) of the last run: :data:`_STATUS`, else ``solver_error``."""
    raw = h.getModelStatus()
    return _STATUS.get(raw, st.SOLVER_ERROR), h.modelStatusToString(raw)


class HighsBackend:
    """One ``highspy.Highs`` instance holding the growing LP."""

    name = "highs"
    supports_basis = True

    def __init__(self, options: BackendOptions) -> None:
        self.options = options
        self.highs = new_highs(
            solver="simplex",
            # dual simplex stays dual feasible when rows are added; primal suits few rows, many columns
            simplex_strategy=4 if options.simplex == "primal" else 1,
            primal_feasibility_tolerance=options.feasibility_tol,
            dual_feasibility_tolerance=options.feasibility_tol,
            time_limit=float(options.time_limit),
            presolve="on" if options.presolve else "off",
        )
        if options.threads:
            self.highs.setOptionValue("threads", int(options.threads))
        self._num_rows = 0

    def load(
        self, cost: np.ndarray, lower: np.ndarray, upper: np.ndarray, rows: sparse.csr_matrix,
        row_lower: np.ndarray | None = None, basis: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> None:
        inf = highspy.kHighsInf
        lp = highspy.HighsLp()
        lp.num_col_ = len(cost)
        lp.num_row_ = rows.shape[0]
        lp.sense_ = highspy.ObjSense.kMaximize
        lp.col_cost_ = np.asarray(cost, dtype=np.float64)
        lp.col_lower_ = np.where(np.isinf(lower), -inf, lower)
        lp.col_upper_ = np.where(np.isinf(upper), inf, upper)
        lp.row_lower_ = np.zeros(rows.shape[0]) if row_lower is None else np.asarray(row_lower, dtype=np.float64)
        lp.row_upper_ = np.full(rows.shape[0], inf)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = rows.indptr.astype(np.int32)
        lp.a_matrix_.index_ = rows.indices.astype(np.int32)
        lp.a_matrix_.value_ = rows.data.astype(np.float64)
        lp.a_matrix_.num_col_ = len(cost)
        lp.a_matrix_.num_row_ = rows.shape[0]
        self.highs.passModel(lp)
        self._num_rows = rows.shape[0]
        if basis is not None:
            hb = highspy.HighsBasis()
            hb.col_status = [_BASIS_STATUS[int(v)] for v in basis[0]]
            hb.row_status = [_BASIS_STATUS[int(v)] for v in basis[1]]
            if self.highs.setBasis(hb) != highspy.HighsStatus.kOk:
                raise RuntimeError("HiGHS refused the starting basis")

    def basis(self) -> tuple[np.ndarray, np.ndarray]:
        """Column and row basis status codes (HiGHS's HighsBasisStatus values)."""
        hb = self.highs.getBasis()
        return (np.fromiter((int(v) for v in hb.col_status), np.int64, len(hb.col_status)),
                np.fromiter((int(v) for v in hb.row_status), np.int64, len(hb.row_status)))

    def add_rows(self, rows: sparse.csr_matrix) -> None:
        r = rows.shape[0]
        self.highs.addRows(
            r, np.zeros(r), np.full(r, highspy.kHighsInf), rows.nnz,
            rows.indptr[:-1].astype(np.int32), rows.indices.astype(np.int32), rows.data.astype(np.float64),
        )
        self._num_rows += r

    def solve(self) -> BackendResult:
        self.highs.run()
        status, message = model_status(self.highs)
        info = self.highs.getInfo()
        if status != st.OPTIMAL:
            return BackendResult(status, message, None, None, None, int(info.simplex_iteration_count))
        sol = self.highs.getSolution()
        # HiGHS reports row duals with the sign convention of minimization; for a
        # maximization the multipliers of rows ">= 0" come out nonpositive.
        row_dual = -np.asarray(sol.row_dual, dtype=np.float64)
        return BackendResult(
            status, message, np.asarray(sol.col_value, dtype=np.float64), row_dual,
            float(info.objective_function_value), int(info.simplex_iteration_count),
        )


def run_highs(h: highspy.Highs, what: str, retry_cold: bool = False) -> tuple[np.ndarray, np.ndarray, int]:
    """Run; (col_value, row_dual, iterations) or :class:`SolverFailure` with the status.

    ``retry_cold``: after a status other than optimal, time or iteration limit
    (HiGHS's "Unknown" after many warm re-solves), clear the basis and run once more.
    """
    h.run()
    status, words = model_status(h)
    if retry_cold and status == st.SOLVER_ERROR:
        h.clearSolver()
        h.run()
        status, words = model_status(h)
    info = h.getInfo()
    its = int(info.simplex_iteration_count) + int(info.ipm_iteration_count) + int(info.crossover_iteration_count)
    if status != st.OPTIMAL:
        raise st.SolverFailure(status, f"{what}: HiGHS says {words}")
    sol = h.getSolution()
    return np.asarray(sol.col_value, dtype=np.float64), np.asarray(sol.row_dual, dtype=np.float64), its


def pass_lp(h: highspy.Highs, cost: np.ndarray, lower: np.ndarray, upper: np.ndarray, a: sparse.spmatrix,
            row_lower: np.ndarray, row_upper: np.ndarray) -> None:
    """Load max cost @ x, lower <= x <= upper, row_lower <= a x <= row_upper (column-wise)."""
    a = sparse.csc_matrix(a)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = a.shape[1], a.shape[0]
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, lower, upper
    lp.row_lower_ = row_lower
    lp.row_upper_ = np.where(np.isinf(row_upper), highspy.kHighsInf, row_upper)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(np.float64)
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = a.shape[1], a.shape[0]
    h.passModel(lp)
