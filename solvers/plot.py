"""Figures of a one-trader mechanism (DESIGN §1): utility u and allocation g = grad u.

All figures are built with the object API (:class:`matplotlib.figure.Figure`),
never through pyplot, so nothing here touches global state or needs a display.
Maps follow the paper's Figure 2: x1 horizontal, x2 vertical, origin at the
lower left; every grid point is the centre of its coloured cell. Allocations
use ``RdBu_r`` on [lo, hi] for a market maker (red = buy, blue = sell, white =
no trade) and ``viridis`` on [0, 1] for a monopolist.
"""

from __future__ import annotations

import pathlib
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from grids import Grid, Setting

DPI = 110
SLICES_3D = (0.0, 0.25, 0.5, 0.75, 1.0)
C_MARKER = dict(marker="o", ms=5, mfc="k", mec="w", mew=1.0, ls="none", clip_on=False, zorder=5)


def _heading(setting: "Setting", grid: "Grid", title: str | None) -> str:
    base = f"{setting.name}: alpha = {setting.alpha:g}, k = {grid.k}"
    return base if title is None else f"{title}\n{base}"


def _colour_map(setting: "Setting") -> dict[str, object]:
    """pcolormesh keywords for allocations: colormap and the range of B's bounding box (user units)."""
    cmap = "viridis" if setting.market.name == "monopolist" else "RdBu_r"
    return {"cmap": cmap, "vmin": min(setting.allocations.lo), "vmax": max(setting.allocations.hi)}


def _alloc_label(setting: "Setting", j: int) -> str:
    if setting.market.name == "monopolist":
        return f"g{j + 1} (units of good {j + 1} sold)"
    return f"g{j + 1} (+ buy / - sell)"


def cell_edges(k: int) -> np.ndarray:
    """Edges of the k + 1 cells centred on the grid points j / k: -h/2 .. 1 + h/2."""
    return (np.arange(k + 2) - 0.5) / k


def _axis(setting: "Setting", k: int, a: int, y: np.ndarray) -> np.ndarray:
    """Unit coordinates y of axis a in the user's units, lo_a + D_a y."""
    return setting.types.lower[a] + setting.types.width[a] * y


