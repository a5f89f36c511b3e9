"""A feasible gradient-form primal made from an approximate one (first-order solvers).

A first-order LP solver returns (u, g) that violate pair rows by about its
tolerance, so its value is no lower bound. :func:`repair_primal` replaces u by
the upper envelope of the solution's supporting planes, feasible by
construction, and picks gradients the objective likes among its subgradients.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grids import Grid, Setting
from solvers.certificate import primal_value
from solvers.gradient.lp import SCAN_CHUNK_ENTRIES, scan_planes

REPAIR_QUANTUM = 1e-9  # plane slopes are rounded to multiples of this before planes are merged
ROUNDING = 1e-13  # slack for float rounding of plane values (offsets and <g, x> of order one: ~1e-15)
# Near-subgradient slacks tried; each is paid back by a quadratic of curvature slack * k^2.
REPAIR_SLACKS = (0.0, 1e-10, 1e-9, 1e-8, 1e-7, 1e-6, 1e-5)


@dataclass(frozen=True, eq=False)
class RepairedPrimal:
    """An exactly feasible primal of DESIGN §1.1 (up to float rounding).

    Attributes
    ----------
    u : np.ndarray, shape (N,)
        Utilities; u >= 0 and u[c] = 0.
    g : np.ndarray, shape (N, n)
        Gradients, in B.
    planes : int
        Distinct planes in the envelope, the zero plane included.
    max_change : float
        max_j |u2_j - u_j| against the input u.
    slack : float
        The near-subgradient slack that gave the best value (0: none, no bend).
    """

    u: np.ndarray
    g: np.ndarray
    planes: int
    max_change: float
    slack: float = 0.0


def repair_primal(
    setting: Setting, grid: Grid, u: np.ndarray, g: np.ndarray,
    quantum: float = REPAIR_QUANTUM, slacks: tuple[float, ...] = REPAIR_SLACKS,
) -> RepairedPrimal:
    """The envelope U(x) = max(0, max_i off_i + <s_i, x>) of the input's planes, with chosen subgradients.

    Plane i passes through (x_i, u_i) with slope s_i = g_i clipped into B and
    rounded to ``quantum``, lowered to be <= 0 at c; planes of equal slope
    keep the highest offset, and the zero plane (no trade) is added. U is
    convex with gradients in B, U >= 0, U(c) = 0. At each x_i, g2_i is the
    slope s_p maximizing <s_p, d_i> among those whose highest plane below U
    on the grid comes within ``slack`` of U(x_i) (the maximizing plane always
    qualifies), so every pair row u_i + <g2_i, x_j - x_i> - u_j <= slack. A
    slack > 0 is paid back exactly by the bend (u, g) -> ((1-m) u + a |x-c|^2,
    (1-m) g + 2a (x - c)), a = slack k^2 (distinct grid points are >= 1/k
    apart) and m the least shrink keeping g in B; each slack in ``slacks`` is
    tried and the best value kept.

    The result satisfies every pair row and bound of §1.1 up to float
    rounding, so its value sum_i w_i (<g_i, d_i> - u_i) is a certified lower
    bound on the discrete optimum whatever the input's accuracy. u is also
    feasible for the u-only LP of §1.2: it is the restriction of a convex
    function with gradients in B (edge Lipschitz rows, convexity rows) and
    minimum 0 at c (radial moves away from c).

    Parameters
    ----------
    setting, grid : Setting, Grid
        The LP's setting (B, belief c, pin) and grid.
    u, g : np.ndarray
        Approximate utilities (N,) and gradients (N, n), e.g. from PDLP.
    quantum : float
        Rounding step of the slopes; slopes that round alike are one plane.
        Rounding moves each plane by at most n * quantum on [0,1]^n.
    slacks : tuple of float
        Near-subgradient slacks to try (0 alone: exact subgradients only).

    Returns
    -------
    RepairedPrimal
    """
    x, c = grid.points, setting.c
    u = np.asarray(u, dtype=np.float64)
    slope, offset = _planes(setting, grid, u, g, quantum)
    top, envelope = scan_planes(x, np.zeros(grid.size), slope, offset)
    envelope[grid.pin_index] = 0.0  # exact in real arithmetic: every plane is <= 0 at the pin, the zero plane = 0
    floor = _floors(x, envelope, slope)
    d = (1.0 - setting.alpha) * (x - c)
    best: tuple[float, np.ndarray, np.ndarray, float] | None = None
    for slack in slacks:
        choice = _choose_slopes(x, d, envelope, slope, floor, top, slack + ROUNDING)
        bent = _bend(setting, grid, envelope, slope[choice], slack + ROUNDING if slack > 0 else 0.0)
        if bent is None:
            continue
        value = primal_value(setting, grid, *bent)
        if best is None or value > best[0]:
            best = (value, *bent, slack)
    _, u2, g2, slack = best  # slack 0 never fails: no bend
    return RepairedPrimal(u2, g2, len(slope), float(np.max(np.abs(u2 - u), initial=0.0)), slack)


def _planes(
    setting: Setting, grid: Grid, u: np.ndarray, g: np.ndarray, quantum: float
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct slopes (rounded, in B) with their highest offset (<= -<s, pin>), the zero plane included."""
    B = setting.B
    x, pin = grid.points, setting.pin
    # round, then retract into B (the clamp for a box): every slope is in B
    key = np.round(B.retract(np.asarray(g, dtype=np.float64)) / quantum)
    slope = B.retract(key * quantum)
    offset = np.minimum(u - np.einsum("ij,ij->i", slope, x), -(slope @ pin))
    key = np.vstack([key, np.zeros((1, grid.n))])
    slope = np.vstack([slope, np.zeros((1, grid.n))])
    offset = np.append(offset, 0.0)
    _, first, group = np.unique(key, axis=0, return_index=True, return_inverse=True)
    best_offset = np.full(len(first), -np.inf)
    np.maximum.at(best_offset, group.ravel(), offset)
    return slope[first], best_offset


