"""cuPDLPx, a restarted Halpern PDHG LP solver on NVIDIA GPUs (PyPI ``cupdlpx``).

It stops at relative primal and dual residuals <= FeasibilityTol and relative
gap <= OptimalityTol, so like PDLP its answers violate rows by about the
tolerance; the consumer repairs the primal (:mod:`solvers.gradient.repair`) and
certifies the dual bound from the arrays. The package needs CUDA, so it is
imported when a backend is made; :func:`solvers.backends.make_backend` turns an
import failure into :class:`grids.InvalidInput` before any work.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

from solvers import status as st
from solvers.backends.base import BackendOptions, BackendResult, start_with_new_rows
from solvers.backends.pdlp import FIRST_ORDER_MIN_TOL

NO_TIME_LIMIT_S = 1e9  # cuPDLPx's own default limit is 3600 s; "no limit" is passed as this

# Status names across cuPDLPx versions (``Status`` is a code in some, a name in others).
_STATUS_BY_NAME = {
    "OPTIMAL": st.OPTIMAL,
    "FEAS_POLISH_SUCCESS": st.OPTIMAL,
    "PRIMAL_INFEASIBLE": st.INFEASIBLE,
    "INFEASIBLE": st.INFEASIBLE,
    "INFEASIBLE_OR_UNBOUNDED": st.INFEASIBLE,
    "DUAL_INFEASIBLE": st.UNBOUNDED,
    "UNBOUNDED": st.UNBOUNDED,
    "TIME_LIMIT": st.TIME_LIMIT,
    "ITERATION_LIMIT": st.TIME_LIMIT,
}
_WITH_ITERATE = (st.OPTIMAL, st.TIME_LIMIT)


def import_cupdlpx() -> Any:
    """The ``cupdlpx`` module; raises whatever its import raises (ImportError, OSError for CUDA libraries)."""
    import cupdlpx

    return cupdlpx


def status_name(model: Any, pdlp: Any) -> str:
    """The termination status as a name such as ``OPTIMAL``, from a solved ``cupdlpx.Model``."""
    for attr in ("StatusName", "Status"):
        value = getattr(model, attr, None)
        if isinstance(value, str):
            return value.upper()
    code = getattr(model, "Status", None)
    for name in _STATUS_BY_NAME:
        if code is not None and getattr(pdlp, name, None) == code:
            return name
    return f"UNKNOWN({code})"


def oriented_duals(pi: np.ndarray) -> np.ndarray:
    """Row multipliers >= 0 for rows A z >= l of the maximization, from cuPDLPx's ``Pi``.

    cuPDLPx maximizes by minimizing -cost; its multipliers of rows l <= A z
    are then >= 0 in L = cost @ z + Pi @ (A z - l), but the convention is not
    documented, so the sign that leaves less negative mass is taken and the
    rest clipped to 0. A wrong choice cannot produce a wrong claim: the
    certificate recomputes the dual bound from these arrays, so it would
    show up as a large gap.
    """
    pi = np.asarray(pi, dtype=np.float64)
    sign = 1.0 if np.maximum(-pi, 0.0).sum() <= np.maximum(pi, 0.0).sum() else -1.0
    return np.maximum(sign * pi, 0.0)


class CupdlpxBackend:
    """The LP rebuilt as a ``cupdlpx.Model`` each solve, warm started from the last answer.

    ``feasibility_tol`` (clamped to at least ``FIRST_ORDER_MIN_TOL``) sets both
    FeasibilityTol and OptimalityTol; ``threads`` does not apply on a GPU.
    """

    name = "cupdlpx"
    supports_basis = False
    first_order = True

    def __init__(self, options: BackendOptions) -> None:
        self.cupdlpx = import_cupdlpx()
        self.options = options
        self.tolerance = max(float(options.feasibility_tol), FIRST_ORDER_MIN_TOL)
        self._rows: list[sparse.csr_matrix] = []
        self._row_lower: list[np.ndarray] = []
        self._start: tuple[np.ndarray, np.ndarray] | None = None
        self._sign = 1.0

    def load(
        self, cost: np.ndarray, lower: np.ndarray, upper: np.ndarray, rows: sparse.csr_matrix,
        row_lower: np.ndarray | None = None, basis: object = None,
    ) -> None:
        """Hold the LP; cuPDLPx has no basis, so ``basis`` is ignored."""
        self.cost = np.asarray(cost, dtype=np.float64)
        self.lower = np.asarray(lower, dtype=np.float64)
        self.upper = np.asarray(upper, dtype=np.float64)
        self._rows = [rows.tocsr()]
        self._row_lower = [np.zeros(rows.shape[0]) if row_lower is None else np.asarray(row_lower, dtype=np.float64)]
        self._start = None

    def add_rows(self, rows: sparse.csr_matrix) -> None:
        self._rows.append(rows.tocsr())
        self._row_lower.append(np.zeros(rows.shape[0]))
        self._start = start_with_new_rows(self._start, rows.shape[0])

    def basis(self) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError("cuPDLPx reports no basis (supports_basis is False)")

    def set_start(self, z: np.ndarray, row_dual: np.ndarray | None) -> None:
        """Start the next solve from columns ``z`` and row multipliers ``row_dual`` (>= 0; None: 0)."""
        num_rows = sum(r.shape[0] for r in self._rows)
        y = np.zeros(num_rows) if row_dual is None else np.asarray(row_dual, dtype=np.float64)
        if len(z) != len(self.cost) or len(y) != num_rows:
            raise ValueError(f"start of {len(z)} columns, {len(y)} rows; the LP has {len(self.cost)}, {num_rows}")
        self._start = (np.asarray(z, dtype=np.float64), y)

    def _model(self) -> Any:
        Model, PDLP = self.cupdlpx.Model, self.cupdlpx.PDLP
        a = sparse.vstack(self._rows, format="csr")
        model = Model(
            objective_vector=self.cost, constraint_matrix=a,
            constraint_lower_bound=np.concatenate(self._row_lower),
            constraint_upper_bound=np.full(a.shape[0], np.inf),
            variable_lower_bound=self.lower, variable_upper_bound=self.upper,
        )
        model.ModelSense = PDLP.MAXIMIZE
        limit = self.options.time_limit
        model.setParams(
            TimeLimit=float(limit) if np.isfinite(limit) else NO_TIME_LIMIT_S,
            FeasibilityTol=self.tolerance, OptimalityTol=self.tolerance, OutputFlag=False,
        )
        if self._start is not None and hasattr(model, "setWarmStart"):
            z, row_dual = self._start
            model.setWarmStart(primal=z, dual=self._sign * row_dual)
        return model

    def solve(self) -> BackendResult:
        try:
            model = self._model()
            model.optimize()
        except Exception as err:  # a CUDA failure surfaces as an exception from the extension
            return BackendResult(st.SOLVER_ERROR, f"cuPDLPx: {type(err).__name__}: {err}", None, None, None, 0)
        name = status_name(model, self.cupdlpx.PDLP)
        status = _STATUS_BY_NAME.get(name, st.SOLVER_ERROR)
        iterations = int(getattr(model, "IterCount", 0) or 0)
        message = f"cuPDLPx (relative tolerance {self.tolerance:g}): {name}"
        if status not in _WITH_ITERATE or model.X is None or model.Pi is None:
            return BackendResult(status, message, None, None, None, iterations)
        z = np.asarray(model.X, dtype=np.float64)
        pi = np.asarray(model.Pi, dtype=np.float64)
        row_dual = oriented_duals(pi)
        self._sign = 1.0 if np.dot(pi, row_dual) >= 0 else -1.0
        self._start = (z, row_dual)
        return BackendResult(status, message, z, row_dual, float(self.cost @ z), iterations)
