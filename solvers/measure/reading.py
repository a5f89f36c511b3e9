"""Reading the transport certificate of the measure form (DESIGN §1.2).

The transport dual (:class:`TransportDual`) moves the
positive part of mu onto its negative part: edge flows at l1 cost, free
spreads and radial moves. This module turns those arrays into the paper's
picture (its Figure 3): the flow as source -> sink paths, the no-trade region
(where the point mass at c spreads) and the boundary cells that send mass
inward.

The point mass at c is the one mass the dual LP may leave in place (u(c) = 0),
so an optimal vertex typically never moves it: the final measure ends with
final_c > 0 and leftover negative mass -final_i > 0 at other points. Moving
mass from c to any x is free (it changes integral u d(mu) by u(x) - u(c) >= 0),
so the plan is completed by delivering c's leftover mass straight to those
points. Hence "points reached from c by free moves" would be just {c}; the
no-trade rule below instead attributes, at every point, the mass that cancels
its negative mass to its origin (see :func:`origin_shares`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
from scipy import sparse
from scipy.sparse import linalg as spla

from grids import Grid
from grids.measure import GridMeasure
from solvers.measure.stencil import Stencil

if TYPE_CHECKING:
    from solvers.solution import Solution

FLOW_TOL = 1e-12    # relative to the largest grid mass: smaller flows are solver noise
MASS_TOL = 1e-12  # design mass units; HiGHS' 1e-10 feasibility on N-scaled masses is ~1e-14 here
NO_TRADE_SHARE = 0.5  # a point is no-trade when most of what cancels its negative mass came from c


@dataclass(frozen=True, eq=False)
class TransportDual:
    """The optimal transport certificate: flows, free moves and their cost (design units).

    ``forward``/``backward`` are the masses carried along each axis edge
    (stencil.edge_tail -> edge_head and back), ``spreads`` the mean-preserving
    spreads on (spread_lo, spread_mid, spread_hi), ``radial`` the moves
    radial_from -> radial_to. ``final`` is mu after all moves: <= 0 off c.
    ``source`` says which path produced the plan: ``lp`` (the transport LP
    solved as its own LP), ``multipliers`` (read from the u-only LP's row
    multipliers), or ``multipliers (fallback: transport LP said ...)`` when
    ``transport="auto"`` fell back after the transport LP failed.
    """

    stencil: Stencil
    measure: GridMeasure
    forward: np.ndarray
    backward: np.ndarray
    spreads: np.ndarray
    radial: np.ndarray
    final: np.ndarray
    value: float
    bound: float
    source: str = "lp"

    @property
    def transport_cost(self) -> float:
        return self.value

    def net_flow(self) -> np.ndarray:
        """Forward minus backward mass on each axis edge."""
        return self.forward - self.backward

    def arrays(self) -> dict[str, np.ndarray]:
        """Measure, flows and moves for ``arrays.npz``."""
        st = self.stencil
        return {
            "mu": self.measure.total, "final_measure": self.final,
            "edge_tail": st.edge_tail, "edge_head": st.edge_head, "flow_forward": self.forward,
            "flow_backward": self.backward, "spread_lo": st.spread_lo, "spread_mid": st.spread_mid,
            "spread_hi": st.spread_hi, "spread": self.spreads, "radial_from": st.radial_from,
            "radial_to": st.radial_to, "radial": self.radial,
        }

    def summary_extra(self, grid: Grid) -> dict[str, Any]:
        """transport_cost, the path that produced the plan (``transport_source``), the count of
        edges carrying flow, the no-trade cells, the stencil radius."""
        scale = FLOW_TOL * max(1.0, float(np.abs(self.measure.total).max()))
        return {
            "transport_cost": self.value,
            "transport_source": self.source,
            "flow_edges": int(np.count_nonzero(np.abs(self.net_flow()) > scale)),
            "no_trade_cells": int(np.count_nonzero(no_trade_region(self, grid))),
            "stencil_radius": self.stencil.radius,
        }


@dataclass(frozen=True)
class FlowPath:
    """One source -> sink path of the edge flow: grid indices, mass carried, l1 length and cost.

    ``cost = amount * length`` with ``length = (len(nodes) - 1) * h``.
    """

    nodes: tuple[int, ...]
    amount: float
    length: float

    @property
    def cost(self) -> float:
        return self.amount * self.length


def _flow_graph(dual: "TransportDual", tol: float) -> nx.DiGraph:
    """DiGraph of the edges with net flow > tol, oriented along it; attribute ``flow``."""
    st, net = dual.stencil, dual.net_flow()
    sel = np.flatnonzero(np.abs(net) > tol)
    fwd = net[sel] > 0
    tails = np.where(fwd, st.edge_tail[sel], st.edge_head[sel])
    heads = np.where(fwd, st.edge_head[sel], st.edge_tail[sel])
    graph = nx.DiGraph()
    graph.add_weighted_edges_from(zip(tails.tolist(), heads.tolist(), np.abs(net[sel]).tolist()), weight="flow")
    return graph


def _cancel_cycles(graph: nx.DiGraph, tol: float) -> int:
    """Subtract the bottleneck of each directed cycle until none is left; returns the count."""
    count = 0
    while True:
        try:
            cycle = nx.find_cycle(graph)
        except nx.NetworkXNoCycle:
            return count
        low = min(graph.edges[a, b]["flow"] for a, b in cycle)
        for a, b in cycle:
            graph.edges[a, b]["flow"] -= low
            if graph.edges[a, b]["flow"] <= tol:
                graph.remove_edge(a, b)
        count += 1


def flow_paths(dual: "TransportDual", grid: Grid, tol: float = MASS_TOL) -> list[FlowPath]:
    """Decompose the net edge flow into source -> sink paths (largest first).

    With F_e = forward - backward, the positive-flow graph is made acyclic (cycles
    cancelled), then from each node with excess out(i) - in(i) > 0 a path is walked
    along the widest outgoing edge until a node with in > out, and its bottleneck
    subtracted; so sum_paths amount * length = h sum_e |F_e| (the l1 transport cost).
    In an optimal flow every such path is an l1 geodesic (a monotone staircase).

    Parameters
    ----------
    dual : TransportDual
        The certificate of a measure-form solve.
    grid : Grid
        Its grid (for h).
    tol : float
        Flows and excesses at or below this (design mass units) count as zero.

    Returns
    -------
    list of FlowPath
        Sorted by amount, largest first.
    """
    graph = _flow_graph(dual, tol)
    _cancel_cycles(graph, tol)
    excess = {v: sum(d for _, _, d in graph.out_edges(v, data="flow")) -
              sum(d for _, _, d in graph.in_edges(v, data="flow")) for v in graph.nodes}
    paths: list[FlowPath] = []
    for source in sorted((v for v in graph.nodes if excess[v] > tol), key=lambda v: -excess[v]):
        while excess[source] > tol and graph.out_degree(source):
            nodes = [source]
            while nodes[-1] == source or excess[nodes[-1]] >= -tol:
                succ = graph.succ[nodes[-1]]
                if not succ:
                    break
                nodes.append(max(succ, key=lambda v: succ[v]["flow"]))
            sink = nodes[-1]
            amount = min(excess[source], -excess[sink], *(graph.edges[a, b]["flow"] for a, b in zip(nodes, nodes[1:])))
            if amount <= tol:  # a path ending on round-off: drop its edges' residue
                amount = min(graph.edges[a, b]["flow"] for a, b in zip(nodes, nodes[1:]))
            for a, b in zip(nodes, nodes[1:]):
                graph.edges[a, b]["flow"] -= amount
                if graph.edges[a, b]["flow"] <= tol:
                    graph.remove_edge(a, b)
            excess[source] -= amount
            excess[sink] += amount
            paths.append(FlowPath(tuple(nodes), amount, (len(nodes) - 1) * grid.h))
    return sorted(paths, key=lambda p: -p.amount)


def move_matrix(dual: "TransportDual", tol: float = MASS_TOL) -> sparse.csr_matrix:
    """A[i, j] = mass moved from point i to point j by net edge flows, spreads and radial moves."""
    st, net = dual.stencil, dual.net_flow()
    src = np.concatenate([np.where(net > 0, st.edge_tail, st.edge_head), st.spread_mid, st.spread_mid, st.radial_from])
    dst = np.concatenate([np.where(net > 0, st.edge_head, st.edge_tail), st.spread_lo, st.spread_hi, st.radial_to])
    amt = np.concatenate([np.abs(net), dual.spreads, dual.spreads, dual.radial])
    keep = amt > tol
    n = len(dual.final)
    return sparse.csr_matrix((amt[keep], (src[keep], dst[keep])), shape=(n, n))


def origin_shares(dual: "TransportDual", grid: Grid, groups: np.ndarray, tol: float = MASS_TOL) -> np.ndarray:
    """Fraction of the mass passing through each point that came from each origin group.

    The plan is completed by sending c's leftover mass straight to the points with
    leftover negative mass D_i = max(-final_i, 0) (free: u(c) = 0 <= u). Each point
    pools what arrives (own positive mass, D_i, inflows) and sends on the same mix:
    with throughput T_i, the mass C_ig of group g through i solves
    C_ig = b_ig + sum_j A_ji C_jg / T_j (A: :func:`move_matrix`).

    Parameters
    ----------
    groups : np.ndarray of int, shape (N,)
        Origin group of each point's own positive mass; c's group also owns D.

    Returns
    -------
    np.ndarray, shape (N, groups.max() + 1)
        Rows sum to 1 where anything passes through, else 0.
    """
    A = move_matrix(dual, tol)
    mu, c = dual.measure.total, grid.pin_index
    deliver = np.where(-dual.final > tol, -dual.final, 0.0)
    deliver[c] = 0.0
    own = np.maximum(mu, 0.0)
    through = own + deliver + np.asarray(A.sum(axis=0)).ravel()
    inv = np.divide(1.0, through, out=np.zeros_like(through), where=through > tol)
    rhs = np.zeros((len(mu), int(groups.max()) + 1))
    rhs[np.arange(len(mu)), groups] = own
    rhs[:, groups[c]] += deliver
    system = (sparse.identity(len(mu), format="csc") - (A.T @ sparse.diags(inv)).tocsc())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", spla.MatrixRankWarning)
        mass = spla.spsolve(system, rhs)
    mass = np.asarray(mass.toarray() if sparse.issparse(mass) else mass).reshape(rhs.shape)
    if not np.all(np.isfinite(mass)):  # a closed circulation: take the minimal (Neumann) solution
        mass, P = rhs.copy(), A.T @ sparse.diags(inv)
        for _ in range(10 * len(mu)):
            nxt = rhs + P @ mass
            if np.abs(nxt - mass).max() <= tol:
                break
            mass = nxt
    return mass * inv[:, None]


def no_trade_region(dual: "TransportDual", grid: Grid, tol: float = MASS_TOL,
                    share: float = NO_TRADE_SHARE) -> np.ndarray:
    """Points whose negative mass is cancelled mostly by the point mass at c, and c itself.

    A point i with mu_i < 0 is no-trade when the share of c-mass in what passes
    through it (:func:`origin_shares`) is at least ``share`` (default: a majority).
    Points with leftover negative mass have u_i = 0 in every optimal primal
    (complementary slackness), so the region sits inside the primal's zero set.

    Returns
    -------
    np.ndarray of bool, shape (N,)
    """
    groups = np.zeros(grid.size, dtype=np.int64)
    groups[grid.pin_index] = 1
    c_share = origin_shares(dual, grid, groups, tol)[:, 1]
    region = (c_share >= share) & (dual.measure.total < -tol)
    region[grid.pin_index] = True
    return region


def face_groups(grid: Grid) -> np.ndarray:
    """Origin group per point: 0 c, 1 + 2a + s the face x_a = s (s in {0, 1}), 2n + 1 interior.

    A boundary point on several faces belongs to the one it is farthest out on
    (largest |m_a - k c_a|, first axis on ties).
    """
    m, k = grid.lattice, grid.k
    on = (m == 0) | (m == k)
    dist = np.where(on, np.abs(m - m[grid.pin_index]), -1)
    axis = np.argmax(dist, axis=1)
    side = (m[np.arange(grid.size), axis] == k).astype(np.int64)
    groups = np.where(on.any(axis=1), 1 + 2 * axis + side, 2 * grid.n + 1)
    groups[grid.pin_index] = 0
    return groups


def inward_cells(dual: "TransportDual", grid: Grid, tol: float = MASS_TOL) -> np.ndarray:
    """Boundary points with positive mass whose net edge outflow out(i) - in(i) exceeds tol.

    Returns
    -------
    np.ndarray of bool, shape (N,)
    """
    st, net = dual.stencil, dual.net_flow()
    out = np.zeros(grid.size)
    np.add.at(out, st.edge_tail, net)
    np.add.at(out, st.edge_head, -net)
    boundary = np.any((grid.lattice == 0) | (grid.lattice == grid.k), axis=1)
    return boundary & (dual.measure.total > tol) & (out > tol)


def zero_allocation_region(solution: "Solution", tol: float = 1e-9) -> np.ndarray:
    """The primal's no-trade points: |g_i| <= tol in every coordinate (gradient form),
    u_i <= tol (measure form, whose g is only a one-sided difference of u).

    Returns
    -------
    np.ndarray of bool, shape (N,)
    """
    if solution.form == "measure":
        return np.abs(solution.primal.u) <= tol
    return np.all(np.abs(np.asarray(solution.primal.g).reshape(solution.grid.size, -1)) <= tol, axis=1)
