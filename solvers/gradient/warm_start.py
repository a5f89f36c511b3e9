"""Warm starts for the gradient-form LP, built as data: initial pair rows and a first iterate.

A warm start only chooses which pair rows the first LP holds; the cut loop
then proves, as always, that no row of the full N^2 set is violated, so the
optimum is the cold one whatever the warm start. From a solution on the k/2
grid (:func:`coarse_warm_start`; the front door :func:`solvers.solve` runs
that solve), or from any menu (:func:`menu_warm_start`; a trained RochetNet's
comes from :func:`neural.warm_start.rochetnet_warm_start`). Nothing here
solves an LP or trains a net.
"""

from __future__ import annotations

import itertools

import numpy as np

from typing import TYPE_CHECKING

from grids import Grid, InvalidInput
from solvers.solution import WarmStart

if TYPE_CHECKING:
    from solvers.solution import Solution

WARM_STARTS = ("none", "coarse")
TIGHT_TOL = 1e-9  # a row is tight for the net when its slack is below this (u units)


def prolong_index(coarse: Grid, fine: Grid) -> np.ndarray:
    """Fine-grid index of each coarse point (fine k = 2 coarse k)."""
    return np.ravel_multi_index((coarse.lattice * (fine.k // coarse.k)).T, fine.shape)


def coarse_warm_start(coarse: "Solution", grid: Grid, seconds: float) -> WarmStart:
    """The pair rows with positive multipliers on the k/2 solution ``coarse``, prolonged to ``grid``.

    ``seconds``: what the coarse solve cost (reported with the warm start).
    """
    require_warm_start("coarse", grid)
    coarse_grid = coarse.grid
    y = coarse.dual.y.tocoo()
    active = y.data > 0
    index = prolong_index(coarse_grid, grid)
    i, j = index[y.row[active]], index[y.col[active]]
    return WarmStart("coarse", i, j, seconds,
                     {"coarse_k": coarse_grid.k, "coarse_rows": int(active.sum()), "coarse_status": coarse.status},
                     start=prolong_solution(coarse_grid, grid, coarse.primal.u, coarse.primal.g))


def prolong_solution(coarse: Grid, fine: Grid, u: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(u, g) of a coarse grid interpolated multilinearly onto the fine grid's points."""
    from scipy.interpolate import RegularGridInterpolator

    axes = [np.linspace(0.0, 1.0, coarse.k + 1)] * coarse.n
    values = np.column_stack([u, g]).reshape(*coarse.shape, coarse.n + 1)
    out = RegularGridInterpolator(axes, values)(fine.points)
    return out[:, 0], out[:, 1:]


def tight_pairs(
    grid: Grid, u: np.ndarray, g: np.ndarray, radius: int = 1, tol: float = TIGHT_TOL
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i, i + p), |p|_inf <= radius, whose row u_j >= u_i + <g_i, x_j - x_i> is tight for (u, g)."""
    m, k = grid.lattice, grid.k
    found_i, found_j = [], []
    for p in itertools.product(range(-radius, radius + 1), repeat=grid.n):
        p = np.array(p)
        if not p.any():
            continue
        target = m + p
        ok = np.flatnonzero(np.all((target >= 0) & (target <= k), axis=1))
        j = np.ravel_multi_index(target[ok].T, grid.shape)
        slack = u[j] - u[ok] - np.einsum("ij,ij->i", g[ok], grid.points[j] - grid.points[ok])
        tight = np.abs(slack) <= tol
        found_i.append(ok[tight])
        found_j.append(j[tight])
    return np.concatenate(found_i), np.concatenate(found_j)


def menu_utility(allocations: np.ndarray, prices: np.ndarray, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """u(x) = max(0, max_k <a_k, x> - p_k) and the chosen allocation at each point."""
    vals = points @ allocations.T - prices
    best = vals.argmax(axis=1)
    u = vals[np.arange(len(points)), best]
    g = allocations[best].copy()
    none = u <= 0
    u[none], g[none] = 0.0, 0.0
    return u, g


def menu_warm_start(source: str, grid: Grid, allocations: np.ndarray, prices: np.ndarray, seconds: float,
                    info: dict) -> WarmStart:
    """The local pair rows tight for the utility of a menu (allocations, prices) on ``grid``, and that utility."""
    u, g = menu_utility(allocations, prices, grid.points)
    i, j = tight_pairs(grid, u, g)
    return WarmStart(source, i, j, seconds, {**info, "menu_items": len(prices), "menu": (allocations, prices)},
                     start=(u, g))


def check_warm_start_name(kind: str) -> None:
    """Refuse a warm-start name other than :data:`WARM_STARTS` (``rochetnet`` with where to build it)."""
    if kind == "rochetnet":
        raise InvalidInput("warm_start='rochetnet' is built by neural: pass "
                           "neural.warm_start.rochetnet_warm_start(setting, grid) (the CLI's --warm-start rochetnet)")
    if kind not in WARM_STARTS:
        raise InvalidInput(f"unknown warm start {kind!r}; known: {', '.join(WARM_STARTS)}")


def require_warm_start(kind: str, grid: Grid) -> None:
    """Refuse, before any work, a named warm start that cannot be built for ``grid``.

    ``coarse`` needs an even k with c on the k/2 grid. A RochetNet warm start
    is not named here: build it with :func:`neural.warm_start.rochetnet_warm_start`
    and pass the :class:`~solvers.solution.WarmStart`.
    """
    check_warm_start_name(kind)
    if kind == "coarse" and grid.k % 2:
        raise InvalidInput(f"a coarse warm start needs an even grid size, got k = {grid.k}")
    if kind == "coarse" and np.any(grid.lattice[grid.pin_index] % 2):
        raise InvalidInput(f"a coarse warm start solves on k = {grid.k // 2} first, but the belief c = "
                           f"{list(grid.points[grid.pin_index])} is not a grid point for k = {grid.k // 2}")
