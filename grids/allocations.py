"""Allocation sets B: per-axis boxes, unit demand, polytopes {a : A a <= b}.

A mechanism's allocations g(x) = grad u(x) lie in a compact convex polytope B
that contains 0 (no trade is always an item). B is held by its bounding box
[lo, hi] (per axis), optional halfspace rows A a <= b (None for a box) and its
vertices V, so that the support function is h_B(v) = max_{a in B} <v, a> =
max over the vertices of <v, a>: sum_i max(lo_i v_i, hi_i v_i) for a box,
max(0, max_i v_i) for unit demand {a >= 0, sum a <= 1} (max(0, max_i D_i v_i)
for its image D B under a type box).

Named sets are built from a registry (:data:`ALLOCATION_KINDS`) by
:func:`parse_allocations`; every bad set (empty, unbounded, without 0) is
refused with :class:`InvalidInput` before any LP work.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from scipy.optimize import linprog
from scipy.spatial import ConvexHull, HalfspaceIntersection, QhullError

from grids.errors import InvalidInput
from grids.types import parse_intervals

FEASIBILITY_TOL = 1e-9  # a vertex or 0 may violate a row by this much (linprog/qhull round-off)


@dataclass(frozen=True)
class Allocations:
    """The allocation polytope B = {a in [lo, hi] : A a <= b} (``rows`` None: the box itself).

    Attributes
    ----------
    name : str
        ``box``, ``unit-demand`` or ``polytope``.
    lo, hi : tuple of float
        The bounding box, per axis.
    rows : tuple of tuple of float, or None
        The rows of A (each of length n) beyond the bounding box.
    rhs : tuple of float, or None
        b, one entry per row.
    """

    name: str
    lo: tuple[float, ...]
    hi: tuple[float, ...]
    rows: tuple[tuple[float, ...], ...] | None = None
    rhs: tuple[float, ...] | None = None

    @property
    def n(self) -> int:
        return len(self.lo)

    @property
    def is_box(self) -> bool:
        """Whether B is its bounding box (no polytope rows)."""
        return self.rows is None

    @property
    def lower(self) -> np.ndarray:
        return np.asarray(self.lo, dtype=np.float64)

    @property
    def upper(self) -> np.ndarray:
        return np.asarray(self.hi, dtype=np.float64)

    @property
    def A(self) -> np.ndarray:
        """The polytope rows, shape (r, n) (r = 0 for a box)."""
        return np.asarray(self.rows if self.rows is not None else np.zeros((0, self.n)), dtype=np.float64)

    @property
    def b(self) -> np.ndarray:
        return np.asarray(self.rhs if self.rhs is not None else (), dtype=np.float64)

    @property
    def equal_axes(self) -> bool:
        """A box with the same bounds on every axis (axis permutations keep it)."""
        return self.is_box and len(set(self.lo)) == 1 and len(set(self.hi)) == 1

    @functools.cached_property
    def vertices(self) -> np.ndarray:
        """The vertices of B, shape (V, n): box corners, or the halfspace intersection's points."""
        return _vertices(self)

    def support(self, v: np.ndarray) -> np.ndarray:
        """h_B(v) = max_{a in B} <v, a> along the last axis (closed forms for box and unit demand)."""
        v = np.asarray(v, dtype=np.float64)
        if self.is_box:
            return np.maximum(self.lower * v, self.upper * v).sum(axis=-1)
        if self.name == "unit-demand":  # {a >= 0, sum a_i / hi_i <= 1}: vertices 0 and hi_i e_i
            return np.maximum((v * self.upper).max(axis=-1), 0.0)
        return (v @ self.vertices.T).max(axis=-1)

    def retract(self, g: np.ndarray) -> np.ndarray:
        """A point of B for each row of g: clipped to the box, then scaled toward 0 onto A a <= b.

        For a box this is the clamp; for a polytope t g with the largest
        t in [0, 1] that satisfies every row (0 is in B, so t = 0 always does).
        """
        out = np.clip(g, self.lower, self.upper)
        if self.is_box:
            return out
        load = out @ self.A.T                                             # (.., r)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(load > self.b, self.b / load, 1.0)
        return out * np.clip(ratio.min(axis=-1, initial=1.0), 0.0, 1.0)[..., None]

    def violation(self, g: np.ndarray) -> float:
        """Largest violation of g in B over the rows of g (bounds and polytope rows)."""
        g = np.asarray(g, dtype=np.float64)
        worst = max(float(np.max(g - self.upper, initial=0.0)), float(np.max(self.lower - g, initial=0.0)))
        if not self.is_box:
            worst = max(worst, float(np.max(g @ self.A.T - self.b, initial=0.0)))
        return worst

    def scaled(self, width: np.ndarray) -> "Allocations":
        """D B with D = diag(width) > 0: the box scales per axis, rows become A D^-1 a' <= b."""
        w = np.asarray(width, dtype=np.float64)
        if np.all(w == 1.0):
            return self
        rows = None if self.rows is None else tuple(tuple(float(v) for v in r) for r in self.A / w)
        return Allocations(self.name, tuple(float(v) for v in self.lower * w),
                           tuple(float(v) for v in self.upper * w), rows, self.rhs)

    def describe(self) -> str:
        """One line: the kind and its bounds."""
        box = " x ".join(f"[{lo:g},{hi:g}]" for lo, hi in zip(self.lo, self.hi))
        return box if self.is_box else f"{self.name} in {box} ({len(self.rows or ())} rows)"


