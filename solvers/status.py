"""Solve statuses, the failure exception and the inaccuracy warning (cvxpy style)."""

from __future__ import annotations

OPTIMAL = "optimal"
INACCURATE = "inaccurate"  # solved, but the certified gap or a residual exceeds its tolerance
INFEASIBLE = "infeasible"
UNBOUNDED = "unbounded"
TIME_LIMIT = "time_limit"
ROUND_LIMIT = "round_limit"  # cut rounds ran out with pair rows still violated
SOLVER_ERROR = "solver_error"

# rows and records that are not an LP's own status
OK = "ok"              # a mechanism evaluated without an LP (broker, rules, transformer, first best)
SKIPPED = "skipped"    # a mechanism that cannot run on the setting, or runs only when named
INVALID = "invalid"    # a sweep instance refused as bad input (grids.InvalidInput)
ERROR = "error"        # a sweep instance that raised anything else
LOST = "lost"          # a sweep instance whose worker died; the next run solves it again

SOLVED = (OPTIMAL, INACCURATE)
FAILED = (INFEASIBLE, UNBOUNDED, TIME_LIMIT, ROUND_LIMIT, SOLVER_ERROR)


class SolverFailure(RuntimeError):
    """The LP could not be solved; carries the status, never a value.

    Attributes
    ----------
    status : str
        One of :data:`FAILED`.
    """

    def __init__(self, status: str, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class InaccurateSolutionWarning(UserWarning):
    """The solution's certified gap or residuals exceed the requested tolerance."""
