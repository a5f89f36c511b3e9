"""Warm starts for the gradient-form LP: initial pair rows from a coarse grid or a RochetNet.

A warm start only chooses which pair rows the first LP holds; the cut loop
then proves, as always, that no row of the full N^2 set is violated, so the
optimum is the cold one whatever the warm start.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

import numpy as np

from grids import Grid, InvalidInput, Setting, make_grid

WARM_STARTS = ("none", "coarse", "rochetnet")
TIGHT_TOL = 1e-9  # a row is tight for the net when its slack is below this (u units)


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


def prolong_index(coarse: Grid, fine: Grid) -> np.ndarray:
    """Fine-grid index of each coarse point (fine k = 2 coarse k)."""
    return np.ravel_multi_index((coarse.lattice * (fine.k // coarse.k)).T, fine.shape)


def coarse_warm_start(setting: Setting, grid: Grid, **solve_kwargs) -> WarmStart:
    """Solve on k/2 and prolong the rows with positive multipliers to k.

    Raises
    ------
    InvalidInput
        k odd, or c not a point of the coarse grid.
    """
    from solvers.api import solve

    require_warm_start("coarse", grid)
    t0 = time.perf_counter()
    coarse_grid = make_grid(setting, grid.k // 2, grid.quadrature)
    coarse = solve(setting, coarse_grid, **solve_kwargs)
    y = coarse.dual.y.tocoo()
    active = y.data > 0
    index = prolong_index(coarse_grid, grid)
    i, j = index[y.row[active]], index[y.col[active]]
    return WarmStart("coarse", i, j, time.perf_counter() - t0,
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


def rochetnet_warm_start(setting: Setting, grid: Grid, config=None) -> WarmStart:
    """Train a RochetNet (neural/), and keep the local pair rows tight for its utility on the grid."""
    from neural.rochetnet import TrainConfig, net_menu, train_rochetnet

    t0 = time.perf_counter()
    result = train_rochetnet(setting, config or TrainConfig(), progress=False)
    alloc, prices = net_menu(result)
    u, g = menu_utility(alloc, prices, grid.points)
    i, j = tight_pairs(grid, u, g)
    return WarmStart("rochetnet", i, j, time.perf_counter() - t0,
                     {"train_s": result.train_seconds, "menu_items": len(prices), "device": result.device,
                      "menu": (alloc, prices)}, start=(u, g))


def require_warm_start(kind: str, grid: Grid, device: str = "auto") -> None:
    """Refuse, before any work, a warm start that cannot be built for ``grid``.

    ``coarse`` needs an even k with c on the k/2 grid; ``rochetnet`` needs torch
    (and CUDA for ``device="cuda"``).
    """
    if kind not in WARM_STARTS:
        raise InvalidInput(f"unknown warm start {kind!r}; known: {', '.join(WARM_STARTS)}")
    if kind == "coarse" and grid.k % 2:
        raise InvalidInput(f"a coarse warm start needs an even grid size, got k = {grid.k}")
    if kind == "coarse" and np.any(grid.lattice[grid.c_index] % 2):
        raise InvalidInput(f"a coarse warm start solves on k = {grid.k // 2} first, but the belief c = "
                           f"{list(grid.points[grid.c_index])} is not a grid point for k = {grid.k // 2}")
    if kind == "rochetnet":
        from neural import require_torch

        require_torch(device, "the rochetnet warm start")


def make_warm_start(kind: str, setting: Setting, grid: Grid, train_config=None, **solve_kwargs) -> WarmStart | None:
    """The named warm start, or None for ``none`` (``train_config``: a neural.TrainConfig for rochetnet)."""
    require_warm_start(kind, grid, getattr(train_config, "device", "auto"))
    if kind == "coarse":
        return coarse_warm_start(setting, grid, **solve_kwargs)
    if kind == "rochetnet":
        return rochetnet_warm_start(setting, grid, train_config)
    return None
