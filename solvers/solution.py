"""The result of a solve: primal mechanism, dual certificate, gap, menu, files.

Modelled on POT's result objects: arrays and values fixed at construction,
derived views (menu, its exact profit, plots, the summary) computed on demand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
from scipy import sparse

from grids import Grid, InvalidInput, Setting
from solvers.certificate import Certificate
from solvers.menu import DEFAULT_MENU_TOL, Menu, extract_menu, menu_tolerance

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from solvers.measure.reading import TransportDual
    from solvers.menu_profit import MenuProfit


@dataclass(frozen=True, eq=False)
class WarmStart:
    """Initial pair rows (i -> j) and what producing them cost.

    ``seconds`` is the time to produce them (a coarse solve, or training);
    ``source`` names the method.
    """

    source: str
    pairs_i: np.ndarray
    pairs_j: np.ndarray
    seconds: float
    info: dict
    start: tuple[np.ndarray, np.ndarray] | None = None  # (u, g) on the grid: a first iterate for first-order backends


@dataclass(frozen=True, eq=False)
class Primal:
    """The mechanism on the grid: utility u, allocation g = grad u, payment t = <g, x> - u."""

    u: np.ndarray
    g: np.ndarray
    t: np.ndarray
    value: float


@dataclass(frozen=True, eq=False)
class Dual:
    """Pair-row multipliers y (N x N, y_ij on row u_j >= u_i + <g_i, x_j - x_i>).

    ``value`` is the dual objective D(y) of DESIGN §1.1 recomputed from y;
    ``bound`` adds the penalty for any flow-constraint shortfall, so it is an
    upper bound on the discrete optimum even for an inexact y.
    """

    y: sparse.csr_matrix
    value: float
    bound: float

    def arrays(self) -> dict[str, np.ndarray]:
        """The multipliers as COO arrays for ``arrays.npz``."""
        y = sparse.coo_matrix(self.y)
        return {"y_row": y.row, "y_col": y.col, "y_val": y.data}

    def summary_extra(self, grid: Grid) -> dict[str, Any]:
        """Form-specific summary entries (none for the gradient form)."""
        return {}


@dataclass(frozen=True)
class RoundLog:
    """One cut round: rows in the LP, solve time, simplex iterations, scan result."""

    rows: int
    lp_s: float
    iterations: int
    max_violation: float
    added: int


@dataclass(frozen=True)
class SolveStats:
    """Counts and wall times (seconds) of the phases of one solve.

    ``iterations`` counts simplex iterations of the reduced axis LP (if used)
    and of every cut round; ``timings`` has build_s, reduced_s, lp_s, scan_s,
    certify_s and total_s. ``rows``, ``columns`` and ``nonzeros`` are those of
    the LP solved (folded when ``group_order`` > 1); the measure form gives
    its primal's rows and both LPs' columns and nonzeros.
    """

    rounds: int
    rows: int
    columns: int
    iterations: int
    timings: dict[str, float]
    history: tuple[RoundLog, ...]
    nonzeros: int = 0
    group_order: int = 1


@dataclass(frozen=True)
class Bound:
    """One row of :meth:`Solution.bounds`: a value, its standard error (0 if exact) and what it bounds."""

    name: str
    value: float
    stderr: float
    kind: str

    def as_dict(self) -> dict[str, Any]:
        stderr = self.stderr if np.isfinite(self.stderr) else None  # None: undefined (one sample)
        return {"name": self.name, "value": self.value, "stderr": stderr, "kind": self.kind}


@dataclass(frozen=True, eq=False)
class Solution:
    """Primal, dual and certificate of one solve.

    ``form`` is ``gradient`` (DESIGN §1.1: ``dual`` holds the pair multipliers
    y) or ``measure`` (§1.2: ``dual`` is a :class:`solvers.measure.solve.TransportDual`
    with flows, moves and their cost; ``primal.g`` is then a one-sided
    difference subgradient of u).

    Attributes
    ----------
    status : str
        ``optimal`` or ``inaccurate`` (see :mod:`solvers.status`); failures
        raise :class:`solvers.status.SolverFailure` instead.
    """

    setting: Setting
    grid: Grid
    solver: str
    status: str
    primal: Primal
    dual: "Dual | TransportDual"
    certificate: Certificate
    stats: SolveStats
    tolerances: dict[str, float] = field(default_factory=dict)
    form: str = "gradient"
    form_reason: str = ""  # why this form: "asked for", or the rule of solvers.form_rule under form="auto"
    warm_start: "WarmStart | None" = None
    # views a form adds to plot(kind=...): name -> figure of this solution (the measure form: "transport")
    figures: dict[str, Callable[["Solution"], "Figure"]] = field(default_factory=dict)
    _cache: dict[tuple, Any] = field(default_factory=dict, init=False, repr=False)

    @property
    def gap(self) -> float:
        """dual - primal, recomputed from the arrays (not the solver's report)."""
        return self.certificate.gap

    def unit_menu(self, tol: float = DEFAULT_MENU_TOL) -> Menu:
        """The menu of the unit-box problem the LP solved (allocations in D B, types in [0,1]^n)."""
        key = ("unit_menu", float(tol))
        if key not in self._cache:
            self._cache[key] = extract_menu(self.grid, self.setting.B, self.primal.u, self.primal.g, tol,
                                            units=self.setting.types.width)  # tol in the user's units
        return self._cache[key]

    def menu(self, tol: float = DEFAULT_MENU_TOL) -> Menu:
        """Distinct allocations within ``tol`` (l_inf, the user's allocation units) clustered by mass, priced
        by conjugacy; in the user's units (the type box's, :meth:`grids.types.TypeBox.prices_from_unit`)."""
        return self.unit_menu(tol).in_user_units(self.setting.types)

    def user_arrays(self) -> dict[str, np.ndarray]:
        """Grid points x, utility u, allocation g and payment t in the user's units (x = lo + D y, g = D^-1 g')."""
        types = self.setting.types
        x = types.from_unit(self.grid.points)
        g = types.allocations_from_unit(self.primal.g)
        return {"x": x, "u": self.primal.u, "g": g, "t": np.einsum("ij,ij->i", g, x) - self.primal.u}

    def menu_profit(self, tol: float = DEFAULT_MENU_TOL, *, seed: int = 0) -> "MenuProfit":
        """Exact expected profit of :meth:`menu` on the continuous type space (a lower bound).

        Exact polytope integration for the uniform law, randomized quasi-Monte
        Carlo with a standard error for other densities, the sample mean for
        sample files (see :mod:`solvers.menu_profit`).
        """
        from solvers.menu_profit import evaluate_menu

        key = ("menu_profit", float(tol), int(seed))
        if key not in self._cache:
            menu = self.unit_menu(tol)  # the profit is the same number in unit and user coordinates
            self._cache[key] = evaluate_menu(self.setting, menu.allocations, menu.prices, seed=seed)
        return self._cache[key]

    def bounds(self, tol: float = DEFAULT_MENU_TOL) -> tuple[Bound, ...]:
        """The values that bracket the optimum, side by side.

        LP primal and dual (the discrete problem), the LP menu's exact profit
        (continuous, a lower bound), the trained net's menu profit when the
        solve was warm-started by a RochetNet (continuous, a lower bound), and
        the closed form where DESIGN §1.4 has one.
        """
        from solvers.known_values import known_optimum
        from solvers.menu_profit import evaluate_menu

        mp = self.menu_profit(tol)
        out = [
            Bound("LP primal", self.primal.value, 0.0, "discrete optimum"),
            Bound("LP dual", self.dual.value, 0.0, "discrete, recomputed"),
            Bound("LP menu profit", mp.value, mp.stderr, f"continuous lower bound ({mp.method})"),
        ]
        net = self.warm_start.info.get("menu") if self.warm_start is not None else None
        if net is not None:
            key = ("net_profit",)
            if key not in self._cache:
                self._cache[key] = evaluate_menu(self.setting, *net)
            nb = self._cache[key]
            out.append(Bound("net menu profit", nb.value, nb.stderr, f"continuous lower bound ({nb.method})"))
        known = known_optimum(self.setting)
        if known is not None:
            out.append(Bound("closed form", known[0], 0.0, known[1]))
        return tuple(out)

    def plot(self, path: str | Path | None = None, kind: str = "allocation") -> "Figure":
        """A figure of the solution, saved if ``path``.

        ``kind="allocation"``: u and the allocation maps (1D curves, 2D maps per
        good, 3D slices). ``kind="transport"`` (measure form, n <= 2): the
        signed measure, the optimal flow and the no-trade region
        (:func:`solvers.measure.plot.plot_transport`).
        """
        from solvers.arguments import out_file
        from solvers.plot import plot_solution, save_figure

        if path is not None:
            out_file(path)
        if kind in self.figures:
            fig = self.figures[kind](self)
        elif kind == "transport":
            raise InvalidInput(f'plot(kind="transport") needs the transport dual; this solution has '
                               f'form="{self.form}": solve with form="measure"')
        elif kind == "allocation":
            fig = plot_solution(self.setting, self.grid, self.primal.u, self.primal.g)
        else:
            raise InvalidInput(f'plot kind must be "allocation" or "transport", got {kind!r}')
        if path is not None:
            save_figure(fig, Path(path))
        return fig

    def summary(self, tol: float = DEFAULT_MENU_TOL) -> dict[str, Any]:
        """A JSON-ready dict: values, gap, residuals, menu, menu profit, timings, LP size."""
        from solvers.report import summary_dict

        return summary_dict(self, tol)

    def save(self, directory: str | Path, tol: float = DEFAULT_MENU_TOL, plot: bool = True) -> Path:
        """Write summary.json, arrays.npz and (if ``plot``) solution.png into ``directory``.

        All or nothing; a folder that cannot be written, or a bad ``tol``, is
        refused with :class:`grids.InvalidInput` before anything is computed.
        """
        from solvers.arguments import out_folder
        from solvers.report import save_solution

        out_folder(directory)
        menu_tolerance(tol)
        return save_solution(self, Path(directory), tol, plot)