def _floors(x: np.ndarray, u2: np.ndarray, slope: np.ndarray) -> np.ndarray:
    """m_p = min_j (u2_j - <s_p, x_j>): the highest plane of slope s_p below u2 on the grid is m_p + <s_p, x>."""
    block = max(1, SCAN_CHUNK_ENTRIES // max(1, len(x)))
    floor = np.empty(len(slope))
    for start in range(0, len(slope), block):
        floor[start:start + block] = (u2[:, None] - x @ slope[start:start + block].T).min(axis=0)
    return floor


def _choose_slopes(
    x: np.ndarray, d: np.ndarray, u2: np.ndarray, slope: np.ndarray, floor: np.ndarray, top: np.ndarray,
    slack: float,
) -> np.ndarray:
    """Per point j, argmax <s_p, d_j> over planes with m_p + <s_p, x_j> >= u2_j - slack (``top`` always in).

    Runs in blocks of points so memory stays at :data:`SCAN_CHUNK_ENTRIES` floats per matrix.
    """
    block = max(1, SCAN_CHUNK_ENTRIES // max(1, len(slope)))
    best = np.empty(len(x), dtype=np.intp)
    for start in range(0, len(x), block):
        part = slice(start, start + block)
        touching = x[part] @ slope.T + floor >= (u2[part] - slack)[:, None]
        touching[np.arange(len(touching)), top[part]] = True
        score = d[part] @ slope.T
        score[~touching] = -np.inf
        best[part] = score.argmax(axis=1)
    return best


def _bend(
    setting: Setting, grid: Grid, u: np.ndarray, g: np.ndarray, slack: float
) -> tuple[np.ndarray, np.ndarray] | None:
    """((1-m) u + a |x-p|^2, (1-m) g + 2a (x - p)) with a = slack k^2, p the pin; None if no m < 1
    keeps g in B (or B is not a box).

    Each pair row gains a |x_j - x_i|^2 >= a / k^2 = slack, so rows violated
    by at most ``slack`` hold; u stays >= 0 with u(p) = 0.
    """
    if slack == 0.0:
        return u, g
    if not setting.B.is_box:
        return None
    lo, hi = setting.B.lower, setting.B.upper
    step = grid.points - setting.pin
    a = slack * grid.k**2
    up, down = np.max(step, axis=0, initial=0.0), np.max(-step, axis=0, initial=0.0)
    need = []  # per axis, m >= 2a up / hi keeps (1-m) hi + 2a up <= hi; likewise at lo
    for reach, room in ((up, hi), (down, -lo)):
        for r, q in zip(reach, room):
            if r > 0.0:
                if q <= 0.0:
                    return None
                need.append(2.0 * a * r / q)
    m = max(need, default=0.0)
    if m >= 1.0:
        return None
    g2 = np.clip((1.0 - m) * g + 2.0 * a * step, lo, hi)  # clip: float rounding only
    u2 = (1.0 - m) * u + a * np.einsum("ij,ij->i", step, step)
    return u2, g2
