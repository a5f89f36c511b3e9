"""Menus from grid solutions: cluster allocations by probability mass, price by conjugacy.

A menu is a list of items (allocation a_k in B, price p_k) plus the no-trade
item (0, 0); the trader's utility is max_k <a_k, x> - p_k.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grids import Grid, InvalidInput
from grids.allocations import Allocations
from grids.types import TypeBox

DEFAULT_MENU_TOL = 0.02  # l_inf radius in allocation units within which allocations are one item


@dataclass(frozen=True)
class MenuItem:
    """One menu entry: allocation a (per good; negative = the trader sells), price p, grid mass."""

    allocation: tuple[float, ...]
    price: float
    mass: float

    def as_dict(self) -> dict[str, object]:
        return {"allocation": list(self.allocation), "price": self.price, "mass": self.mass}


@dataclass(frozen=True)
class Menu:
    """Menu items sorted by price; ``tol`` is the clustering radius used."""

    items: tuple[MenuItem, ...]
    tol: float

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self):
        return iter(self.items)

    @property
    def allocations(self) -> np.ndarray:
        return np.array([it.allocation for it in self.items], dtype=np.float64).reshape(len(self.items), -1)

    @property
    def prices(self) -> np.ndarray:
        return np.array([it.price for it in self.items], dtype=np.float64)

    def in_user_units(self, types: TypeBox) -> "Menu":
        """The menu of the unit-box problem in the user's units: a = D^-1 a', p = p' + <a, lo> (:mod:`grids.types`)."""
        if types.is_unit:
            return self
        a, p = types.allocations_from_unit(self.allocations), types.prices_from_unit(self.allocations, self.prices)
        items = [MenuItem(tuple(float(v) for v in ai), float(pi), it.mass) for ai, pi, it in zip(a, p, self.items)]
        return Menu(items=tuple(sorted(items, key=lambda it: (it.price, it.allocation))), tol=self.tol)


def _snap(a: np.ndarray, B: Allocations, eps: float = 1e-7) -> np.ndarray:
    """Round entries within eps of lo_i, 0 or hi_i to those values (solver noise), then retract into B."""
    out = a.copy()
    for target in (B.lower, np.zeros(B.n), B.upper):
        near = np.abs(out - target) <= eps
        out[near] = target[near]
    return B.retract(out)


def menu_tolerance(tol: float) -> float:
    """``tol`` as a float, refused (InvalidInput) unless finite and >= 0 (0: no clustering)."""
    if isinstance(tol, bool) or not isinstance(tol, (int, float, np.floating, np.integer)) \
            or not np.isfinite(tol) or tol < 0:
        raise InvalidInput(f"menu tolerance must be a finite number >= 0, got {tol!r}")
    return float(tol)


def extract_menu(grid: Grid, B: Allocations, u: np.ndarray, g: np.ndarray, tol: float = DEFAULT_MENU_TOL,
                 units: np.ndarray | None = None) -> Menu:
    """Cluster the grid allocations (in B, the grid's own coordinates) into a menu.

    ``units`` (per axis, default 1) divides allocations before distances are
    measured: with a type box's D, ``tol`` is in the user's allocation units.

    Distinct allocations are visited in decreasing probability mass; each
    starts a cluster unless it lies within ``tol`` (l_inf) of an existing
    centre. A cluster's allocation is the mass-weighted mean of its members
    (points on kinks of u carry arbitrary subgradients but little mass), and
    its price is the conjugate p = max_i <a, x_i> - u_i, the least price at
    which the item gives no grid type more than u. Hence the menu's utility
    is at most u on the grid and its utility at the pin is 0 (u(pin) = 0).
    Clusters of zero mass are dropped; no-trade is always listed.
    """
    tol = menu_tolerance(tol)
    scale = np.ones(grid.n) if units is None else np.asarray(units, dtype=np.float64)
    w = grid.weights
    uniq, inverse = np.unique(np.round(g, 9), axis=0, return_inverse=True)
    inverse = inverse.ravel()
    mass = np.bincount(inverse, weights=w, minlength=len(uniq))
    order = np.argsort(-mass, kind="stable")
    centres: list[np.ndarray] = []
    label_of_uniq = np.empty(len(uniq), dtype=np.int64)
    for q in order:
        if centres:
            dist = (np.abs(np.asarray(centres) - uniq[q]) / scale).max(axis=1)
            nearest = int(dist.argmin())
            if dist[nearest] <= tol:
                label_of_uniq[q] = nearest
                continue
        centres.append(uniq[q])
        label_of_uniq[q] = len(centres) - 1
    labels = label_of_uniq[inverse]
    cmass = np.bincount(labels, weights=w, minlength=len(centres))
    sums = np.stack([np.bincount(labels, weights=w * g[:, a], minlength=len(centres)) for a in range(g.shape[1])], 1)
    x = grid.points
    items = {}
    for lab in np.flatnonzero(cmass > 0):
        a = _snap(B.retract(sums[lab] / cmass[lab]), B)
        if (np.abs(a) / scale).max() <= tol:
            a = np.zeros_like(a)
        key = tuple(float(v) for v in a)
        price = float(np.max(x @ a - u))
        prev = items.get(key)
        items[key] = MenuItem(key, price, float(cmass[lab]) + (prev.mass if prev else 0.0))
    zero = (0.0,) * grid.n
    items.setdefault(zero, MenuItem(zero, 0.0, 0.0))
    return Menu(items=tuple(sorted(items.values(), key=lambda it: (it.price, it.allocation))), tol=tol)
