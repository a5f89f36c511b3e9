"""cvxpy + SCS: a first-order conic backend, re-solved with warm start each round."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from solvers import status as st
from solvers.backends.base import BackendOptions, BackendResult


class ScsBackend:
    """The LP as a cvxpy problem solved by SCS (eps tightened to the feasibility tolerance).

    SCS stops at a relative accuracy; the certificate then reports the gap it
    really reached, usually marking the solution ``inaccurate``.
    """

    name = "scs"
    supports_basis = False
    first_order = True

    def __init__(self, options: BackendOptions) -> None:
        import cvxpy  # imported here: the default backend does not need it

        self.cp = cvxpy
        self.options = options
        self._rows: list[sparse.csr_matrix] = []
        self._z0: np.ndarray | None = None

    def load(
        self, cost: np.ndarray, lower: np.ndarray, upper: np.ndarray, rows: sparse.csr_matrix,
        row_lower: np.ndarray | None = None, basis: object = None,
    ) -> None:
        """Hold the LP; SCS has no basis, so ``basis`` is ignored."""
        self.cost, self.lower, self.upper = cost, lower, upper
        self._rows = [rows]
        self._row_lower = [np.zeros(rows.shape[0]) if row_lower is None else np.asarray(row_lower)]

    def add_rows(self, rows: sparse.csr_matrix) -> None:
        self._rows.append(rows)
        self._row_lower.append(np.zeros(rows.shape[0]))

    def solve(self) -> BackendResult:
        cp = self.cp
        A = sparse.vstack(self._rows).tocsr()
        z = cp.Variable(len(self.cost))
        finite = np.isfinite(self.upper)
        rows_con = A @ z >= np.concatenate(self._row_lower)
        cons = [rows_con, z >= self.lower]
        if finite.any():
            cons.append(z[np.flatnonzero(finite)] <= self.upper[finite])
        prob = cp.Problem(cp.Maximize(self.cost @ z), cons)
        if self._z0 is not None:
            z.value = self._z0
        eps = max(self.options.feasibility_tol, 1e-9)
        kwargs = {"eps_abs": eps, "eps_rel": eps, "max_iters": 200_000, "warm_start": self._z0 is not None}
        if np.isfinite(self.options.time_limit):
            kwargs["time_limit_secs"] = float(self.options.time_limit)
        try:
            prob.solve(solver=cp.SCS, **kwargs)
        except cp.error.SolverError as err:
            return BackendResult(st.SOLVER_ERROR, str(err), None, None, None, 0)
        iters = int(prob.solver_stats.num_iters or 0)
        if prob.status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
            return BackendResult(st.INFEASIBLE, prob.status, None, None, None, iters)
        if prob.status in (cp.UNBOUNDED, cp.UNBOUNDED_INACCURATE):
            return BackendResult(st.UNBOUNDED, prob.status, None, None, None, iters)
        if z.value is None:
            return BackendResult(st.SOLVER_ERROR, str(prob.status), None, None, None, iters)
        self._z0 = np.asarray(z.value, dtype=np.float64)
        # The certificate judges accuracy from the returned arrays, so an
        # "optimal_inaccurate" SCS answer is passed on as a solution.
        return BackendResult(
            st.OPTIMAL, str(prob.status), self._z0, np.maximum(np.asarray(rows_con.dual_value), 0.0),
            float(prob.value), iters,
        )
