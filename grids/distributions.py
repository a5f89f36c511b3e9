"""Type distributions on the unit box [0,1]^n, and the parser of their spec strings.

A product distribution has the same one-dimensional law on every coordinate
(uniform, beta, normal truncated to [0,1]); its cell masses come from exact CDF
differences. A sample distribution is the empirical law of trader types read
from a file; its cell masses are a nearest-grid-point histogram. Laws that are
not products (a density by formula, the uniform law on a polytope) live in
:mod:`grids.densities`. Every law gives its grid weights by
``grid_weights(cells)`` (``cells[a] = (lo, hi)``, the cell ends of axis a).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
from scipy import stats

from grids.densities import FormulaDensity, PolytopeUniform, formula_density, polytope_uniform, simplex, triangle
from grids.errors import InvalidInput
from grids.kernel_density import KernelDensity, kernel_density, parse_bandwidth


@dataclass(frozen=True)
class ProductDistribution:
    """i.i.d. coordinates, each with the law ``family(params)`` restricted to [0,1].

    Parameters
    ----------
    family : {"uniform", "beta", "truncnorm"}
    params : tuple of float
        ``()`` for uniform, ``(a, b)`` for beta, ``(mean, sd)`` for the normal
        truncated to [0, 1].
    """

    family: str
    params: tuple[float, ...] = ()

    @property
    def spec(self) -> str:
        """The string that parses back to this distribution."""
        if not self.params:
            return self.family
        return f"{self.family}:" + ",".join(f"{p:g}" for p in self.params)

    @property
    def is_uniform(self) -> bool:
        return self.family == "uniform"

    def marginal(self) -> stats.rv_continuous:
        """The frozen scipy law of one coordinate."""
        if self.family == "uniform":
            return stats.uniform(0.0, 1.0)
        if self.family == "beta":
            a, b = self.params
            return stats.beta(a, b)
        mean, sd = self.params
        return stats.truncnorm((0.0 - mean) / sd, (1.0 - mean) / sd, loc=mean, scale=sd)

    weights_rule = "exact cell masses (CDF differences)"
    measure_rule = "exact"  # mu integrated from the marginal CDF and pdf (grids.measure.grid_measure)

    def measure_problem(self) -> str | None:
        """None when the measure form applies; else why not (a beta law unbounded at an edge)."""
        if self.family == "beta" and min(self.params) < 1:
            return f"the measure form needs a density bounded on the box; {self.spec} is unbounded at an edge"
        return None

    def grid_weights(self, cells: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """prod_a P(lo_a <= X_a < hi_a) of each grid point's cell, exact (flat, C order)."""
        law = self.marginal()
        w = np.ones(())
        for lo, hi in cells:
            w = np.multiply.outer(w, law.cdf(hi) - law.cdf(lo))
        return np.asarray(w, dtype=np.float64).ravel()

    def cell_masses(self, edges: np.ndarray) -> np.ndarray:
        """P(edges[i] <= X_1 < edges[i+1]) for one coordinate, exact."""
        return np.diff(self.marginal().cdf(edges))

    def sample(self, rng: np.random.Generator, size: int, n: int) -> np.ndarray:
        """``size`` i.i.d. types in [0,1]^n drawn with ``rng``."""
        return self.marginal().ppf(rng.random((size, n)))

    def transform_unit(self, q: np.ndarray) -> np.ndarray:
        """Map points of the unit cube (uniform) to this law by inverse CDFs."""
        return self.marginal().ppf(q)


