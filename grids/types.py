"""Type boxes X = prod_i [a_i, b_i] and the affine map onto the unit box.

Every grid, LP and certificate lives on the unit box: a type x in X is
x = a + D y with D = diag(b - a) and y in [0, 1]^n. With U(y) = u(a + D y),
grad_y U = D grad_x u, so the problem on X with allocations B, belief c is the
unit-box problem with allocations D B, belief (c - a) / D and
d(y) = (1 - alpha)(y - (c - a) / D); the profit E[<grad u, d> - u] is the same
number in both coordinates. A menu item (a', p') of the unit-box problem is the
item (D^-1 a', p' + <D^-1 a', a>) in the user's units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grids.errors import InvalidInput


@dataclass(frozen=True)
class TypeBox:
    """The box prod_i [lo_i, hi_i] of trader types in the user's units (lo < hi per axis)."""

    lo: tuple[float, ...]
    hi: tuple[float, ...]

    @property
    def n(self) -> int:
        return len(self.lo)

    @property
    def lower(self) -> np.ndarray:
        return np.asarray(self.lo, dtype=np.float64)

    @property
    def width(self) -> np.ndarray:
        """The diagonal of D = diag(hi - lo)."""
        return np.asarray(self.hi, dtype=np.float64) - self.lower

    @property
    def is_unit(self) -> bool:
        return all(v == 0.0 for v in self.lo) and all(v == 1.0 for v in self.hi)

    def to_unit(self, x: np.ndarray) -> np.ndarray:
        """y = (x - a) / D along the last axis."""
        return (np.asarray(x, dtype=np.float64) - self.lower) / self.width

    def from_unit(self, y: np.ndarray) -> np.ndarray:
        """x = a + D y along the last axis."""
        return self.lower + self.width * np.asarray(y, dtype=np.float64)

    def allocations_from_unit(self, a_unit: np.ndarray) -> np.ndarray:
        """a = D^-1 a' (rows of allocations)."""
        return np.asarray(a_unit, dtype=np.float64) / self.width

    def prices_from_unit(self, a_unit: np.ndarray, p_unit: np.ndarray) -> np.ndarray:
        """p = p' + <D^-1 a', lo>: <a', y> - p' = <a, x> - p."""
        return np.asarray(p_unit, dtype=np.float64) + self.allocations_from_unit(a_unit) @ self.lower

    def contains(self, x: np.ndarray, tol: float = 0.0) -> np.ndarray:
        """Whether each row of x lies in the box (to ``tol``)."""
        x = np.asarray(x, dtype=np.float64)
        return np.all((x >= self.lower - tol) & (x <= np.asarray(self.hi) + tol), axis=-1)

    def spec(self) -> str:
        """``lo1:hi1,lo2:hi2,..``, the form :func:`parse_types` reads."""
        return ",".join(f"{lo:g}:{hi:g}" for lo, hi in zip(self.lo, self.hi))


def unit_box(n: int) -> TypeBox:
    return TypeBox((0.0,) * n, (1.0,) * n)


def parse_intervals(text: str, n: int, what: str, allow_point: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Per-axis bounds from ``lo1:hi1,lo2:hi2,..`` (one interval is repeated for every axis); checked finite."""
    try:
        pairs = [tuple(float(v) for v in part.split(":")) for part in text.split(",")]
    except ValueError:
        raise InvalidInput(f"{what} {text!r}: expected lo:hi per axis, e.g. 4:16,4:7") from None
    if any(len(p) != 2 for p in pairs):
        raise InvalidInput(f"{what} {text!r}: expected lo:hi per axis, e.g. 4:16,4:7")
    if len(pairs) == 1 and n > 1:
        pairs = pairs * n
    if len(pairs) != n:
        raise InvalidInput(f"{what} {text!r} has {len(pairs)} axes; the setting has {n} goods")
    return check_bounds(np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs]), text, what, allow_point)


def check_bounds(lo: np.ndarray, hi: np.ndarray, text: str, what: str,
                 allow_point: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi) if finite with lo < hi per axis (lo <= hi with ``allow_point``); InvalidInput otherwise."""
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
        raise InvalidInput(f"{what} {text!r}: bounds must be finite numbers")
    bad = np.flatnonzero(lo > hi if allow_point else lo >= hi)
    if len(bad):
        i = int(bad[0])
        raise InvalidInput(f"{what} {text!r} is empty on axis {i + 1}: [{lo[i]:g}, {hi[i]:g}] needs lo "
                           f"{'<=' if allow_point else '<'} hi")
    return lo, hi


def parse_types(spec: "str | TypeBox | None", n: int) -> TypeBox:
    """The type box from ``lo1:hi1,..`` or a :class:`TypeBox`; the unit box for None."""
    if spec is None:
        return unit_box(n)
    if isinstance(spec, TypeBox):
        if spec.n != n:
            raise InvalidInput(f"type box {spec.spec()} has {spec.n} axes; the setting has {n} goods")
        check_bounds(spec.lower, np.asarray(spec.hi, dtype=np.float64), spec.spec(), "type box")
        return spec
    if not isinstance(spec, str):
        raise InvalidInput(f"types {spec!r}: expected 'lo1:hi1,lo2:hi2,...'")
    lo, hi = parse_intervals(spec, n, "type box")
    return TypeBox(tuple(map(float, lo)), tuple(map(float, hi)))