def _vertices(B: Allocations) -> np.ndarray:
    lo, hi = B.lower, B.upper
    if B.name == "unit-demand":  # closed form, also for D B (rows 1/D_i, bounds D_i)
        return np.vstack([np.zeros(B.n), np.diag(hi)])
    if B.is_box or B.n == 1:  # in 1D the polytope is its bounding interval
        corners = np.array(np.meshgrid(*np.stack([lo, hi], axis=1), indexing="ij")).reshape(B.n, -1).T
        return np.unique(corners, axis=0)
    eye = np.eye(B.n)
    A = np.vstack([B.A, eye, -eye])
    b = np.concatenate([B.b, hi, -lo])
    centre = _chebyshev_centre(A, b)
    try:
        pts = HalfspaceIntersection(np.column_stack([A, -b]), centre).intersections
        hull = ConvexHull(pts)
    except QhullError as err:
        raise InvalidInput(f"allocation polytope has no interior (flat in some direction): {str(err).splitlines()[0]}"
                           ) from None
    return pts[np.sort(hull.vertices)]


def _chebyshev_centre(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The centre of the largest ball in {A a <= b} (linprog); refused when there is none of positive radius."""
    norms = np.linalg.norm(A, axis=1)
    n = A.shape[1]
    res = linprog(np.r_[np.zeros(n), -1.0], A_ub=np.column_stack([A, norms]), b_ub=b,
                  bounds=[(None, None)] * n + [(0, None)], method="highs")
    if res.status != 0 or res.x[-1] <= FEASIBILITY_TOL:
        raise InvalidInput("allocation polytope is empty or flat (no interior point): check A and b")
    return res.x[:n]


def check_allocations(B: Allocations) -> Allocations:
    """B itself if it is a nonempty bounded polytope containing 0; InvalidInput (one sentence) otherwise."""
    lo, hi = B.lower, B.upper
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
        raise InvalidInput(f"allocation set {B.describe()} is unbounded: every axis needs finite bounds")
    if np.any(lo > hi):
        raise InvalidInput(f"allocation box {B.describe()} is empty: lo > hi on some axis")
    if np.any(lo > 0.0) or np.any(hi < 0.0) or np.any(B.b < -FEASIBILITY_TOL):
        raise InvalidInput(f"allocation set {B.describe()} does not contain 0: no trade must be an item")
    if not np.all(np.isfinite(B.A)) or not np.all(np.isfinite(B.b)):
        raise InvalidInput("allocation polytope rows A, b must be finite numbers")
    if not B.is_box:
        _ = B.vertices  # empty or flat polytopes are refused here
    return B


def _bounding_box(A: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-axis min and max of a over {A a <= b} by 2n linprogs; InvalidInput when empty or unbounded."""
    n = A.shape[1]
    lo, hi = np.empty(n), np.empty(n)
    for i in range(n):
        for sign, out in ((1.0, lo), (-1.0, hi)):
            res = linprog(sign * np.eye(n)[i], A_ub=A, b_ub=b, bounds=[(None, None)] * n, method="highs")
            if res.status == 2:
                raise InvalidInput("allocation polytope {a : A a <= b} is empty")
            if res.status == 3:
                raise InvalidInput(f"allocation polytope {{a : A a <= b}} is unbounded along axis {i + 1}: "
                                   "add rows that bound it")
            if res.status != 0:
                raise InvalidInput(f"allocation polytope: linprog failed ({res.message})")
            out[i] = res.fun * sign
    return lo, hi


def box_allocations(lo: np.ndarray, hi: np.ndarray) -> Allocations:
    """The box prod_i [lo_i, hi_i], checked."""
    lo, hi = np.atleast_1d(np.asarray(lo, dtype=np.float64)), np.atleast_1d(np.asarray(hi, dtype=np.float64))
    return check_allocations(Allocations("box", tuple(map(float, lo)), tuple(map(float, hi))))


def unit_demand(n: int) -> Allocations:
    """{a >= 0, sum_i a_i <= 1}: at most one unit in total (vertices 0 and e_i)."""
    return Allocations("unit-demand", (0.0,) * n, (1.0,) * n, (tuple([1.0] * n),), (1.0,))


def polytope(A: np.ndarray, b: np.ndarray) -> Allocations:
    """{a : A a <= b} with its bounding box from linprog, checked (nonempty, bounded, contains 0)."""
    try:
        A = np.atleast_2d(np.asarray(A, dtype=np.float64))
        b = np.atleast_1d(np.asarray(b, dtype=np.float64)).ravel()
    except (TypeError, ValueError):
        raise InvalidInput("allocation polytope: A and b must be numeric arrays") from None
    if A.ndim != 2 or A.shape[0] != len(b) or A.shape[0] == 0:
        raise InvalidInput(f"allocation polytope: A has shape {A.shape} and b {b.shape}; need (r, n) and (r,)")
    if not (np.all(np.isfinite(A)) and np.all(np.isfinite(b))):
        raise InvalidInput("allocation polytope rows A, b must be finite numbers")
    if np.any(b < -FEASIBILITY_TOL):
        raise InvalidInput("allocation polytope {a : A a <= b} does not contain 0 (some b_r < 0): "
                           "no trade must be an item")
    lo, hi = _bounding_box(A, b)
    lo[np.abs(lo) <= FEASIBILITY_TOL] = 0.0  # linprog round-off at 0 (a monopolist's B >= 0 stays so)
    hi[np.abs(hi) <= FEASIBILITY_TOL] = 0.0
    rows = tuple(tuple(float(v) for v in r) for r in A)
    return check_allocations(Allocations("polytope", tuple(map(float, lo)), tuple(map(float, hi)), rows,
                                         tuple(map(float, b))))


def _read_array(path: str) -> np.ndarray:
    p = Path(path)
    try:
        return np.load(p, allow_pickle=False) if p.suffix == ".npy" else np.loadtxt(p, delimiter=",", ndmin=1)
    except (OSError, ValueError) as err:
        raise InvalidInput(f"allocation polytope file {path!r} could not be read: {err}") from None


def _parse_polytope(text: str, n: int, default: Allocations) -> Allocations:
    """``A.npy,b.npy`` (files, .npy or .csv) or inline ``a11 a12 <= b1; a21 a22 <= b2`` rows."""
    if "<=" in text:
        A, b = [], []
        for row in filter(None, (r.strip() for r in text.split(";"))):
            left, _, right = row.partition("<=")
            try:
                A.append([float(v) for v in left.replace(",", " ").split()])
                b.append(float(right))
            except ValueError:
                raise InvalidInput(f"allocation polytope row {row!r}: expected 'a_1 .. a_n <= b'") from None
        if any(len(r) != n for r in A):
            raise InvalidInput(f"allocation polytope {text!r}: every row needs {n} coefficients")
        return polytope(np.array(A), np.array(b))
    parts = text.split(",")
    if len(parts) != 2:
        raise InvalidInput(f"allocation polytope {text!r}: expected 'A.npy,b.npy' or inline rows 'a1 a2 <= b; ...'")
    A, b = _read_array(parts[0]), _read_array(parts[1])
    if np.atleast_2d(A).shape[1] != n:
        raise InvalidInput(f"allocation polytope A has shape {np.shape(A)}; the setting has {n} goods")
    return polytope(A, b)


def _box(text: str, n: int, default: Allocations) -> Allocations:
    """``box`` (the setting's own box) or ``box:lo1:hi1,lo2:hi2``."""
    if not text:
        return default
    lo, hi = parse_intervals(text, n, "allocation box", allow_point=True)
    return box_allocations(lo, hi)


ALLOCATION_KINDS: dict[str, tuple[Callable[[str, int, Allocations], Allocations], str]] = {
    "box": (_box, "box (the setting's own box) or box:lo1:hi1,lo2:hi2,..."),
    "unit-demand": (lambda text, n, default: unit_demand(n), "unit-demand: {a >= 0, sum a <= 1}"),
    "polytope": (_parse_polytope, "polytope:A.npy,b.npy or polytope:'a1 a2 <= b; ...' ({a : A a <= b})"),
}


def parse_allocations(spec: "str | Allocations | None", n: int, default: Allocations) -> Allocations:
    """An :class:`Allocations` from a spec string of :data:`ALLOCATION_KINDS`; ``default`` for None or ``box``."""
    if spec is None:
        return default
    if isinstance(spec, Allocations):
        if spec.n != n:
            raise InvalidInput(f"allocation set {spec.describe()} has {spec.n} axes; the setting has {n} goods")
        return check_allocations(spec)
    if not isinstance(spec, str):
        raise InvalidInput(f"allocations {spec!r}: expected a string such as 'unit-demand' or an Allocations")
    kind, _, rest = spec.partition(":")
    entry = ALLOCATION_KINDS.get(kind.strip().lower())
    if entry is None:
        raise InvalidInput(f"unknown allocations {spec!r}; known: {'; '.join(h for _, h in ALLOCATION_KINDS.values())}")
    return entry[0](rest.strip(), n, default)
