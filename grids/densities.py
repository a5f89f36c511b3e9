"""Type laws on [0,1]^n that are not products: a density by formula, the uniform law on a polytope.

- :class:`FormulaDensity`: f(x) from a safe formula (:mod:`grids.expression`) or a
  Python callable, normalized on the box. Cell masses by tensor Gauss-Legendre
  quadrature, :data:`GL_POINTS` nodes per axis and cell: exact for polynomials
  of degree <= 2 GL_POINTS - 1 = 7 in each coordinate.
- :class:`PolytopeUniform`: the uniform law on S = {x in [0,1]^n : A x <= b}.
  Cell masses exact: vol(cell ∩ S) / vol(S) (qhull for cells the boundary cuts).

Both are given in the user's coordinates; ``on_unit_box(lo, scale)`` returns
the law of y with x = lo + scale * y (a density picks up the Jacobian prod(scale)).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from numpy.polynomial.legendre import leggauss
from scipy import optimize, spatial

from grids.errors import InvalidInput
from grids.expression import Expression

GL_POINTS = 4                # Gauss-Legendre nodes per axis and cell: exact for degree <= 7 per axis
CHECK_BUDGET = 2**18         # points of the check grid (normalization, sign check, sampling bound)
SAMPLING_SAFETY = 2.0        # rejection bound = SAMPLING_SAFETY * max of f on the check grid
INSIDE_TOL = 1e-12           # corners within this of a face count as on it (cells fully inside / outside)
MAX_BATCH = 2**20            # proposals drawn at once by the rejection samplers (memory bound)
RADIUS_TOL = 1e-12           # a cut cell whose inscribed ball is smaller holds no volume (it is <= ~2 n^1.5 r)


def _cells_nodes(lo: np.ndarray, hi: np.ndarray, q: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes (P, q) and weights (P, q) of the intervals [lo_i, hi_i]."""
    t, w = leggauss(q)
    half = (hi - lo)[:, None] / 2.0
    return lo[:, None] + half * (t + 1.0), half * w


def _tensor_points(axes: list[np.ndarray]) -> np.ndarray:
    """All combinations of the per-axis coordinate lists, shape (prod len, n), C order."""
    return np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, len(axes))


def _outer(factors: list[np.ndarray]) -> np.ndarray:
    out = factors[0]
    for f in factors[1:]:
        out = np.multiply.outer(out, f)
    return out


