"""HiGHS's first-order solver PDLP (cuPDLP-C, on the CPU in the PyPI wheel) through highspy.

PDLP is a restarted primal-dual hybrid gradient method. It stops when three
relative residuals fall below their tolerances, each measured on the
Ruiz/Pock-Chambolle-scaled LP in the 2-norm:

    ||(l - A z)_+|| / (1 + ||l||) <= primal_feasibility_tolerance,
    ||reduced-cost violation|| / (1 + ||cost||) <= dual_feasibility_tolerance,
    |primal - dual objective| / (1 + |primal| + |dual|) <= pdlp_optimality_tolerance

(HiGHS 1.15 ``CupdlpWrapper.cpp`` maps exactly these three options; ``kkt_tolerance``
overrides all three when changed from its default). Its answers violate rows
by about the tolerance, so the consumer repairs the primal
(:mod:`solvers.gradient.repair`) and certifies the dual bound from the arrays.
"""

from __future__ import annotations

import highspy
import numpy as np
from scipy import sparse

from solvers import status as st
from solvers.backends.base import BackendOptions, BackendResult, start_with_new_rows
from solvers.backends.highs import HighsBackend

# Smallest relative tolerance passed to a first-order backend; the BackendOptions
# default 1e-10 is simplex-grade. Measured with PDLP on stencil gradient LPs
# (amm2d k <= 64, beta:2,2 k = 32, amm3d k = 8): 1e-10 was reached too, at 10-30%
# more iterations than 1e-8, and 1e-8 already gives a certified gap ~1e-10 after
# repair (amm2d k = 16, 32). The clamp guards larger LPs, where 2-norm residuals
# over many rows below 1e-8 near float64 noise and the iteration count grows.
FIRST_ORDER_MIN_TOL = 1e-8

_STATUS = {
    highspy.HighsModelStatus.kOptimal: st.OPTIMAL,
    # HiGHS downgrades PDLP's "optimal" to "unknown" when its own componentwise
    # KKT check (max norm, per row and column) misses the same tolerance that
    # PDLP met in the scaled 2-norm: an approximate solution all the same.
    highspy.HighsModelStatus.kUnknown: st.INACCURATE,
    highspy.HighsModelStatus.kInfeasible: st.INFEASIBLE,
    highspy.HighsModelStatus.kUnbounded: st.UNBOUNDED,
    highspy.HighsModelStatus.kUnboundedOrInfeasible: st.INFEASIBLE,
    highspy.HighsModelStatus.kTimeLimit: st.TIME_LIMIT,
    highspy.HighsModelStatus.kIterationLimit: st.TIME_LIMIT,
}

# Statuses whose iterate is passed on (the certificate judges its accuracy).
_WITH_ITERATE = (st.OPTIMAL, st.INACCURATE, st.TIME_LIMIT)


class PdlpBackend(HighsBackend):
    """The growing LP in one ``highspy.Highs`` instance, solved by PDLP.

    The model handling (``load``, ``add_rows``) is :class:`HighsBackend`'s;
    only the solver and its tolerances differ. ``feasibility_tol`` is clamped
    to at least :data:`FIRST_ORDER_MIN_TOL` and sets all three PDLP
    tolerances. HiGHS presolve is off: a warm start is given in the
    variables of the original LP, which presolve would renumber.

    Warm starts: cuPDLP-C starts from a given solution only when both its
    primal and dual parts are valid. Every solve after the first starts from
    the previous answer, with multiplier 0 on rows added since;
    :meth:`set_start` supplies a start from elsewhere.
    """

    name = "pdlp"
    supports_basis = False
    first_order = True

    def __init__(self, options: BackendOptions) -> None:
        super().__init__(options)
        self.tolerance = max(float(options.feasibility_tol), FIRST_ORDER_MIN_TOL)
        for key, value in {
            "solver": "pdlp",
            "presolve": "off",
            "primal_feasibility_tolerance": self.tolerance,
            "dual_feasibility_tolerance": self.tolerance,
            "pdlp_optimality_tolerance": self.tolerance,
        }.items():
            self.highs.setOptionValue(key, value)
        self._start: tuple[np.ndarray, np.ndarray] | None = None

    def load(
        self, cost: np.ndarray, lower: np.ndarray, upper: np.ndarray, rows: sparse.csr_matrix,
        row_lower: np.ndarray | None = None, basis: object = None,
    ) -> None:
        """Start a model; PDLP has no basis, so ``basis`` is ignored."""
        super().load(cost, lower, upper, rows, row_lower=row_lower)
        self._start = None

    def add_rows(self, rows: sparse.csr_matrix) -> None:
        super().add_rows(rows)
        self._start = start_with_new_rows(self._start, rows.shape[0])

    def basis(self) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError("PDLP reports no basis (supports_basis is False)")

    def set_start(self, z: np.ndarray, row_dual: np.ndarray | None) -> None:
        """Start the next solve from columns ``z`` and row multipliers ``row_dual`` (>= 0).

        ``row_dual`` None starts the multipliers at 0: cuPDLP-C reads a start
        only as a primal-dual pair (a primal part alone is ignored). Measured
        on small random LPs: from an optimal pair PDLP stops at its first
        check (0 iterations); from an optimal primal with zero multipliers it
        saves little (480-1680 iterations cold, 520-1440 so started); after
        cut rows are added to a gradient LP, the previous pair halves the
        iterations (amm2d c = 1/4, k = 32: 2080 -> 1160).
        """
        z = np.asarray(z, dtype=np.float64)
        if len(z) != self.highs.getNumCol():
            raise ValueError(f"start has {len(z)} columns; the LP has {self.highs.getNumCol()}")
        num_rows = self.highs.getNumRow()
        y = np.zeros(num_rows) if row_dual is None else np.asarray(row_dual, dtype=np.float64)
        if len(y) != num_rows:
            raise ValueError(f"start has {len(y)} row multipliers; the LP has {num_rows} rows")
        self._start = (z, y)

    def _pass_start(self) -> None:
        z, row_dual = self._start
        sol = highspy.HighsSolution()
        sol.col_value = z  # HiGHS computes the row values A z itself
        sol.value_valid = True
        sol.col_dual = np.zeros(len(z))  # cuPDLP-C reads only the row multipliers
        sol.row_dual = -row_dual  # HiGHS's minimization sign convention (see HighsBackend.solve)
        sol.dual_valid = True
        if self.highs.setSolution(sol) != highspy.HighsStatus.kOk:
            raise RuntimeError("HiGHS refused the PDLP starting point")

    def solve(self) -> BackendResult:
        if self._start is not None:
            self._pass_start()
        self.highs.run()
        model_status = self.highs.getModelStatus()
        status = _STATUS.get(model_status, st.SOLVER_ERROR)
        message = f"PDLP (relative tolerance {self.tolerance:g}): {self.highs.modelStatusToString(model_status)}"
        info = self.highs.getInfo()
        iterations = int(info.pdlp_iteration_count)
        sol = self.highs.getSolution()
        if status not in _WITH_ITERATE or not (sol.value_valid and sol.dual_valid):
            return BackendResult(status, message, None, None, None, iterations)
        z = np.asarray(sol.col_value, dtype=np.float64)
        # Minimization sign convention as in HighsBackend; PDLP's multipliers
        # can have small wrong-signed entries, clipped here (the certificate
        # needs y >= 0 and recomputes everything it reports).
        row_dual = np.maximum(-np.asarray(sol.row_dual, dtype=np.float64), 0.0)
        self._start = (z, row_dual)
        return BackendResult(status, message, z, row_dual, float(info.objective_function_value), iterations)
