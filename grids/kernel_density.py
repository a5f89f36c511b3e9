"""A sample of trader types smoothed by a Gaussian product kernel: ``kde:BANDWIDTH:PATH``.

f(x) = (1/m) sum_j prod_a phi_h((x_a - s_ja) / h_a) / (h_a Z_ja), each kernel renormalized
to [0,1] (Z_ja = Phi((1 - s_ja)/h_a) - Phi(-s_ja/h_a)), so every sample keeps mass 1/m.
Its cell masses are exact (products of normal CDF differences, summed over the sample);
the measure form takes mu of their histogram density, as for a raw sample
(:func:`grids.measure.histogram_measure`). The bandwidth is the user's choice: a number
(in the units of the type box) or ``scott`` (h_a = sd_a m^(-1/(n+4)), Scott's rule, the
default of ``scipy.stats.gaussian_kde``). Nothing is smoothed unless asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import stats
from scipy.special import ndtr

from grids.errors import InvalidInput

if TYPE_CHECKING:  # the sample law lives in grids.distributions, which imports this module
    from grids.distributions import SampleDistribution

CHUNK_ENTRIES = 4_000_000  # samples x cells per axis held at once when the cell masses are summed


@dataclass(frozen=True)
class KernelDensity:
    """The sample ``data`` smoothed by a box-renormalized Gaussian product kernel.

    Parameters
    ----------
    data : SampleDistribution
        The types, on the unit box.
    bandwidth : tuple of float
        h_a per axis, on the unit box (the user's bandwidth divided by the box's width).
    rule : str
        The bandwidth as written (a number or ``scott``), for the spec.
    """

    data: "SampleDistribution"
    bandwidth: tuple[float, ...]
    rule: str

    family = "kde"
    measure_rule = "histogram"  # mu of the histogram density of the exact cell masses

    @property
    def spec(self) -> str:
        return f"kde:{self.rule}:{self.data.path}"

    @property
    def weights_rule(self) -> str:
        h = ", ".join(f"{v:.4g}" for v in self.bandwidth)
        return (f"exact cell masses of the Gaussian kernel density of the sample (bandwidth {h} on the unit box, "
                f"{self.rule}; each kernel renormalized to the box)")

    @property
    def is_uniform(self) -> bool:
        return False

    def measure_problem(self) -> str | None:
        """None: the measure form applies, to the histogram density of the cell masses."""
        return None

    def _axis_masses(self, values: np.ndarray, lo: np.ndarray, hi: np.ndarray, a: int) -> np.ndarray:
        """(samples, cells) masses of each renormalized 1D kernel on the cells [lo, hi) of axis a."""
        h = self.bandwidth[a]
        s = values[:, None]
        m = ndtr((hi[None, :] - s) / h) - ndtr((lo[None, :] - s) / h)
        z = ndtr((1.0 - values) / h) - ndtr(-values / h)
        return m / z[:, None]

    def grid_weights(self, cells: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """Mass of f in each grid point's cell (flat, C order): (1/m) sum_j prod_a K_ja(cell_a)."""
        n, pts = len(cells), self.data.points
        letters = "abcdefghijklmnopqrstuvwxy"[:n]
        formula = ",".join(f"z{c}" for c in letters) + "->" + letters
        out = np.zeros(tuple(len(lo) for lo, _ in cells))
        step = max(1, CHUNK_ENTRIES // max(len(lo) for lo, _ in cells))
        for start in range(0, len(pts), step):
            block = pts[start:start + step]
            mats = [self._axis_masses(block[:, a], *cells[a], a) for a in range(n)]
            out += np.einsum(formula, *mats, optimize=True)
        return out.ravel() / len(pts)

    def sample(self, rng: np.random.Generator, size: int, n: int) -> np.ndarray:
        """``size`` draws of f with ``rng``: a sample type, then per axis a normal around it truncated to [0, 1]."""
        centre = self.data.points[rng.integers(0, len(self.data.points), size)]
        h = np.asarray(self.bandwidth)
        return stats.truncnorm.rvs(-centre / h, (1.0 - centre) / h, loc=centre, scale=h, random_state=rng)

def parse_bandwidth(rule: str) -> float | None:
    """The bandwidth in type units, or None for Scott's rule; checked before the sample is read.

    Raises
    ------
    InvalidInput
        A bandwidth that is neither ``scott`` nor a positive finite number.
    """
    text = rule.strip().lower()
    if text == "scott":
        return None
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput(f"kde bandwidth {rule!r}: write a positive number or 'scott' (kde:0.03:PATH)") from None
    if not np.isfinite(value) or value <= 0:
        raise InvalidInput(f"kde bandwidth {rule!r} must be a positive finite number")
    return value


def kernel_density(sample: "SampleDistribution", rule: str, value: float | None, width: np.ndarray) -> KernelDensity:
    """The KDE of ``sample`` with bandwidth ``value`` in type units (None: Scott's rule), written ``rule``.

    ``value`` comes from :func:`parse_bandwidth`; ``width`` is the type box's width
    per axis (ones for the unit box).

    Raises
    ------
    InvalidInput
        Scott's rule on a sample with no spread along an axis.
    """
    m, n = sample.points.shape
    if value is None:
        sd = sample.points.std(axis=0, ddof=1) if m > 1 else np.zeros(n)
        if np.any(sd <= 0):
            raise InvalidInput(f"kde:scott: the sample {sample.path!r} has no spread along an axis; give a bandwidth")
        h = sd * m ** (-1.0 / (n + 4))
    else:
        h = np.full(n, value) / np.asarray(width, dtype=np.float64)
    return KernelDensity(data=sample, bandwidth=tuple(float(v) for v in h), rule=rule.strip().lower())