def _check(setting: "Setting", grid: "Grid", u: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """u reshaped to grid.shape and g (in the user's units, g = D^-1 g') to grid.shape + (n,), after shape checks."""
    n, N = grid.n, grid.size
    if setting.n != n:
        raise ValueError(f"setting {setting.name} has n = {setting.n} but the grid has n = {n}")
    u = np.asarray(u, dtype=np.float64)
    g = np.asarray(g, dtype=np.float64)
    if g.ndim == 1 and n == 1:
        g = g[:, None]
    if u.shape != (N,):
        raise ValueError(f"u has shape {u.shape}; expected ({N},)")
    if g.shape != (N, n):
        raise ValueError(f"g has shape {g.shape}; expected ({N}, {n})")
    g = setting.types.allocations_from_unit(g)
    return u.reshape(grid.shape), g.reshape(grid.shape + (n,))


def _map(ax: "Axes", setting: "Setting", k: int, values: np.ndarray):
    """One allocation map; ``values[i1, i2]`` is drawn with x1 horizontal, x2 vertical (user units)."""
    ex, ey = _axis(setting, k, 0, cell_edges(k)), _axis(setting, k, 1, cell_edges(k))
    mesh = ax.pcolormesh(ex, ey, values.T, shading="flat", **_colour_map(setting))
    ax.set_xlim(ex[0], ex[-1])
    ax.set_ylim(ey[0], ey[-1])
    ax.set_aspect("equal" if setting.types.is_unit else "auto")
    return mesh


def _pin(setting: "Setting") -> np.ndarray:
    """The point where u = 0 (the belief c for a market maker), in the user's units."""
    return setting.types.from_unit(setting.pin)


def _plot_1d(fig: Figure, setting: "Setting", grid: "Grid", U: np.ndarray, G: np.ndarray) -> None:
    x = _axis(setting, grid.k, 0, grid.points[:, 0])
    c = float(_pin(setting)[0])
    ax_u, ax_g = fig.subplots(1, 2)
    ax_u.plot(x, U, "-", color="C0", lw=1.5, label="u(x)")
    ax_u.plot([c], [U[grid.pin_index]], color="C3", label=f"c = {c:g}", **{**C_MARKER, "mfc": "C3", "ms": 6})
    ax_u.axvline(c, color="0.6", ls=":", lw=1)
    xlim = (x[0], x[-1])
    ax_u.set(xlabel="type x", ylabel="utility u(x)", title="trader utility", xlim=xlim)
    ax_u.legend(loc="best", fontsize="small")
    ax_g.plot(x, G[:, 0], color="C1", lw=1.5, drawstyle="steps-mid", label="g(x)")
    ax_g.axhline(0.0, color="0.6", lw=0.8)
    ax_g.axvline(c, color="0.6", ls=":", lw=1)
    lo, hi = setting.allocations.lo[0], setting.allocations.hi[0]
    ax_g.set(xlabel="type x", ylabel=_alloc_label(setting, 0), title="allocation g = u'",
             xlim=xlim, ylim=(lo - 0.05, hi + 0.05))


def _plot_2d(fig: Figure, setting: "Setting", grid: "Grid", U: np.ndarray, G: np.ndarray) -> None:
    k, c = grid.k, _pin(setting)
    axes = fig.subplots(1, 3)
    mesh = None
    for j in range(2):
        ax = axes[j]
        mesh = _map(ax, setting, k, G[..., j])
        ax.plot([c[0]], [c[1]], **C_MARKER)
        ax.set(xlabel="x1", ylabel="x2", title=f"allocation of good {j + 1}")
    cb = fig.colorbar(mesh, ax=list(axes[:2]), shrink=0.85)
    cb.set_label("g (+ buy / - sell)" if setting.market.name != "monopolist" else "g (units sold)")
    ax = axes[2]
    y = np.arange(k + 1) / k
    x1, x2 = _axis(setting, k, 0, y), _axis(setting, k, 1, y)
    umin, umax = float(U.min()), float(U.max())
    levels = MaxNLocator(12).tick_values(umin, umin + max(umax - umin, 1e-12))
    cf = ax.contourf(x1, x2, U.T, levels=levels, cmap="magma")
    ax.plot([c[0]], [c[1]], **C_MARKER)
    ax.set(xlabel="x1", ylabel="x2", title="utility u", xlim=(x1[0], x1[-1]), ylim=(x2[0], x2[-1]))
    ax.set_aspect("equal" if setting.types.is_unit else "auto")
    fig.colorbar(cf, ax=ax, shrink=0.85, label="u")


def _plot_3d(fig: Figure, setting: "Setting", grid: "Grid", U: np.ndarray, G: np.ndarray) -> None:
    k, n, c = grid.k, grid.n, _pin(setting)
    planes = [int(np.clip(np.rint(v * k), 0, k)) for v in SLICES_3D]
    c_plane = grid.lattice[grid.pin_index, 2]
    axes = fig.subplots(n, len(planes), sharex=True, sharey=True, squeeze=False)
    mesh = None
    for j in range(n):
        for s, p in enumerate(planes):
            ax = axes[j, s]
            mesh = _map(ax, setting, k, G[:, :, p, j])
            if p == c_plane:
                ax.plot([c[0]], [c[1]], **{**C_MARKER, "ms": 4})
            ax.set_title(f"g{j + 1}, x3 = {float(_axis(setting, k, 2, np.array(p / k))):.3g}", fontsize="small")
            ax.tick_params(labelsize="x-small")
            if j == n - 1:
                ax.set_xlabel("x1", fontsize="small")
            if s == 0:
                ax.set_ylabel("x2", fontsize="small")
    fig.colorbar(mesh, ax=axes.ravel().tolist(), shrink=0.8,
                 label="g (+ buy / - sell)" if setting.market.name != "monopolist" else "g (units sold)")


def plot_solution(setting: "Setting", grid: "Grid", u: np.ndarray, g: np.ndarray, *,
                  title: str | None = None) -> Figure:
    """Draw a mechanism's utility and allocation on its grid.

    Parameters
    ----------
    setting : Setting
        The setting solved (n, market, alpha, belief c).
    grid : Grid
        Its grid; ``u`` and ``g`` are in the grid's C order.
    u : np.ndarray, shape (N,)
        Trader utility at the grid points.
    g : np.ndarray, shape (N, n)
        Allocation (grad u) at the grid points in the grid's unit coordinates
        (drawn in the user's units, g = D^-1 g', on axes of the type box);
        shape (N,) is accepted for n = 1.
    title : str, optional
        First line of the figure title; the second line always names the
        setting, alpha and k.

    Returns
    -------
    matplotlib.figure.Figure
        1D: two panels, u(x) with c marked and g(x) as a step plot (2 axes).
        2D: one allocation map per good with a shared colourbar, and u as a
        filled contour with its colourbar (3 panels + 2 colourbar axes).
        3D: allocation slices at x3 in 0, 1/4, 1/2, 3/4, 1 (nearest grid
        planes), one row per good, with a shared colourbar (3 x 5 + 1 axes).

    Raises
    ------
    ValueError
        Shapes that do not match the grid, or n outside 1..3.
    """
    U, G = _check(setting, grid, u, g)
    heading = _heading(setting, grid, title)
    if grid.n == 1:
        fig = Figure(figsize=(10, 4), dpi=DPI, layout="constrained")
        _plot_1d(fig, setting, grid, U, G)
    elif grid.n == 2:
        fig = Figure(figsize=(13, 4.2), dpi=DPI, layout="constrained")
        _plot_2d(fig, setting, grid, U, G)
    elif grid.n == 3:
        fig = Figure(figsize=(13, 2.5 * grid.n + 0.6), dpi=DPI, layout="constrained")
        _plot_3d(fig, setting, grid, U, G)
    else:
        raise ValueError(f"plot_solution draws n = 1, 2 or 3 goods; got n = {grid.n}")
    fig.suptitle(heading)
    return fig


def save_figure(fig: Figure, path: pathlib.Path) -> None:
    """Write ``fig`` to ``path`` (format from the suffix), trimmed to its contents.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A figure from :func:`plot_solution`.
    path : pathlib.Path
        Target file; its parent folder must exist.
    """
    fig.savefig(pathlib.Path(path), bbox_inches="tight")
