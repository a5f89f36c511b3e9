"""The interface every LP backend implements.

An LP here is: maximize cost @ z subject to col_lower <= z <= col_upper and
rows A z >= 0, where rows are appended over the cut rounds (row lower bounds other than 0 occur
only in the reduced axis LP). A backend keeps
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
    simplex : {"dual", "primal"}
        Simplex variant for backends that have one: dual for LPs with many
        rows and few columns (and for adding rows warm), primal for the
        transport LP (few rows, many columns).
    presolve : bool
        Let the backend presolve. HiGHS 1.15's presolve broke the transport LP
        at k = 256 ("Solve error"); without it the same LP solved in 65 s.
    """

    feasibility_tol: float = 1e-10
    time_limit: float = float("inf")
    threads: int = 0
    simplex: str = "dual"
    presolve: bool = True


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
    supports_basis: bool  # load() accepts a starting basis and basis() reports the final one

    def load(
        self, cost: np.ndarray, lower: np.ndarray, upper: np.ndarray, rows: sparse.csr_matrix,
        row_lower: np.ndarray | None = None, basis: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> None:
        """Start a model with these columns and rows (row_lower <= A z; default 0), optionally from a basis."""

    def add_rows(self, rows: sparse.csr_matrix) -> None:
        """Append rows A z >= 0, keeping what is needed for a warm re-solve."""

    def solve(self) -> BackendResult:
        """Solve the current model."""

    def basis(self) -> tuple[np.ndarray, np.ndarray]:
        """Column and row basis status codes (only where ``supports_basis``)."""


def start_with_new_rows(
    start: tuple[np.ndarray, np.ndarray] | None, added: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """A first-order start (z, row multipliers) after ``added`` rows: their multipliers start at 0."""
    if start is None:
        return None
    z, row_dual = start
    return z, np.concatenate([row_dual, np.zeros(added)])