@dataclass(frozen=True)
class FormulaDensity:
    """A density f >= 0 on [0,1]^n given by a formula or a callable, known up to its total.

    Parameters
    ----------
    text : str
        The formula (``1+x1*x2``), or ``<python NAME>`` for a callable.
    n : int
    func : callable
        Points (m, n) in the user's coordinates -> values (m,).
    lo, scale : tuple of float
        Unit coordinates y map to x = lo + scale * y; the density of y is
        f(lo + scale y) prod(scale) (then normalized).
    total : float
        integral of that density over [0,1]^n (composite Gauss-Legendre on the check grid).
    peak : float
        max of that density on the check grid (the sampling bound is SAMPLING_SAFETY times it).
    """

    text: str
    n: int
    func: Callable[[np.ndarray], np.ndarray] = field(repr=False)   # equal formulas compare equal, callables by identity
    lo: tuple[float, ...]
    scale: tuple[float, ...]
    total: float = field(repr=False, compare=False)
    peak: float = field(repr=False, compare=False)

    family = "density"
    weights_rule = (f"Gauss-Legendre {GL_POINTS} points per axis and cell "
                    f"(exact for degree <= {2 * GL_POINTS - 1} per axis)")

    @property
    def spec(self) -> str:
        return f"density:{self.text}"

    @property
    def is_uniform(self) -> bool:
        return False

    # no marginal CDF and pdf: the measure form takes mu of the histogram density of the
    # Gauss-Legendre cell masses (grids.measure.histogram_measure), as for a sample
    measure_rule = "histogram"

    def measure_problem(self) -> str | None:
        """None: the measure form applies, to the histogram density of the cell masses."""
        return None

    def unnormalized(self, y: np.ndarray) -> np.ndarray:
        """f(lo + scale y) prod(scale) at unit points y (m, n), refused if negative or not finite."""
        y = np.asarray(y, dtype=np.float64).reshape(-1, self.n)
        lo, scale = np.asarray(self.lo), np.asarray(self.scale)
        x = lo + scale * y
        with np.errstate(all="ignore"):
            v = np.asarray(self.func(x), dtype=np.float64)
        if v.shape != (len(y),):
            raise InvalidInput(f"density {self.text!r} returned shape {v.shape} for {len(y)} points; "
                               f"expected ({len(y)},)")
        bad = ~np.isfinite(v)
        if bad.any():
            i = int(np.argmax(bad))
            raise InvalidInput(f"density {self.text!r} is not finite at x = {x[i].tolist()} (value {v[i]})")
        if np.any(v < 0.0):
            i = int(np.argmin(v))
            raise InvalidInput(f"density {self.text!r} is negative at x = {x[i].tolist()} (value {v[i]:.6g})")
        return v * float(np.prod(scale))

    def pdf(self, y: np.ndarray) -> np.ndarray:
        """The normalized density at unit points y (m, n)."""
        return self.unnormalized(y) / self.total

    def on_unit_box(self, lo: np.ndarray, scale: np.ndarray) -> "FormulaDensity":
        """The law of y with x = lo + scale y (x in the type box); this law's own map is composed."""
        lo0, s0 = np.asarray(self.lo), np.asarray(self.scale)
        return formula_density(self.func, self.n, text=self.text, lo=lo0 + s0 * np.asarray(lo, dtype=np.float64),
                               scale=s0 * np.asarray(scale, dtype=np.float64))

    def grid_weights(self, cells: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """integral of f over each grid point's cell, tensor Gauss-Legendre per cell (flat, C order).

        ``cells[a] = (lo, hi)``: the cell ends of the points of axis a. The
        rule integrates f exactly when f is a polynomial of degree <= 7 in each
        coordinate; otherwise to the smoothness of f at cell size h.
        """
        axes = [_cells_nodes(lo, hi, GL_POINTS) for lo, hi in cells]
        sizes, q, out = [len(lo) for lo, _ in cells], GL_POINTS, []
        for i0 in range(sizes[0]):                      # one slab of points at a time (bounded memory)
            nodes = [axes[0][0][i0:i0 + 1]] + [nd for nd, _ in axes[1:]]
            wts = [axes[0][1][i0:i0 + 1]] + [w for _, w in axes[1:]]
            vals = self.unnormalized(_tensor_points([nd.ravel() for nd in nodes]))
            shape = [1] + sizes[1:]
            tensor = vals.reshape([s * q for s in shape]) * _outer([w.ravel() for w in wts])
            split = tensor.reshape([d for s in shape for d in (s, q)])
            out.append(split.sum(axis=tuple(range(1, 2 * self.n, 2))).ravel())
        return np.concatenate(out)

    def sample(self, rng: np.random.Generator, size: int, n: int) -> np.ndarray:
        """``size`` types by rejection from the uniform law on the box with bound SAMPLING_SAFETY * peak.

        Exact when f <= that bound everywhere; a proposal above it (a spike the
        check grid missed) raises InvalidInput instead of biasing the sample.
        """
        bound, out, have = SAMPLING_SAFETY * self.peak, [], 0
        batch = min(MAX_BATCH, max(1024, int(2 * size * bound / self.total)))   # ~2x the expected need
        while have < size:
            y = rng.random((batch, self.n))
            f = self.unnormalized(y)
            if np.any(f > bound):
                i = int(np.argmax(f))
                raise InvalidInput(f"density {self.text!r} reaches {f[i]:.6g} at y = {y[i].tolist()}, above the "
                                   f"sampling bound {bound:.6g} ({SAMPLING_SAFETY:g} x its maximum on the check grid)")
            keep = y[rng.random(batch) * bound < f]
            out.append(keep)
            have += len(keep)
        return np.concatenate(out)[:size]


def _check_grid(n: int) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """Per axis: composite Gauss-Legendre nodes and weights on m equal pieces, and the m + 1 piece ends."""
    m = max(2, int(round(CHECK_BUDGET ** (1.0 / n))) // (GL_POINTS + 1))
    ends = np.linspace(0.0, 1.0, m + 1)
    nodes, wts = _cells_nodes(ends[:-1], ends[1:], GL_POINTS)
    return [nodes.ravel()] * n, [wts.ravel()] * n, [ends] * n


def formula_density(density: str | Callable[[np.ndarray], np.ndarray], n: int, *, text: str | None = None,
                    lo: np.ndarray | None = None, scale: np.ndarray | None = None) -> FormulaDensity:
    """Check and normalize a density given as a formula in x1..xn or as a callable f(x (m, n)) -> (m,).

    total = composite Gauss-Legendre integral on the check grid (m pieces per
    axis, CHECK_BUDGET points in all); the sign and finiteness are checked on
    those nodes and on the piece ends (which include the faces and corners).

    Raises
    ------
    InvalidInput
        An unsafe or malformed formula, a variable beyond x_n, a density that
        is negative or not finite on the check grid, or one whose integral is <= 0.
    """
    if isinstance(density, str):
        func, label = Expression(density, n), density
    elif callable(density):
        func, label = density, f"<python {getattr(density, '__name__', type(density).__name__)}>"
    else:
        raise InvalidInput(f"a density is a formula string or a callable, got {type(density).__name__}")
    law = FormulaDensity(text=text or label, n=n, func=func,
                         lo=tuple(np.zeros(n) if lo is None else np.asarray(lo, dtype=np.float64).tolist()),
                         scale=tuple(np.ones(n) if scale is None else np.asarray(scale, dtype=np.float64).tolist()),
                         total=1.0, peak=1.0)
    nodes, wts, ends = _check_grid(n)
    v = law.unnormalized(_tensor_points(nodes))
    peak = max(float(v.max()), float(law.unnormalized(_tensor_points(ends)).max()))
    total = float(v @ _outer(wts).ravel())
    if not total > 0.0:
        raise InvalidInput(f"density {law.text!r} does not integrate to a positive mass on the type box "
                           f"(integral {total:.6g})")
    return FormulaDensity(text=law.text, n=n, func=func, lo=law.lo, scale=law.scale, total=total, peak=peak)


def _box_cut_volume(G: np.ndarray, h: np.ndarray) -> float:
    """Volume of {x : G x <= h} (bounded), by its Chebyshev centre and qhull; 0 when thinner than RADIUS_TOL."""
    norm = np.linalg.norm(G, axis=1)
    G, h = G / norm[:, None], h / norm
    n = G.shape[1]
    lp = optimize.linprog(np.r_[np.zeros(n), -1.0], A_ub=np.column_stack([G, np.ones(len(G))]), b_ub=h,
                          bounds=[(None, None)] * n + [(0.0, None)], method="highs")
    if lp.status != 0 or lp.x[-1] < RADIUS_TOL:
        return 0.0
    hs = spatial.HalfspaceIntersection(np.column_stack([G, -h]), lp.x[:n])
    return float(spatial.ConvexHull(hs.intersections).volume)


@dataclass(frozen=True, eq=False)
class PolytopeUniform:
    """The uniform law on S = {y in [0,1]^n : A y <= b} (unit coordinates); equal only to itself (arrays).

    Attributes
    ----------
    name : str
        The spec it was parsed from (``triangle``, ``uniform-polytope:...``).
    A : np.ndarray, shape (m, n);  b : np.ndarray, shape (m,)
    volume : float
        vol(S) > 0.
    """

    name: str
    A: np.ndarray = field(repr=False)
    b: np.ndarray = field(repr=False)
    volume: float = field(repr=False)

    family = "uniform-polytope"
    weights_rule = "exact cell volumes: vol(cell ∩ S) / vol(S)"

    @property
    def n(self) -> int:
        return self.A.shape[1]

    @property
    def spec(self) -> str:
        return self.name

    @property
    def is_uniform(self) -> bool:
        """False: uniform on S, not on the box (the box-uniform shortcuts do not apply)."""
        return False

    # f jumps on the polytope's faces inside the box: the measure form takes mu of the histogram
    # density of the exact cell volumes (grids.measure.histogram_measure), whose face jumps carry that mass
    measure_rule = "histogram"

    def measure_problem(self) -> str | None:
        """None: the measure form applies, to the histogram density of the cell volumes."""
        return None

    def contains(self, y: np.ndarray) -> np.ndarray:
        return np.all(np.asarray(y) @ self.A.T <= self.b + INSIDE_TOL, axis=-1)

    def on_unit_box(self, lo: np.ndarray, scale: np.ndarray) -> "PolytopeUniform":
        """A (lo + scale y) <= b  <=>  (A diag(scale)) y <= b - A lo."""
        lo, scale = np.asarray(lo, dtype=np.float64), np.asarray(scale, dtype=np.float64)
        return polytope_uniform(self.A * scale, self.b - self.A @ lo, self.name)

    def cell_volumes(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """vol([lo_i, hi_i] ∩ S) for boxes given by corner arrays (P, n).

        Boxes inside S or outside one face are exact at once; a box cut by one
        face is the hull of its corners inside and the face's crossings of its
        edges (qhull); a box cut by several faces (near a vertex of S) goes
        through the halfspace intersection.
        """
        P, n = lo.shape
        full = np.prod(hi - lo, axis=1)
        corners = np.array(np.meshgrid(*[[0, 1]] * n, indexing="ij")).reshape(n, -1).T   # (2^n, n)
        pts = lo[:, None, :] + corners[None] * (hi - lo)[:, None, :]                      # (P, 2^n, n)
        slack = self.b - pts @ self.A.T                                                   # (P, 2^n, m)
        inside = np.all(slack >= -INSIDE_TOL, axis=(1, 2))
        outside = np.any(np.all(slack <= INSIDE_TOL, axis=1), axis=1) | (full <= 0.0)
        vol = np.where(inside & ~outside, full, 0.0)
        cuts = (slack.min(axis=1) < -INSIDE_TOL) & (slack.max(axis=1) > INSIDE_TOL)       # (P, m): face j cuts box
        box = np.vstack([-np.eye(n), np.eye(n)])
        ei, ej = np.nonzero(np.triu(np.abs(corners[:, None] - corners[None]).sum(axis=-1) == 1))  # box edges
        for i in np.flatnonzero(~inside & ~outside):
            if n > 1 and cuts[i].sum() == 1:
                sl = slack[i][:, np.argmax(cuts[i])]
                cross = (sl[ei] > 0) != (sl[ej] > 0)
                t = sl[ei[cross]] / (sl[ei[cross]] - sl[ej[cross]])
                a, b = pts[i][ei[cross]], pts[i][ej[cross]]
                hull_pts = np.vstack([pts[i][sl >= 0], a + t[:, None] * (b - a)])
                try:
                    vol[i] = spatial.ConvexHull(hull_pts).volume
                    continue
                except spatial.QhullError:   # a flat sliver: the halfspace route decides (volume 0 below RADIUS_TOL)
                    pass
            G, h = np.vstack([self.A, box]), np.concatenate([self.b, -lo[i], hi[i]])
            vol[i] = _interval_volume(G, h) if n == 1 else _box_cut_volume(G, h)
        return vol

    def grid_weights(self, cells: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """P(cell of each grid point) = vol(cell ∩ S) / vol(S), exact (flat, C order)."""
        lo = _tensor_points([c[0] for c in cells])
        hi = _tensor_points([c[1] for c in cells])
        return self.cell_volumes(lo, hi) / self.volume

    def sample(self, rng: np.random.Generator, size: int, n: int) -> np.ndarray:
        """``size`` types by rejection from the uniform law on the box (exact; acceptance rate vol(S))."""
        out, have = [], 0
        batch = min(MAX_BATCH, max(1024, int(2 * size / self.volume)))
        while have < size:
            y = rng.random((batch, self.n))
            keep = y[self.contains(y)]
            out.append(keep)
            have += len(keep)
        return np.concatenate(out)[:size]


def _interval_volume(G: np.ndarray, h: np.ndarray) -> float:
    """Length of {t : G t <= h} for one column G (rows with G = 0 must hold, else empty)."""
    g = G[:, 0]
    if np.any((g == 0) & (h < 0)):
        return 0.0
    upper = np.min(h[g > 0] / g[g > 0]) if np.any(g > 0) else np.inf
    lower = np.max(h[g < 0] / g[g < 0]) if np.any(g < 0) else -np.inf
    return float(max(upper - lower, 0.0))


def polytope_uniform(A: np.ndarray, b: np.ndarray, name: str) -> PolytopeUniform:
    """Check S = {y in [0,1]^n : A y <= b} and build its uniform law.

    Raises
    ------
    InvalidInput
        A of shape other than (m, n), b not of length m, non-finite entries,
        a zero row, or S empty or of zero volume in the box.
    """
    A, b = np.atleast_2d(np.asarray(A, dtype=np.float64)), np.ravel(np.asarray(b, dtype=np.float64))
    if A.ndim != 2 or A.shape[0] != b.shape[0] or A.shape[0] == 0:
        raise InvalidInput(f"polytope {name!r}: A has shape {A.shape} and b {b.shape}; expected (m, n) and (m,)")
    if not (np.all(np.isfinite(A)) and np.all(np.isfinite(b))):
        raise InvalidInput(f"polytope {name!r}: A and b must be finite")
    if np.any(np.all(A == 0.0, axis=1)):
        raise InvalidInput(f"polytope {name!r}: A has a zero row")
    n = A.shape[1]
    box = np.vstack([-np.eye(n), np.eye(n)])
    G, h = np.vstack([A, box]), np.concatenate([b, np.zeros(n), np.ones(n)])
    volume = _interval_volume(G, h) if n == 1 else _box_cut_volume(G, h)
    if volume <= 0.0:
        raise InvalidInput(f"polytope {name!r} = {{x in [0,1]^{n} : A x <= b}} is empty or has zero volume "
                           "in the type box")
    return PolytopeUniform(name=name, A=A, b=b, volume=volume)


def triangle(n: int) -> PolytopeUniform:
    """RochetNet's ``additive_1x2_uniform_triangle``: uniform on {x >= 0, x1 + x2 <= 1} (deep-opt-auctions,
    rochetNet/data/uniform_triangle_01_generator.py draws sqrt(r1) (1 - r2, r2), the vertices (0,0), (1,0), (0,1))."""
    if n != 2:
        raise InvalidInput(f"distribution 'triangle' is a law of 2 goods; the setting has {n} (use 'simplex')")
    return polytope_uniform(np.ones((1, 2)), np.ones(1), "triangle")


def simplex(n: int) -> PolytopeUniform:
    """Uniform on {x >= 0, x1 + ... + xn <= 1}."""
    return polytope_uniform(np.ones((1, n)), np.ones(1), "simplex")