@dataclass(frozen=True)
class SampleDistribution:
    """The empirical law of trader types read from a .npy or .csv file.

    Parameters
    ----------
    path : str
        File of shape (m, n) (or (m,) when n = 1), all entries in [0, 1].
    points : np.ndarray
        The loaded types (not part of equality or hashing).
    """

    path: str
    points: np.ndarray = field(compare=False, repr=False)

    family = "samples"
    weights_rule = "histogram of the sample (each type to the point whose cell holds it)"

    @property
    def spec(self) -> str:
        return f"samples:{self.path}"

    @property
    def is_uniform(self) -> bool:
        return False

    # no density: the measure form takes mu of the histogram density (cell weight / cell volume),
    # whose jumps across the cell faces are part of mu (grids.measure.histogram_measure)
    measure_rule = "histogram"

    def measure_problem(self) -> str | None:
        """None: the measure form applies, to the histogram of the sample on the grid's cells."""
        return None

    def grid_weights(self, cells: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """Fraction of the sample in each grid point's cell (flat, C order)."""
        n = len(cells)
        idx = np.stack([_axis_index(self.points[:, j], *cells[j]) for j in range(n)], axis=1)
        flat = np.ravel_multi_index(idx.T, tuple(len(lo) for lo, _ in cells))
        return np.bincount(flat, minlength=int(np.prod([len(lo) for lo, _ in cells]))) / len(self.points)

    def sample(self, rng: np.random.Generator, size: int, n: int) -> np.ndarray:
        """Resample ``size`` types with replacement."""
        return self.points[rng.integers(0, len(self.points), size)]


def _axis_index(samples: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The point of one axis whose (non-empty) cell holds each sample coordinate."""
    live = np.flatnonzero(hi > lo)
    pos = np.searchsorted(lo[live], samples, side="right") - 1
    return live[np.clip(pos, 0, len(live) - 1)]


Distribution = ProductDistribution | SampleDistribution | KernelDensity | FormulaDensity | PolytopeUniform

_PARAM_COUNT = {"uniform": 0, "beta": 2, "truncnorm": 2}


def _parse_numbers(text: str, spec: str) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in text.split(","))
    except ValueError:
        raise InvalidInput(f"distribution {spec!r}: parameters must be numbers, got {text!r}") from None


NPY_MAGIC = b"\x93NUMPY"  # the first bytes of every .npy file (numpy.lib.format)


def _refuse(label: str, what: str) -> InvalidInput:
    """The one-line refusal of a sample file (numpy's own texts may span lines)."""
    return InvalidInput(f"sample file {label!r} " + " ".join(what.split()))


def _read_npy(path: Path, label: str) -> np.ndarray:
    """The array of a .npy file; archives (.npz), pickles and other bytes are refused by their magic."""
    with path.open("rb") as fh:
        head = fh.read(len(NPY_MAGIC))
    if head != NPY_MAGIC:
        if not head:
            raise _refuse(label, "is empty: it holds no types")
        kind = ("a zip archive (an .npz renamed to .npy?)" if head.startswith(b"PK")
                else "a pickle" if head.startswith(b"\x80") else "not in .npy format")
        raise _refuse(label, f"is {kind}; save the types with numpy.save")
    return np.load(path, allow_pickle=False)


def _csv_rows(path: Path) -> list[tuple[int, list[str]]]:
    """(line number, comma-separated fields) of each data line; '#' starts a comment, as for numpy.loadtxt."""
    lines = path.read_text(encoding="utf-8").splitlines()
    rows = [(no, line.split("#", 1)[0]) for no, line in enumerate(lines, 1)]
    return [(no, text.split(",")) for no, text in rows if text.strip()]


def _csv_problem(rows: list[tuple[int, list[str]]]) -> str | None:
    """The first ragged or non-numeric line, in words; None when every field is a number."""
    width = len(rows[0][1])
    for no, fields in rows:
        if len(fields) != width:
            return f"is ragged: line {no} has {len(fields)} values, line {rows[0][0]} has {width}"
        for col, text in enumerate(fields, 1):
            try:
                float(text)
            except ValueError:
                return f"line {no}, column {col}: {text.strip()!r} is not a number"
    return None


def _read_csv(path: Path, label: str) -> np.ndarray:
    """A (m, columns) float array of a comma-separated text file without a header ((0, 1) when empty)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # loadtxt warns on an empty file; the caller refuses it as holding no types
            return np.loadtxt(path, delimiter=",", ndmin=2, dtype=np.float64, encoding="utf-8")
    except UnicodeDecodeError:
        raise _refuse(label, "is not a text file (not UTF-8)") from None
    except ValueError as err:
        problem = _csv_problem(_csv_rows(path))  # name the line in our words; numpy's text as a fallback
        raise _refuse(label, problem or f"could not be read: {str(err).split(';')[0]}") from None


def _load_samples(path_text: str, n: int, box: tuple[np.ndarray, np.ndarray] | None = None) -> SampleDistribution:
    """Read and check m types in [0,1]^n (or in ``box`` = (lo, hi), mapped onto [0,1]^n): shape (m, n)
    (or (m,) for n = 1), real, finite, m >= 1.

    Every malformed file raises :class:`InvalidInput` with one line naming the
    file and what is wrong; nothing is printed and no other exception escapes.
    """
    label, path = path_text, Path(path_text)
    if path.suffix not in (".npy", ".csv"):
        raise _refuse(label, "is neither .npy nor .csv: use a .npy or .csv file")
    try:
        if not path.exists():
            raise _refuse(label, "does not exist")
        if not path.is_file():
            raise _refuse(label, "is not a file")
        raw = _read_npy(path, label) if path.suffix == ".npy" else _read_csv(path, label)
    except InvalidInput:
        raise
    except (OSError, ValueError, EOFError) as err:  # unreadable, or a damaged .npy header or body
        raise _refuse(label, f"could not be read: {err}") from None
    kind = raw.dtype.kind
    if kind not in "iuf":
        what = {"b": "booleans", "c": "complex numbers"}.get(kind, f"values of dtype {raw.dtype}")
        raise _refuse(label, f"holds {what}; types must be real numbers")
    if raw.size == 0:
        raise _refuse(label, "holds no types")
    pts = raw[:, None] if n == 1 and raw.ndim == 1 else raw
    if pts.ndim != 2:
        raise _refuse(label, f"has shape {raw.shape}; expected (m, {n}): one row per type, one column per good")
    if pts.shape[1] != n:
        raise _refuse(label, f"has {pts.shape[1]} columns (shape {raw.shape}); the setting has {n} goods")
    with np.errstate(over="ignore"):  # a float128 beyond float64's range becomes inf, refused below
        pts = np.asarray(pts, dtype=np.float64)
    bad = ~np.all(np.isfinite(pts), axis=1)
    if bad.any():
        r = int(np.argmax(bad))
        raise _refuse(label, f"row {r + 1} holds NaN or infinity: {pts[r].tolist()}")
    lo, hi = (np.zeros(n), np.ones(n)) if box is None else box
    bad = np.any((pts < lo) | (pts > hi), axis=1)
    if bad.any():
        r = int(np.argmax(bad))
        where = f"[0, 1]^{n}" if box is None else "the type box " + " x ".join(f"[{a:g}, {b:g}]" for a, b in zip(lo, hi))
        raise _refuse(label, f"row {r + 1} = {pts[r].tolist()} lies outside {where}; every type must")
    return SampleDistribution(path=str(path), points=pts if box is None else (pts - lo) / (hi - lo))


def _parse_product(family: str, rest: str, spec: str) -> ProductDistribution:
    """``uniform``, ``beta:a,b`` (a, b > 0) or ``truncnorm:mean,sd`` (sd > 0)."""
    params = _parse_numbers(rest, spec) if rest else ()
    if len(params) != _PARAM_COUNT[family]:
        raise InvalidInput(f"distribution {family!r} takes {_PARAM_COUNT[family]} parameters, got {spec!r}")
    if not all(np.isfinite(params)):
        raise InvalidInput(f"distribution {spec!r}: parameters must be finite")
    if family == "beta" and min(params) <= 0:
        raise InvalidInput(f"distribution {spec!r}: beta parameters must be positive")
    if family == "truncnorm" and params[1] <= 0:
        raise InvalidInput(f"distribution {spec!r}: the standard deviation must be positive")
    return ProductDistribution(family=family, params=params)


def _parse_samples(rest: str, n: int, spec: str, box: tuple[np.ndarray, np.ndarray] | None = None
                   ) -> SampleDistribution:
    if not rest:
        raise InvalidInput("distribution 'samples' needs a path: samples:PATH")
    return _load_samples(rest, n, box)


def _parse_kde(rest: str, n: int, spec: str, box: tuple[np.ndarray, np.ndarray] | None = None) -> KernelDensity:
    """``kde:BANDWIDTH:PATH``: the sample at PATH smoothed with bandwidth BANDWIDTH (a number or ``scott``)."""
    rule, sep, path = rest.partition(":")
    if not sep or not rule.strip() or not path:
        raise InvalidInput(f"distribution {spec!r}: write kde:BANDWIDTH:PATH (BANDWIDTH a number in the units "
                           f"of the types, or scott)")
    value = parse_bandwidth(rule)  # a bad bandwidth is refused before the file is read
    width = np.ones(n) if box is None else np.asarray(box[1], dtype=np.float64) - np.asarray(box[0], dtype=np.float64)
    return kernel_density(_load_samples(path, n, box), rule, value, width)


def _parse_density(rest: str, n: int, spec: str) -> FormulaDensity:
    if not rest.strip():
        raise InvalidInput("distribution 'density' needs a formula in x1..xn: density:EXPR (e.g. density:1+x1*x2)")
    return formula_density(rest, n)


def _parse_named_polytope(make: Callable[[int], PolytopeUniform]) -> Callable[[str, int, str], PolytopeUniform]:
    def parse(rest: str, n: int, spec: str) -> PolytopeUniform:
        if rest:
            raise InvalidInput(f"distribution {spec.partition(':')[0]!r} takes no parameters, got {spec!r}")
        return make(n)
    return parse


def _parse_polytope(rest: str, n: int, spec: str) -> PolytopeUniform:
    """``A.npy,b.npy`` (two .npy files) or inline rows ``a1,...,an,b/...`` meaning a . x <= b."""
    parts = [t.strip() for t in rest.split(",")]
    if len(parts) == 2 and all(t.endswith(".npy") for t in parts):
        A, b = (np.atleast_1d(_read_npy(Path(t), t)) for t in parts)
        if A.dtype.kind not in "iuf" or b.dtype.kind not in "iuf":
            raise InvalidInput(f"polytope {spec!r}: A and b must hold real numbers")
        return polytope_uniform(A.reshape(-1, n) if A.ndim == 1 else A, b, spec)
    rows = [_parse_numbers(r, spec) for r in rest.split("/") if r.strip()]
    if not rows or any(len(r) != n + 1 for r in rows):
        raise InvalidInput(f"distribution {spec!r}: write uniform-polytope:A.npy,b.npy or rows "
                           f"'a1,...,a{n},b' (each a . x <= b) separated by '/' (';' separates a sweep's values)")
    M = np.array(rows, dtype=np.float64)
    return polytope_uniform(M[:, :n], M[:, n], spec)


# family -> (parser(rest, n, spec), the form shown in messages)
PARSERS: dict[str, tuple[Callable[[str, int, str], Distribution], str]] = {
    **{f: ((lambda rest, n, spec, f=f: _parse_product(f, rest, spec)), form)
       for f, form in [("uniform", "uniform"), ("beta", "beta:a,b"), ("truncnorm", "truncnorm:mean,sd")]},
    "samples": (_parse_samples, "samples:PATH"),
    "kde": (_parse_kde, "kde:BANDWIDTH:PATH"),
    "density": (_parse_density, "density:EXPR"),
    "triangle": (_parse_named_polytope(triangle), "triangle"),
    "simplex": (_parse_named_polytope(simplex), "simplex"),
    "uniform-polytope": (_parse_polytope, "uniform-polytope:A.npy,b.npy or uniform-polytope:a1,..,an,b/..."),
}


def parse_distribution(spec: str, n: int, box: tuple[np.ndarray, np.ndarray] | None = None) -> Distribution:
    """Parse a law's spec string; the known forms are the keys of :data:`PARSERS`.

    ``box`` = (lo, hi), the type box: sample files, formulas and polytopes are
    read in its units and mapped onto [0,1]^n (x = lo + (hi - lo) y, a density
    picking up the Jacobian); product laws are given on the unit box.

    ``uniform``, ``beta:a,b``, ``truncnorm:mean,sd``, ``samples:PATH``,
    ``kde:BANDWIDTH:PATH`` (that sample smoothed, :mod:`grids.kernel_density`),
    ``density:EXPR`` (a safe formula in x1..xn, :mod:`grids.expression`),
    ``triangle`` / ``simplex`` (uniform on {x >= 0, sum x <= 1}) and
    ``uniform-polytope:...`` (uniform on {x in [0,1]^n : A x <= b}).

    Raises
    ------
    InvalidInput
        For an unknown family (the message lists the known ones), wrong
        parameter counts, nonpositive beta parameters or standard deviation,
        an unreadable sample file, an unsafe or invalid density, an empty polytope.
    """
    family, _, rest = spec.partition(":")
    family = family.strip().lower()
    if family not in PARSERS:
        known = ", ".join(form for _, form in PARSERS.values())
        raise InvalidInput(f"unknown distribution {spec!r}; known: {known}")
    if family in ("samples", "kde"):  # read in the type box's units
        return PARSERS[family][0](rest, n, spec, box)
    law = PARSERS[family][0](rest, n, spec)
    if box is not None and hasattr(law, "on_unit_box"):
        lo, hi = (np.asarray(v, dtype=np.float64) for v in box)
        law = law.on_unit_box(lo, hi - lo)
    return law
