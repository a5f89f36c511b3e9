"""The transport certificate as a figure, like the paper's Figure 3 (DESIGN §1.2).

Left: the signed measure mu (interior density, boundary mass as a band whose
width is its line density, the unit point mass at c), the net edge flow as
arrows, and the no-trade region (where c's mass spreads) hatched. Right: the
partition the plan induces, each point coloured by where most of the mass
cancelling its negative mass came from (c, or one face of the box), with the
flow paths, the primal's zero set u = 0 for comparison, and the boundary
cells sending mass inward. Object API only (no pyplot), as in
:mod:`solvers.plot`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from grids.grid import axis_cells
from solvers.plot import C_MARKER, DPI, cell_edges
from solvers.measure.reading import (face_groups, flow_paths, inward_cells, no_trade_region, origin_shares,
                                       zero_allocation_region)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from solvers.solution import Solution

MAX_ARROWS = 33  # arrows per axis (k = 32 drawn in full); larger grids are block-averaged
_FACES = ("x1 = 0", "x1 = 1", "x2 = 0", "x2 = 1")
_FACE_COLOURS = ("#fdd0a2", "#c6dbef", "#d9f0a3", "#dadaeb")  # light: the paths are drawn on top
_HATCH = dict(levels=[0.5, 1.5], colors="none", hatches=["//"])


def _cell_areas(sol: "Solution") -> np.ndarray:
    """Length (1D) or area (2D) of each point's quadrature cell, grid-shaped."""
    widths = [np.subtract(*axis_cells(sol.grid.k, float(c), sol.grid.quadrature)[::-1]) for c in sol.setting.c]
    out = widths[0]
    for w in widths[1:]:
        out = np.multiply.outer(out, w)
    return out


def _node_flux(sol: "Solution") -> np.ndarray:
    """Flow vector at each point: per axis, the mean signed net flow over its incident edges."""
    d, grid = sol.dual, sol.grid
    st, net = d.stencil, d.net_flow()
    axis = np.argmax(grid.lattice[st.edge_head] - grid.lattice[st.edge_tail], axis=1)
    total, count = np.zeros((grid.size, grid.n)), np.zeros((grid.size, grid.n))
    for end in (st.edge_tail, st.edge_head):
        np.add.at(total, (end, axis), net)
        np.add.at(count, (end, axis), 1.0)
    return total / np.maximum(count, 1.0)


def _outline(ax: "Axes", x: np.ndarray, mask: np.ndarray, **kw) -> None:
    """Contour of a grid-shaped boolean mask (midway between points in and out)."""
    ax.contour(x, x, mask.T.astype(float), levels=[0.5], **kw)


def _boundary_band(ax: "Axes", line_density: np.ndarray, e: np.ndarray) -> None:
    """The boundary mass as a band along each face, its width proportional to the line density."""
    k = line_density.shape[0] - 1
    segs, widths = [], []
    for i in range(k + 1):
        lo, hi = max(e[i], 0.0), min(e[i + 1], 1.0)
        for val, seg in ((line_density[0, i], [(0, lo), (0, hi)]), (line_density[k, i], [(1, lo), (1, hi)]),
                         (line_density[i, 0], [(lo, 0), (hi, 0)]), (line_density[i, k], [(lo, 1), (hi, 1)])):
            if val > 0:
                segs.append(seg)
                widths.append(val)
    if segs:
        w = np.array(widths)
        ax.add_collection(LineCollection(segs, linewidths=1.0 + 5.0 * w / w.max(), colors="#b2182b",
                                         capstyle="butt", zorder=4, clip_on=False))


