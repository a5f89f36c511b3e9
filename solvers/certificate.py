"""Independent checks of a gradient-form solution: values, residuals and the gap.

Nothing here trusts the solver's reported objective. From the arrays alone:

- primal value  P = sum_i w_i (<g_i, d_i> - u_i), with the largest pair
  violation max_ij u_i + <g_i, x_j - x_i> - u_j and the bound violations;
- dual value    D = sum_i h_B(w_i d_i - sum_j y_ij (x_j - x_i)) for the pair
  multipliers y >= 0 (DESIGN §1.1), with the flow residual
  max_{i != c} -(w_i + sum_j y_ij - sum_j y_ji);
- a certified bound D + sum_{i != pin} max(0, -flow_i) h_B(x_i - pin), valid for
  every y >= 0 because every feasible u satisfies 0 <= u_i <= h_B(x_i - pin).

h_B is the support function of the setting's B (a box, unit demand or a
polytope): for fixed y, max over g_i in B of <g_i, residual_i> is h_B, so the
polytope rows' own multipliers are implied (LP duality on B) and D(y) stays
an upper bound for any y >= 0. The pin is where u = 0 (the belief c for a
market maker, the lower corner for a monopolist), the belief c where d vanishes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from grids import Grid, Setting


@dataclass(frozen=True)
class Certificate:
    """Values and residuals recomputed from the returned arrays.

    Attributes
    ----------
    primal_value, dual_value : float
        P and D above.
    dual_bound : float
        D plus the penalty for any flow-constraint violation: an upper bound
        on the discrete optimum whatever the solver's accuracy.
    max_pair_violation : float
        Largest violation of a convexity row over all N^2 ordered pairs.
    primal_bound_violation : float
        Largest violation of u >= 0, u_pin = 0 or g in B.
    dual_flow_violation : float
        Largest violation of w_i + sum_j y_ij - sum_j y_ji >= 0 (i != pin).
    """

    primal_value: float
    dual_value: float
    dual_bound: float
    max_pair_violation: float
    primal_bound_violation: float
    dual_flow_violation: float

    @property
    def gap(self) -> float:
        """dual - primal."""
        return self.dual_value - self.primal_value

    def is_accurate(self, gap_tol: float, pair_tol: float) -> bool:
        """|gap| and (bound - primal) within gap_tol * max(1, |P|); rows within pair_tol."""
        scale = gap_tol * max(1.0, abs(self.primal_value))
        return (
            abs(self.gap) <= scale
            and self.dual_bound - self.primal_value <= scale
            and self.max_pair_violation <= pair_tol
            and self.primal_bound_violation <= pair_tol
        )


def primal_value(setting: Setting, grid: Grid, u: np.ndarray, g: np.ndarray) -> float:
    """sum_i w_i (<g_i, d_i> - u_i) with d_i = (1 - alpha)(x_i - c)."""
    d = (1.0 - setting.alpha) * (grid.points - setting.c)
    return float(np.dot(grid.weights, np.einsum("ij,ij->i", g, d) - u))


def dual_terms(setting: Setting, grid: Grid, y: sparse.csr_matrix) -> tuple[float, np.ndarray]:
    """The dual objective D(y) and the flow slacks w_i + sum_j y_ij - sum_j y_ji."""
    x, w = grid.points, grid.weights
    d = (1.0 - setting.alpha) * (x - setting.c)
    out_flow = np.asarray(y.sum(axis=1)).ravel()
    in_flow = np.asarray(y.sum(axis=0)).ravel()
    residual = w[:, None] * d - (y @ x - out_flow[:, None] * x)
    value = float(setting.B.support(residual).sum())
    return value, w + out_flow - in_flow


def certify(
    setting: Setting, grid: Grid, u: np.ndarray, g: np.ndarray, y: sparse.csr_matrix, max_pair_violation: float
) -> Certificate:
    """Recompute P, D, the certified bound and all residuals.

    ``max_pair_violation`` comes from the final all-pairs scan, which is the
    proof that no convexity row is violated; ``y`` must be entrywise >= 0.
    """
    bound_violation = max(
        float(np.max(-u, initial=0.0)),
        abs(float(u[grid.pin_index])),
        setting.B.violation(g),
    ) + 0.0  # no "-0.0" in reports
    value, flow = dual_terms(setting, grid, y)
    flow[grid.pin_index] = 0.0
    shortfall = np.maximum(-flow, 0.0)
    u_max = setting.B.support(grid.points - setting.pin)
    return Certificate(
        primal_value=primal_value(setting, grid, u, g),
        dual_value=value,
        dual_bound=value + float(np.dot(shortfall, u_max)),
        max_pair_violation=float(max_pair_violation),
        primal_bound_violation=bound_violation,
        dual_flow_violation=float(shortfall.max(initial=0.0)),
    )
