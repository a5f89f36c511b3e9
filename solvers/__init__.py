"""Solvers for profit-optimal trading mechanisms: LPs, certificates, menus, files, CLI.

>>> from solvers import solve
>>> sol = solve("amm2d", grid=32, alpha=0.0)
>>> sol.status, round(sol.gap, 12)
('optimal', 0.0)
"""

from solvers.api import solve
from solvers.menu import Menu, MenuItem
from solvers.solution import Dual, Primal, Solution
from solvers.status import InaccurateSolutionWarning, SolverFailure
from solvers.sweeps.run import SweepResult, sweep

__all__ = ["Dual", "InaccurateSolutionWarning", "Menu", "MenuItem", "Primal", "Solution", "SolverFailure",
           "SweepResult", "solve", "sweep"]
