"""Smoke tests of solvers.plot on synthetic menu mechanisms."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import grids
from solvers.plot import plot_solution, save_figure

from conftest import check_png

K = 8


def menu_mechanism(setting: grids.Setting, grid: grids.Grid) -> tuple[np.ndarray, np.ndarray]:
    """u = max over a small menu (no-trade item included) and g its argmax allocation.

    Items are the corners of B; an item a costs <a, c> + 0.25 ||a||_1, so u(c) = 0.
    """
    lo, hi, c = setting.market.lo, setting.market.hi, setting.c
    items = np.array(list(itertools.product(sorted({lo, 0.0, hi}), repeat=setting.n)))
    prices = items @ c + 0.25 * np.abs(items).sum(axis=1)
    values = grid.points @ items.T - prices  # (N, items)
    best = np.argmax(values, axis=1)
    u = np.maximum(values[np.arange(grid.size), best], 0.0)
    g = np.where((values[np.arange(grid.size), best] > 0)[:, None], items[best], 0.0)
    return u, g


@pytest.mark.parametrize(
    ("name", "n_axes"),
    [("amm1d", 2), ("amm2d", 3 + 2), ("monopolist2d", 3 + 2), ("amm3d", 3 * 5 + 1)],
)
def test_plot_solution_writes_png(tmp_path, name: str, n_axes: int) -> None:
    setting = grids.make_setting(name, alpha=0.0)
    grid = grids.make_grid(setting, K)
    u, g = menu_mechanism(setting, grid)
    assert u[grid.c_index] == 0.0
    fig = plot_solution(setting, grid, u, g, title="synthetic menu")
    assert len(fig.axes) == n_axes
    assert name in fig.get_suptitle() and f"k = {K}" in fig.get_suptitle()
    path = tmp_path / f"{name}.png"
    save_figure(fig, path)
    check_png(path, fig)


def test_plot_solution_1d_accepts_flat_g(tmp_path) -> None:
    setting = grids.make_setting("amm1d")
    grid = grids.make_grid(setting, K)
    u, g = menu_mechanism(setting, grid)
    fig = plot_solution(setting, grid, u, g[:, 0])
    assert len(fig.axes) == 2


def test_plot_solution_rejects_bad_shapes() -> None:
    setting = grids.make_setting("amm2d")
    grid = grids.make_grid(setting, K)
    u, g = menu_mechanism(setting, grid)
    with pytest.raises(ValueError, match="g has shape"):
        plot_solution(setting, grid, u, g[:, :1])
    with pytest.raises(ValueError, match="u has shape"):
        plot_solution(setting, grid, u[:-1], g)


@pytest.mark.parametrize("name,types", [("monopolist2d", "4:16,4:7"), ("amm1d", "2:5")])
def test_type_box_plots_in_user_units(tmp_path, name: str, types: str) -> None:
    """Axes span the type box (cell edges half a cell beyond it), allocations are drawn as
    g = g'/D, so the colour scale is B's own bounding box."""
    from solvers import solve

    sol = solve(name, K, types=types)
    fig = sol.plot(tmp_path / "box.png")
    check_png(tmp_path / "box.png", fig)
    lo, hi = sol.setting.types.lower, sol.setting.types.lower + sol.setting.types.width
    ax = fig.axes[0]
    half = sol.setting.types.width[0] / (2 * K)
    if name == "amm1d":
        assert ax.get_xlim() == pytest.approx((lo[0], hi[0]))
        assert fig.axes[1].get_lines()[0].get_ydata().max() <= sol.setting.allocations.hi[0] + 1e-12
    else:
        assert ax.get_xlim() == pytest.approx((lo[0] - half, hi[0] + half))
        mesh = ax.collections[0]
        assert mesh.get_clim() == (0.0, 1.0) and float(np.max(mesh.get_array())) <= 1.0 + 1e-9
