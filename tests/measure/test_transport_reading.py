"""Reading the transport certificate (DESIGN §1.2): flow paths, the no-trade region, the plot."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from scipy import ndimage

import grids
from grids.measure import grid_measure
from solvers import solve
from solvers.measure.reading import TransportDual
from solvers.measure.stencil import Stencil
from solvers.measure.reading import (MASS_TOL, face_groups, flow_paths, inward_cells, no_trade_region,
                                       origin_shares, zero_allocation_region)

from conftest import check_png
from reference import table2_menu

K = 32
# One grid step in l_inf: the 3 x 3 block around a point.
ONE_STEP = np.ones((3, 3), dtype=bool)


@pytest.fixture(scope="module")
def measure_sol():
    return solve("amm2d", K, form="measure")


@pytest.fixture(scope="module")
def gradient_sol():
    return solve("amm2d", K)


def within_one_step(a: np.ndarray, b: np.ndarray) -> bool:
    """Discrete Hausdorff distance <= 1 step in l_inf: each region lies in the other's one-step dilation.

    So every point of the symmetric difference is a grid neighbour (diagonals
    included) of a point of the other region: the regions "agree up to one cell".
    """
    return bool(np.all(b <= ndimage.binary_dilation(a, ONE_STEP)) and np.all(a <= ndimage.binary_dilation(b, ONE_STEP)))


def test_paths_carry_the_edge_flow_and_its_cost(measure_sol) -> None:
    d, grid = measure_sol.dual, measure_sol.grid
    paths = flow_paths(d, grid)
    net = d.net_flow()
    assert len(paths) > 100  # measured 550 at k = 32
    # No cycles in an optimal AMM flow (every edge costs h), so path costs add up to the
    # edge-flow cost, which is the dual value. 1e-10: each of the ~2,000 edges may drop
    # a residue <= MASS_TOL = 1e-12 (times h), plus float64 round-off of the sums.
    cost = sum(p.cost for p in paths)
    assert cost == pytest.approx(grid.h * np.abs(net).sum(), abs=1e-10)
    assert cost == pytest.approx(d.value, abs=1e-10)
    # Mass conservation: what paths take out of a point minus what they bring equals its
    # net edge outflow; same 1e-10 bound (tolerance residues over a point's few edges).
    out = np.zeros(grid.size)
    np.add.at(out, d.stencil.edge_tail, net)
    np.add.at(out, d.stencil.edge_head, -net)
    by_paths = Counter()
    for p in paths:
        by_paths[p.nodes[0]] += p.amount
        by_paths[p.nodes[-1]] -= p.amount
    assert np.allclose(out, [by_paths[i] for i in range(grid.size)], atol=1e-10, rtol=0)
    for p in paths:
        steps = np.abs(np.diff(grid.lattice[list(p.nodes)], axis=0)).sum(axis=1)
        assert np.all(steps == 1) and p.amount > MASS_TOL
        # Complementary slackness: u rises by exactly h along each step of an optimal
        # flow and is 1-Lipschitz in l1, so every path is an l1 geodesic (exact integers).
        assert len(p.nodes) - 1 == np.abs(grid.lattice[p.nodes[-1]] - grid.lattice[p.nodes[0]]).sum()


def test_paths_cancel_cycles() -> None:
    setting = grids.make_setting("amm2d")
    grid = grids.make_grid(setting, 2)
    stn = Stencil.build(setting, grid, 1)
    edge = {(int(t), int(h)): e for e, (t, h) in enumerate(zip(stn.edge_tail, stn.edge_head))}
    at = lambda i, j: 3 * i + j  # noqa: E731  (C order on the 3 x 3 grid)
    net = np.zeros(len(stn.edge_tail))
    net[edge[at(0, 0), at(0, 1)]] = 1.0 + 0.5   # a path of mass 1, (0,0) -> (0,1) -> (0,2), plus
    net[edge[at(0, 1), at(0, 2)]] = 1.0         # the cycle (0,0) -> (0,1) -> (1,1) -> (1,0) -> (0,0) of 0.5
    net[edge[at(0, 1), at(1, 1)]] = 0.5
    net[edge[at(1, 0), at(1, 1)]] = -0.5        # edges run from lower to higher index: backward
    net[edge[at(0, 0), at(1, 0)]] = -0.5
    dual = TransportDual(stn, grid_measure(setting, grid), np.maximum(net, 0), np.maximum(-net, 0),
                         np.zeros(len(stn.spread_mid)), np.zeros(len(stn.radial_from)), np.zeros(grid.size),
                         0.0, 0.0)
    paths = flow_paths(dual, grid)
    assert [p.nodes for p in paths] == [(at(0, 0), at(0, 1), at(0, 2))]
    # The cycle (4 edges of 0.5 at h = 1/2) is the difference; values are exact binary fractions.
    assert paths[0].cost == 1.0 == grid.h * np.abs(net).sum() - 0.5 * 4 * grid.h


def test_origin_shares_are_fractions(measure_sol) -> None:
    d, grid = measure_sol.dual, measure_sol.grid
    shares = origin_shares(d, grid, face_groups(grid))
    # every point carries mass (negative interior everywhere); 1e-12: sparse LU round-off
    assert shares.min() >= -1e-12
    assert np.allclose(shares.sum(axis=1), 1.0, atol=1e-12, rtol=0)


def test_no_trade_region_agrees_with_zero_allocation(measure_sol, gradient_sol) -> None:
    shape = measure_sol.grid.shape
    region = no_trade_region(measure_sol.dual, measure_sol.grid).reshape(shape)
    zero_gradient = zero_allocation_region(gradient_sol).reshape(shape)
    # The "agree up to one grid cell": both are O(h) discretizations of the same
    # octagon (measured: 341 vs 329 points, symmetric difference 12, all one step apart).
    assert within_one_step(region, zero_gradient)
    assert np.count_nonzero(region ^ zero_gradient) <= 4 * K  # at most a one-cell ring around it
    # Leftover negative mass forces u = 0 in every optimal primal (complementary slackness):
    # the dual's region lies inside the measure-form primal's zero set (measured 341 in 385).
    assert np.all(region <= zero_allocation_region(measure_sol).reshape(shape))


def test_no_trade_region_is_the_central_octagon(measure_sol) -> None:
    grid = measure_sol.grid
    region = no_trade_region(measure_sol.dual, grid).reshape(grid.shape)
    assert region.reshape(-1)[grid.c_index]
    assert not (region[0].any() or region[-1].any() or region[:, 0].any() or region[:, -1].any())
    # The continuous octagon of the paper's Table 2 (alpha = 0): no menu item gives positive utility.
    items, prices = table2_menu(0.0)
    octagon = (np.max(grid.points @ items.T - prices, axis=1) <= 0).reshape(grid.shape)
    assert within_one_step(region, octagon)  # measured: 12 points apart at k = 32, 4 at k = 64
    # The square's 8 symmetries map the region onto itself up to one cell; not exactly, because
    # the LP returns one vertex of a degenerate optimal face (l1 transport plans are not unique).
    for image in (region.T, region[::-1], region[:, ::-1], np.rot90(region), np.rot90(region, 2),
                  np.rot90(region, 3), np.rot90(region, 2).T):
        assert within_one_step(region, image)
    widths = region.sum(axis=1)
    widths = widths[widths > 0]
    top = int(np.argmax(widths))
    assert np.all(np.diff(widths[:top + 1]) >= 0) and np.all(np.diff(widths[top:]) <= 0)
    assert widths.max() >= 0.6 * K  # wide: the octagon spans x in [1/6, 5/6]


def test_boundary_mass_moves_inward(measure_sol) -> None:
    d, grid = measure_sol.dual, measure_sol.grid
    inward = inward_cells(d, grid)
    boundary = np.any((grid.lattice == 0) | (grid.lattice == K), axis=1)
    assert np.all(inward <= boundary)
    # The paper's plan moves all edge mass inward; the LP vertex routes a few cells next to
    # the corners along the edge first (measured 126 of 128).
    assert np.count_nonzero(inward) >= 0.9 * np.count_nonzero(boundary)


def test_transport_plot_writes_png(tmp_path, measure_sol) -> None:
    path = tmp_path / "transport.png"
    fig = measure_sol.plot(path, kind="transport")
    assert len(fig.axes) == 3  # measure panel, its colourbar, partition panel
    assert "amm2d" in fig.get_suptitle() and f"k = {K}" in fig.get_suptitle()
    check_png(path, fig)


def test_transport_plot_1d(tmp_path) -> None:
    fig = solve("amm1d", 16, form="measure").plot(tmp_path / "t.png", kind="transport")
    assert len(fig.axes) == 1


def test_transport_plot_refuses_other_solutions(gradient_sol, measure_sol) -> None:
    with pytest.raises(ValueError, match='form="measure"'):
        gradient_sol.plot(kind="transport")
    with pytest.raises(ValueError, match="n = 3"):
        solve("amm3d", 4, form="measure").plot(kind="transport")
    with pytest.raises(ValueError, match="plot kind"):
        measure_sol.plot(kind="menu")
