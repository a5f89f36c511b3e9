"""Type distributions on the unit box [0,1]^n.

A product distribution has the same one-dimensional law on every coordinate
(uniform, beta, normal truncated to [0,1]); its cell masses come from exact CDF
differences. A sample distribution is the empirical law of trader types read
from a file; its cell masses are a nearest-grid-point histogram.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import stats

from grids.errors import InvalidInput


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
    def has_density(self) -> bool:
        return True

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

    @property
    def spec(self) -> str:
        return f"samples:{self.path}"

    @property
    def has_density(self) -> bool:
        return False

    @property
    def is_uniform(self) -> bool:
        return False

    def sample(self, rng: np.random.Generator, size: int, n: int) -> np.ndarray:
        """Resample ``size`` types with replacement."""
        return self.points[rng.integers(0, len(self.points), size)]


Distribution = ProductDistribution | SampleDistribution

_PARAM_COUNT = {"uniform": 0, "beta": 2, "truncnorm": 2}


def _parse_numbers(text: str, spec: str) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in text.split(","))
    except ValueError:
        raise InvalidInput(f"distribution {spec!r}: parameters must be numbers, got {text!r}") from None


def _load_samples(path_text: str, n: int) -> SampleDistribution:
    path = Path(path_text)
    if path.suffix not in (".npy", ".csv"):
        raise InvalidInput(f"sample file {path_text!r}: use a .npy or .csv file")
    try:
        if not path.is_file():
            raise InvalidInput(f"sample file {path_text!r} does not exist")
        if path.suffix == ".npy":
            raw = np.load(path, allow_pickle=False)
        else:
            raw = np.loadtxt(path, delimiter=",", ndmin=2)
        if np.iscomplexobj(raw) or raw.dtype.kind not in "biuf":
            raise InvalidInput(f"sample file {path_text!r} must hold real numbers, not {raw.dtype}")
        pts = np.asarray(raw, dtype=np.float64)
    except (OSError, ValueError) as err:
        raise InvalidInput(f"sample file {path_text!r} could not be read: {err}") from None
    if n == 1 and pts.ndim == 1:
        pts = pts[:, None]
    if pts.ndim != 2 or pts.shape[1] != n:
        raise InvalidInput(f"sample file {path_text!r} has shape {pts.shape}; expected (m, {n})")
    if len(pts) == 0:
        raise InvalidInput(f"sample file {path_text!r} holds no types")
    if not np.all(np.isfinite(pts)) or pts.min() < 0.0 or pts.max() > 1.0:
        raise InvalidInput(f"sample file {path_text!r}: every type must lie in [0, 1]^{n}")
    return SampleDistribution(path=str(path), points=pts)


def parse_distribution(spec: str, n: int) -> Distribution:
    """Parse ``uniform``, ``beta:a,b``, ``truncnorm:mean,sd`` or ``samples:PATH``.

    Raises
    ------
    InvalidInput
        For an unknown family, wrong parameter counts, nonpositive beta
        parameters or standard deviation, or an unreadable sample file.
    """
    family, _, rest = spec.partition(":")
    family = family.strip().lower()
    if family == "samples":
        if not rest:
            raise InvalidInput("distribution 'samples' needs a path: samples:PATH")
        return _load_samples(rest, n)
    if family not in _PARAM_COUNT:
        known = ", ".join(["uniform", "beta:a,b", "truncnorm:mean,sd", "samples:PATH"])
        raise InvalidInput(f"unknown distribution {spec!r}; known: {known}")
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
