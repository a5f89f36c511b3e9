"""Uniform grids on [0,1]^n with quadrature weights for the type law.

Points x_i = m_i / k with integer lattice coordinates m_i in {0..k}^n, N = (k+1)^n.
Weights are exact probability masses of cells, so they sum to 1:

- ``cell`` (default): the cell of x_i is the box of half-width h/2 around it,
  clipped to [0,1]^n (for the uniform law: the trapezoid rule). The grid LP
  value converges at first order in h, from above (1D, alpha = 0: exactly
  1/8 + 1/(4k)).
- ``away``: per axis, the cell [x_i, x_i + h] above c and [x_i - h, x_i]
  below it (c itself takes both sides). DESIGN §6 expects it to bias the
  value downward so the two rules bracket the limit; measured in 1D it does
  not: exact at alpha = 0, and above the limit for alpha > 0 (by about a
  quarter to half the ``cell`` error). It is offered, not relied on.

Sample-based laws use the same cells as a histogram of the sample; a density
by formula integrates each cell by tensor Gauss-Legendre quadrature (4 nodes
per axis, exact for degree <= 7 per axis); the uniform law on a polytope S
takes vol(cell ∩ S) / vol(S) exactly (:mod:`grids.densities`). Each law's
``weights_rule`` names its rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import lcm

import numpy as np

from grids.errors import InvalidInput
from grids import memory
from grids.settings import Setting

QUADRATURE_RULES = ("cell", "away")

@dataclass(frozen=True, eq=False)
class Grid:
    """Grid points, their weights and the index of the pin (the point where u = 0).

    Attributes
    ----------
    k : int
        Cells per axis; h = 1/k.
    lattice : np.ndarray, shape (N, n), int64
        Integer coordinates m_i, x_i = m_i / k, C order (last axis fastest).
    weights : np.ndarray, shape (N,)
        Probability mass of each point's cell; sums to 1.
    pin_index : int
        Row of ``lattice`` equal to k times the setting's pin (the belief c for
        a market maker, the lower corner for a monopolist); ``c_index`` is
        its old name.
    quadrature : str
        The rule that made ``weights``.
    """

    k: int
    lattice: np.ndarray
    weights: np.ndarray
    pin_index: int
    quadrature: str

    @property
    def c_index(self) -> int:
        """The pin's row (its name from when the pin was always the belief c)."""
        return self.pin_index

    @property
    def n(self) -> int:
        return self.lattice.shape[1]

    @property
    def size(self) -> int:
        return self.lattice.shape[0]

    @property
    def h(self) -> float:
        return 1.0 / self.k

    @property
    def points(self) -> np.ndarray:
        return self.lattice / self.k

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.k + 1,) * self.n


def grid_sizes_with_point(c: np.ndarray, limit: int = 256) -> list[int]:
    """Grid sizes k <= limit for which every coordinate of c is a multiple of 1/k."""
    dens = [Fraction(float(v)).limit_denominator(10_000) for v in c]
    if any(abs(float(f) - float(v)) > 1e-12 for f, v in zip(dens, c)):
        return []
    step = lcm(*(f.denominator for f in dens))
    return list(range(step, limit + 1, step))


def axis_cells(k: int, c: float, rule: str) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper cell ends [lo_i, hi_i] of the k+1 points of one axis."""
    x = np.arange(k + 1) / k
    h = 1.0 / k
    if rule == "cell":
        lo, hi = x - h / 2, x + h / 2
    else:
        above = x > c + 1e-12
        below = x < c - 1e-12
        lo = np.where(above, x, x - h)
        hi = np.where(below, x, x + h)
    return np.clip(lo, 0.0, 1.0), np.clip(hi, 0.0, 1.0)


def make_grid(setting: Setting, k: int, quadrature: str = "cell") -> Grid:
    """Discretize the setting's type space with k cells per axis.

    Raises
    ------
    InvalidInput
        k < 2, an unknown rule, the pin (a market maker's belief c, in unit
        coordinates) not on the grid (the message names sizes that work), or a grid too large for this machine in every form and solver
        (:func:`grids.memory.least_bytes`; the solve refuses what its own form and solver
        cannot fit, see ``solvers.memory_check``).
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 2:
        raise InvalidInput(f"grid size k = {k!r} must be an integer >= 2")
    if quadrature not in QUADRATURE_RULES:
        raise InvalidInput(f"unknown quadrature {quadrature!r}; known: {', '.join(QUADRATURE_RULES)}")
    n, c, pin = setting.n, setting.c, setting.pin
    need = memory.least_bytes(n, k)
    if need > memory.memory_limit():
        raise InvalidInput(
            f"grid k = {k} in {n}D has {(k + 1) ** n:,} points and needs about {need / 2**30:.1f} GiB in any form "
            f"and solver; this machine has {memory.available_bytes() / 2**30:.1f} GiB (a solve may use "
            f"{memory.MEMORY_FRACTION:.0%}): use a smaller grid"
        )
    mc = pin * k
    if np.any(np.abs(mc - np.round(mc)) > 1e-9):
        works = grid_sizes_with_point(pin)
        hint = (f"grid sizes that work: {', '.join(map(str, works[:12]))}" if works
                else "no grid size up to 256 puts it on the grid")
        where = "" if setting.types.is_unit else f" (unit coordinates {[round(float(v), 12) for v in pin]})"
        raise InvalidInput(f"belief c = {list(setting.belief)}{where} is not a grid point for k = {k}; {hint}")
    lattice = np.indices((k + 1,) * n).reshape(n, -1).T.astype(np.int64)
    cells = [axis_cells(k, float(cj), quadrature) for cj in c]
    weights = np.asarray(setting.dist.grid_weights(cells), dtype=np.float64)
    if not weights.sum() > 0.0:
        raise InvalidInput(f"distribution {setting.dist.spec} puts no mass on the grid's cells")
    weights = weights / weights.sum()
    pin_index = int(np.ravel_multi_index(tuple(np.round(mc).astype(np.int64)), (k + 1,) * n))
    return Grid(k=int(k), lattice=lattice, weights=weights, pin_index=pin_index, quadrature=quadrature)
