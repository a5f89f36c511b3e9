"""The interface every LP backend implements.

An LP here is: maximize cost @ z subject to col_lower <= z <= col_upper and
rows A z >= 0, where rows are appended over the cut rounds. A backend keeps
its model between rounds so a re-solve can start from the previous basis or
iterate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy import sparse


@dataclass(frozen=True)
class BackendOptions:
    """Settings shared by the backends.

    Attributes
    ----------
    feasibility_tol : float
        Primal and dual feasibility tolerance on the scaled LP.
    time_limit : float
        Seconds for one solve (inf for none).
    threads : int
        Threads the backend may use (0: its default).
    """

    feasibility_tol: float = 1e-10
    time_limit: float = float("inf")
    threads: int = 0


@dataclass(frozen=True)
class BackendResult:
    """What a backend returns from one solve.

    ``row_dual`` holds one nonnegative multiplier per row of A z >= 0, in the
    Lagrangian L = cost @ z + row_dual @ (A z) of the maximization.
    """

    status: str
    message: str
    z: np.ndarray | None
    row_dual: np.ndarray | None
    objective: float | None
    iterations: int


class Backend(Protocol):
    """A solver that holds one growing LP."""

    name: str

    def load(self, cost: np.ndarray, lower: np.ndarray, upper: np.ndarray, rows: sparse.csr_matrix) -> None:
        """Start a model with these columns and rows."""

    def add_rows(self, rows: sparse.csr_matrix) -> None:
        """Append rows A z >= 0, keeping what is needed for a warm re-solve."""

    def solve(self) -> BackendResult:
        """Solve the current model."""
