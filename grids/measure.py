"""The signed measure mu of DESIGN §1.2 on the grid: profit(u) = integral of u d(mu).

For a product density f = prod_a f1(x_a) on [0,1]^n and d(x) = (1-alpha)(x - c):

    mu = (1-alpha) f <x - c, nu> dS                         on each face (nu the outer normal)
         - [(1-alpha)(<grad f, x - c> + n f) + f] dx        inside
         + delta_c.

Each part is integrated exactly over the grid cells of the chosen quadrature
rule (the cells of :mod:`grids.grid`), so the discrete masses add up to zero
to round-off. Per axis, with F the CDF and [lo, hi] a cell,
integral of f1'(t)(t - c) dt = f1(hi)(hi - c) - f1(lo)(lo - c) - (F(hi) - F(lo)).

A sample has no density; its mu is that of the histogram density f = w_i / vol(cell_i)
(:func:`histogram_measure`), for which grad f is a jump measure on the cell faces:

    mu = -(1-alpha) [f] (t - c_a) dS    on the face x_a = t (jump [f] in +e_a; f = 0 outside the box)
         - ((1-alpha) n + 1) f dx + delta_c.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grids.errors import InvalidInput
from grids.grid import Grid, axis_cells
from grids.settings import Setting


@dataclass(frozen=True, eq=False)
class GridMeasure:
    """The three parts of mu at the grid points (arrays of shape (N,)).

    ``boundary`` >= 0 on boundary points; ``interior`` is <= 0 for the uniform
    law but can be positive near edges where a density vanishes (beta:2,2);
    ``point`` is the unit mass at c; ``total`` is their sum.
    """

    boundary: np.ndarray
    interior: np.ndarray
    point: np.ndarray

    @property
    def total(self) -> np.ndarray:
        return self.boundary + self.interior + self.point

    @property
    def positive_mass(self) -> float:
        """Mass of the positive part of the grid measure (after netting per point)."""
        return float(np.maximum(self.total, 0.0).sum())


def _outer(factors: list[np.ndarray]) -> np.ndarray:
    out = factors[0]
    for f in factors[1:]:
        out = np.multiply.outer(out, f)
    return np.asarray(out).ravel()


def require_density(setting: Setting, grid: Grid | None = None) -> None:
    """Refuse laws the measure form cannot discretize (each law's ``measure_problem`` says why).

    Product laws take the exact mu from their marginal CDF and pdf; beta with a
    parameter below 1 is unbounded at an edge (infinite boundary mass) and is
    refused. Laws known by their cell masses (a sample, a kernel density, a
    formula density, the uniform law on a polytope) take the histogram
    density's mu (:func:`histogram_measure`), which needs the ``cell`` rule.
    """
    problem = setting.dist.measure_problem()
    if problem:
        raise InvalidInput(problem + "; use the gradient form (--form gradient), which takes any cell weights")
    if grid is not None and setting.dist.measure_rule == "histogram" and grid.quadrature != "cell":
        raise InvalidInput(f"the measure form of {setting.dist.spec} (the histogram density of its cell masses) "
                           f"needs the 'cell' quadrature, not {grid.quadrature!r} (the {grid.quadrature!r} rule's "
                           "cells at the edges have no volume)")


def grid_measure(setting: Setting, grid: Grid) -> GridMeasure:
    """Discretize mu onto the grid points with the grid's own cells.

    Raises
    ------
    InvalidInput
        For a sample with the ``away`` rule or a density unbounded on the box
        (beta with a parameter below 1), whose boundary mass is infinite.
    """
    require_density(setting, grid)
    if setting.dist.measure_rule == "histogram":
        return histogram_measure(setting, grid)
    law = setting.dist.marginal()
    n, alpha, c = setting.n, setting.alpha, setting.c
    lam = 1.0 - alpha
    cells = [axis_cells(grid.k, float(c[a]), grid.quadrature) for a in range(n)]
    mass = [np.diff(law.cdf(np.stack([lo, hi])), axis=0)[0] for lo, hi in cells]
    pdf = [(law.pdf(lo), law.pdf(hi)) for lo, hi in cells]
    # integral over the cell of f1'(t)(t - c_a) dt, by parts
    slope = [ph * (hi - c[a]) - pl * (lo - c[a]) - mass[a]
             for a, ((lo, hi), (pl, ph)) in enumerate(zip(cells, pdf))]

    interior = -(lam * n + 1.0) * _outer(mass)
    boundary = np.zeros(grid.size)
    for a in range(n):
        others = [mass[b] for b in range(a)] + [None] + [mass[b] for b in range(a + 1, n)]
        interior -= lam * _outer([slope[a] if f is None else f for f in others])
        lo, hi = cells[a]
        face = np.zeros(grid.k + 1)
        # face x_a = 1 (nu = +e_a) is held by the point whose cell reaches 1, likewise x_a = 0
        face[np.flatnonzero(hi >= 1.0)[-1:]] += lam * float(law.pdf(1.0)) * (1.0 - c[a])
        face[np.flatnonzero(lo <= 0.0)[:1]] += lam * float(law.pdf(0.0)) * c[a]
        boundary += _outer([face if f is None else f for f in others])
    point = np.zeros(grid.size)
    point[grid.pin_index] = 1.0  # at the pin, where u = 0 (the belief c for a market maker)
    return GridMeasure(boundary=boundary, interior=interior, point=point)


def histogram_measure(setting: Setting, grid: Grid) -> GridMeasure:
    """mu of the histogram density of the grid's weights (a sample's law on the grid's own cells).

    With f = w_i / vol(cell_i) constant on each cell, mu is -((1-alpha) n + 1) w_i
    on cell i plus, on each face x_a = t, the mass -(1-alpha) (f_+ - f_-) (t - c_a) area,
    split half and half between the two cells it separates (f = 0 outside the box,
    so a face of the box gives (1-alpha) f (x - c).nu area to its one cell). For
    constant f this is :func:`grid_measure`'s mu exactly; the masses add up to
    zero to round-off, and sum_i mu_i u_i is a consistent (order h) quadrature of
    the profit E[(1-alpha) <grad u, x - c> - u] under the histogram law.

    Raises
    ------
    InvalidInput
        For the ``away`` rule, whose cells at the box's edges are empty intervals.
    """
    if grid.quadrature != "cell":
        raise InvalidInput(f"a histogram density needs the 'cell' quadrature, not {grid.quadrature!r}")
    n, k, c = setting.n, grid.k, setting.c
    lam = 1.0 - setting.alpha
    widths = [hi - lo for lo, hi in (axis_cells(k, float(c[a]), "cell") for a in range(n))]
    shape = (k + 1,) * n
    w = grid.weights.reshape(shape)
    density = w / _outer(widths).reshape(shape)
    interior = -(lam * n + 1.0) * w
    boundary = np.zeros(shape)
    t = (np.arange(k) + 0.5) / k  # the interior faces, between points i and i + 1 of an axis
    for a in range(n):
        area = _outer([np.ones(k + 1) if b == a else widths[b] for b in range(n)]).reshape(shape)
        f_a, area_a = np.moveaxis(density, a, 0), np.moveaxis(area, a, 0)
        lift = (-1,) + (1,) * (n - 1)
        face = -lam * (f_a[1:] - f_a[:-1]) * (t - c[a]).reshape(lift) * area_a[1:]
        inner = np.zeros(shape)
        inner[:-1] += face / 2
        inner[1:] += face / 2
        interior += np.moveaxis(inner, 0, a)
        outer = np.zeros(shape)
        outer[0] += lam * f_a[0] * c[a] * area_a[0]
        outer[-1] += lam * f_a[-1] * (1.0 - c[a]) * area_a[-1]
        boundary += np.moveaxis(outer, 0, a)
    point = np.zeros(grid.size)
    point[grid.pin_index] = 1.0
    return GridMeasure(boundary=boundary.ravel(), interior=interior.ravel(), point=point)