def _block_average(vec: np.ndarray, most: int) -> tuple[np.ndarray, np.ndarray]:
    """Average a (k+1, k+1, 2) field over square blocks so at most ``most`` remain per axis.

    Returns the block centres (in grid steps) and the averaged field.
    """
    k1 = vec.shape[0]
    step = int(np.ceil(k1 / most))
    blocks = -(-k1 // step)
    idx = np.arange(blocks * step).reshape(blocks, step)
    valid = idx < k1
    pad = np.zeros((blocks * step, blocks * step, 2))
    pad[:k1, :k1] = vec
    count = np.outer(valid.sum(1), valid.sum(1))[..., None]
    avg = pad.reshape(blocks, step, blocks, step, 2).sum(axis=(1, 3)) / count
    return (idx * valid).sum(1) / valid.sum(1), avg


def _measure_panel(ax: "Axes", fig: Figure, sol: "Solution", region: np.ndarray) -> None:
    grid, d, k = sol.grid, sol.dual, sol.grid.k
    x, e = np.arange(k + 1) / k, cell_edges(k)
    density = d.measure.interior.reshape(grid.shape) / _cell_areas(sol)
    vmax = 1.6 * max(float(np.abs(density).max()), 1e-12)  # a mid tone, so the arrows stay visible
    mesh = ax.pcolormesh(e, e, density.T, cmap="RdBu_r", vmin=-vmax, vmax=vmax, shading="flat")
    fig.colorbar(mesh, ax=ax, shrink=0.8, label="interior density of mu")
    _boundary_band(ax, d.measure.boundary.reshape(grid.shape) * k, e)
    centre, avg = _block_average(_node_flux(sol).reshape(grid.shape + (2,)), MAX_ARROWS)
    mag = np.hypot(avg[..., 0], avg[..., 1])
    show = mag > 1e-3 * max(float(mag.max()), 1e-300)  # drop arrows of round-off flows
    if show.any():
        X, Y = np.meshgrid(centre / k, centre / k, indexing="ij")
        spacing = (centre[1] - centre[0]) / k if len(centre) > 1 else 1.0
        length = np.sqrt(mag[show] / mag.max()) / mag[show]  # arrow length ~ sqrt(flow): small flows stay visible
        ax.quiver(X[show], Y[show], avg[..., 0][show] * length, avg[..., 1][show] * length, angles="xy",
                  scale_units="xy", scale=1.0 / (0.95 * spacing), width=0.0035, color="k", zorder=3)
    ax.contourf(x, x, region.T.astype(float), **_HATCH)
    _outline(ax, x, region, colors="k", linewidths=1.8)
    c = sol.setting.pin  # the point mass sits at the pin (the belief c for a market maker)
    ax.plot([c[0]], [c[1]], **{**C_MARKER, "marker": "*", "ms": 13, "mfc": "#b2182b"})
    mass_c = float(d.measure.point[grid.pin_index])
    ax.legend(handles=[Line2D([], [], color="#b2182b", lw=4, label="boundary mass (width: line density)"),
                       Line2D([], [], **{**C_MARKER, "marker": "*", "ms": 11, "mfc": "#b2182b"},
                              label=f"point mass {mass_c:g} at c"),
                       Patch(fc="none", ec="k", hatch="//", label="no-trade region (c's mass)"),
                       Line2D([], [], color="0.15", marker=r"$\rightarrow$", ls="none", ms=10,
                              label="net flow (length ~ sqrt)")],
              loc="upper center", bbox_to_anchor=(0.5, -0.09), ncol=2, fontsize="small", frameon=False)
    ax.set(xlabel="x1", ylabel="x2", title="signed measure mu and the optimal flow")


def _partition_panel(ax: "Axes", sol: "Solution", region: np.ndarray) -> None:
    grid, d, k = sol.grid, sol.dual, sol.grid.k
    x, e = np.arange(k + 1) / k, cell_edges(k)
    shares = origin_shares(d, grid, face_groups(grid))
    # 0: c's region; 1..4: the face (or 5: interior positive mass) that sent most of the cancelling mass
    origin = np.where(region.ravel() | (shares.max(axis=1) <= 0), 0, 1 + np.argmax(shares[:, 1:], axis=1))
    cmap = ListedColormap(["white", *_FACE_COLOURS, "0.8"])
    ax.pcolormesh(e, e, origin.reshape(grid.shape).T, cmap=cmap, vmin=-0.5, vmax=5.5, shading="flat")
    paths = flow_paths(d, grid)
    if paths:
        pts = grid.points
        amounts = np.array([p.amount for p in paths])
        lines = [pts[list(p.nodes)] for p in paths]
        ax.add_collection(LineCollection(lines, linewidths=0.3 + 1.7 * amounts / amounts.max(), colors="0.25",
                                         alpha=0.6, zorder=2))
    ax.contourf(x, x, region.T.astype(float), **_HATCH)
    _outline(ax, x, region, colors="k", linewidths=1.8)
    _outline(ax, x, zero_allocation_region(sol).reshape(grid.shape), colors="#d6604d", linewidths=1.4,
             linestyles="--")
    inward = grid.points[inward_cells(d, grid)]
    ax.plot(inward[:, 0], inward[:, 1], "s", ms=3, mfc="#b2182b", mec="none", clip_on=False, zorder=4)
    c = sol.setting.pin  # the point mass sits at the pin (the belief c for a market maker)
    ax.plot([c[0]], [c[1]], **C_MARKER)
    faces = [Patch(fc=col, ec="0.6", label=f"served from {name}")
             for j, (col, name) in enumerate(zip(_FACE_COLOURS, _FACES)) if np.any(origin == j + 1)]
    if np.any(origin == 5):
        faces.append(Patch(fc="0.8", ec="0.6", label="served from interior positive mass"))
    ax.legend(handles=[*faces,
                       Line2D([], [], color="0.25", lw=1.5, label=f"flow paths ({len(paths)})"),
                       Patch(fc="white", ec="k", hatch="//", label=f"no-trade, dual ({int(region.sum())} pts)"),
                       Line2D([], [], color="#d6604d", ls="--", label="u = 0, primal"),
                       Line2D([], [], color="#b2182b", marker="s", ls="none", ms=4,
                              label="boundary cells sending inward")],
              loc="upper center", bbox_to_anchor=(0.5, -0.09), ncol=2, fontsize="small", frameon=False)
    ax.set(xlabel="x1", ylabel="x2", title="who cancels each point's negative mass")


def _plot_1d(fig: Figure, sol: "Solution", region: np.ndarray) -> None:
    grid, d, k = sol.grid, sol.dual, sol.grid.k
    x = grid.points[:, 0]
    ax = fig.subplots()
    ax.step(x, d.measure.interior / _cell_areas(sol), where="mid", color="#2166ac", label="interior density")
    ends = d.measure.boundary > 0
    ax.vlines(x[ends], 0, d.measure.boundary[ends] * k, color="#b2182b", lw=3, label="boundary mass x k")
    ax.axvspan(x[region].min() - 0.5 / k, x[region].max() + 0.5 / k, color="0.85", hatch="//", label="no-trade")
    flux = _node_flux(sol)[:, 0]
    ax.quiver(x, np.zeros_like(x), flux, 0 * flux, angles="xy", scale_units="xy",
              scale=max(float(np.abs(flux).max()), 1e-300) / (2.0 / k), width=0.004, color="0.15", label="net flow")
    ax.plot([sol.setting.pin[0]], [0.0], **{**C_MARKER, "marker": "*", "ms": 12, "mfc": "#b2182b"})
    ax.axhline(0.0, color="0.6", lw=0.8)
    ax.set(xlabel="type x", ylabel="density of mu", title="signed measure mu and the optimal flow", xlim=(-0.05, 1.05))
    ax.legend(fontsize="small", loc="best")


def plot_transport(solution: "Solution") -> Figure:
    """Draw the transport certificate of a measure-form solution (the paper's Figure 3).

    Parameters
    ----------
    solution : Solution
        A ``form="measure"`` solution (its ``dual`` is a TransportDual).

    Returns
    -------
    matplotlib.figure.Figure
        2D: the measure / flow panel and the partition panel, plus one
        colourbar (3 axes). 1D: one panel (measure, flow, no-trade interval).

    Raises
    ------
    ValueError
        A gradient-form solution, or n = 3 (no flat picture of a 3D flow).
    """
    if solution.form != "measure":
        raise ValueError('plot_transport needs a measure-form solution; solve with form="measure"')
    n = solution.grid.n
    if n not in (1, 2):
        raise ValueError(f"the transport plot draws n = 1 or 2 goods; this solution has n = {n} "
                         f"(use sol.dual.arrays() or solvers.measure.reading for 3D)")
    region = no_trade_region(solution.dual, solution.grid)
    s = solution.setting
    title = (f"transport certificate of {s.name}: alpha = {s.alpha:g}, k = {solution.grid.k}, "
             f"transport cost {solution.dual.value:.6f}")
    if n == 1:
        fig = Figure(figsize=(8, 4.2), dpi=DPI, layout="constrained")
        _plot_1d(fig, solution, region)
    else:
        fig = Figure(figsize=(13, 7), dpi=DPI, layout="constrained")
        ax_m, ax_p = fig.subplots(1, 2)
        _measure_panel(ax_m, fig, solution, region.reshape(solution.grid.shape))
        _partition_panel(ax_p, solution, region.reshape(solution.grid.shape))
        for ax in (ax_m, ax_p):
            ax.set_xlim(-0.03, 1.03)
            ax.set_ylim(-0.03, 1.03)
            ax.set_aspect("equal")
    fig.suptitle(title)
    return fig
