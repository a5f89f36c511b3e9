"""Peak-memory estimates of a solve, per form, backend kind and symmetry group, calibrated on measured peaks.

peak = MEMORY_BASE + HEADROOM N (per_point + F per_lp_point / G^e), with N = (k + 1)^n grid
points, G the order of the symmetry group the LPs are folded by (1: unfolded),
e = FOLD_EXPONENT of the form, F = FIRST_ORDER_LP_FACTOR of the form for a
first-order backend (1 for HiGHS simplex) and S = SAMPLE_LP_FACTOR of the form for a
law read from a sample, and in the measure form for any law whose mu is a histogram's
(formulas, polytopes; 1 otherwise).
``per_point`` covers arrays on the full grid (weights, u and g, the certificate,
the fold maps), ``per_lp_point`` the LP, the backend's copies and its factors per
folded point. Both are the tightest linear envelope of the HiGHS runs on densities of :data:`MEMORY_CALIBRATION`
(every measured peak covered, the sum of estimate / peak minimal: a small LP,
``python tests/benchmarks/bench_memory.py --fit``, which also prints the factor
F each first-order run and S each sample-law run needs), then widened by HEADROOM.
This module knows grid sizes only; which backend is first-order and which group
a solve folds by is decided in ``solvers``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from math import factorial

from grids.errors import InvalidInput

FORMS = ("gradient", "measure")
MEMORY_FRACTION = 0.75  # of this machine's memory a solve may plan to use
MIB = 2**20


@dataclass(frozen=True)
class MemoryModel:
    """Bytes per grid point (``per_point``) and per folded LP point (``per_lp_point``) of one form in nD."""

    per_point: float
    per_lp_point: float


@dataclass(frozen=True)
class MemoryMeasurement:
    """One measured peak: a whole ``solve`` command line (tests/benchmarks/bench_memory.py).

    ``case`` names the setting and belief c (``mult``: ``--transport multipliers``),
    ``group`` the symmetry group order the run folded by, ``rows`` the LP rows at the
    end (the summary's ``lp.rows``; 0 where not recorded), ``peak_mib`` the child's
    ru_maxrss, ``sample_law`` a law read from a sample (``samples:``, ``kde:``).
    """

    case: str
    n: int
    k: int
    form: str
    solver: str
    first_order: bool
    group: int
    rows: int
    peak_mib: float
    sample_law: bool = False


# 2-core CPU machine, HiGHS 1.16, Python 3.11; peak of the whole command (imports, grid, LP,
# certificate, menu profit, summary). Fields: case, n, k, form, solver, first-order, G, rows, MiB.
# The measure-form runs were re-measured on 2026-12-03 with the convexity rows generated
# (solvers/measure/row_generation.py), which cut the off-centre peaks about 2.5x; they add the
# laws whose rows enter over many rounds (beta:2,5, monopolist2d), and sample laws. Not calibration data: pdlp
# gradient k = 128 (time limit in cut round 3, 206 MiB); measure c=1/4,3/8 k = 1000 (1008 s,
# 5.0 GB peak, above its estimate's envelope of the k <= 512 runs, see tests/test_memory.py).
MEMORY_CALIBRATION: tuple[MemoryMeasurement, ...] = (
    MemoryMeasurement("amm1d c=1/4", 1, 5000, "gradient", "highs", False, 1, 10000, 133),  # 1 s
    MemoryMeasurement("amm1d c=1/4", 1, 20000, "gradient", "highs", False, 1, 40000, 174),  # 5 s
    MemoryMeasurement("amm1d", 1, 20000, "gradient", "highs", False, 1, 40000, 174),  # 3 s
    MemoryMeasurement("amm1d c=1/4", 1, 80000, "gradient", "highs", False, 1, 160000, 351),  # 36 s
    MemoryMeasurement("amm2d", 2, 64, "gradient", "highs", False, 8, 2112, 130),  # 1 s
    MemoryMeasurement("amm2d", 2, 128, "gradient", "highs", False, 8, 8320, 146),  # 2 s
    MemoryMeasurement("amm2d", 2, 256, "gradient", "highs", False, 8, 33024, 213),  # 6 s
    MemoryMeasurement("amm2d c=1/4,3/8", 2, 32, "gradient", "highs", False, 1, 4334, 130),  # 2 s
    MemoryMeasurement("amm2d c=1/4,3/8", 2, 64, "gradient", "highs", False, 1, 17407, 165),  # 1 s
    MemoryMeasurement("amm2d c=1/4,3/8", 2, 128, "gradient", "highs", False, 1, 83273, 362),  # 19 s
    MemoryMeasurement("amm2d c=1/4,3/8", 2, 192, "gradient", "highs", False, 1, 179177, 617),  # 190 s
    MemoryMeasurement("amm2d c=1/4,3/8", 2, 32, "gradient", "scs", True, 1, 4345, 167),  # 5 s
    MemoryMeasurement("amm2d c=1/4,3/8", 2, 64, "gradient", "pdlp", True, 1, 17521, 195),  # 38 s
    MemoryMeasurement("amm2d c=1/4,3/8", 2, 64, "gradient", "scs", True, 1, 17877, 226),  # 19 s
    MemoryMeasurement("amm3d", 3, 16, "gradient", "highs", False, 48, 720, 144),  # 3 s
    MemoryMeasurement("amm3d c=1/4,3/8,1/2", 3, 16, "gradient", "highs", False, 2, 14663, 157),  # 3 s
    MemoryMeasurement("amm3d", 3, 24, "gradient", "highs", False, 48, 2184, 201),  # 2 s
    MemoryMeasurement("amm3d c=1/4,3/8,1/2", 3, 24, "gradient", "highs", False, 2, 53629, 308),  # 14 s
    MemoryMeasurement("amm3d", 3, 32, "gradient", "highs", False, 48, 4896, 310),  # 4 s
    MemoryMeasurement("amm3d c=1/4,3/8,1/2", 3, 32, "gradient", "highs", False, 2, 119182, 515),  # 138 s
    MemoryMeasurement("amm1d c=1/4", 1, 5000, "measure", "highs", False, 1, 14998, 136),  # 1 s
    MemoryMeasurement("amm1d c=1/4", 1, 20000, "measure", "highs", False, 1, 59998, 188),  # 2 s
    MemoryMeasurement("amm1d c=1/4", 1, 80000, "measure", "highs", False, 1, 239998, 397),  # 2 s
    MemoryMeasurement("amm2d c=1/4,3/8", 2, 64, "measure", "highs", False, 1, 18330, 152),  # 2 s
    MemoryMeasurement("amm2d", 2, 128, "measure", "highs", False, 8, 9203, 154),  # 1 s
    MemoryMeasurement("amm2d c=1/4,3/8", 2, 128, "measure", "highs", False, 1, 72608, 217),  # 2 s
    MemoryMeasurement("amm2d c=1/4,3/8", 2, 192, "measure", "highs", False, 1, 162930, 334),  # 3 s
    MemoryMeasurement("amm2d", 2, 256, "measure", "highs", False, 8, 36385, 255),  # 2 s
    MemoryMeasurement("amm2d c=1/4,3/8 mult", 2, 256, "measure", "highs", False, 1, 289230, 499),  # 6 s
    MemoryMeasurement("amm2d c=1/4,3/8", 2, 384, "measure", "highs", False, 1, 649736, 966),  # 20 s
    MemoryMeasurement("amm2d", 2, 512, "measure", "highs", False, 8, 144787, 668),  # 4 s
    MemoryMeasurement("amm2d", 2, 1000, "measure", "highs", False, 8, 550633, 2121),  # 41 s
    MemoryMeasurement("amm2d c=1/4,3/8 mult", 2, 64, "measure", "scs", True, 1, 34458, 209),  # 4 s, inaccurate
    MemoryMeasurement("amm2d c=1/4,3/8 mult", 2, 128, "measure", "pdlp", True, 1, 137632, 245),  # 24 s, inaccurate
    MemoryMeasurement("amm2d c=1/4,3/8 mult", 2, 128, "measure", "scs", True, 1, 137632, 449),  # 32 s, inaccurate
    MemoryMeasurement("amm3d", 3, 16, "measure", "highs", False, 48, 766, 139),  # 1 s
    MemoryMeasurement("amm3d c=1/4,3/8,1/2", 3, 16, "measure", "highs", False, 2, 14938, 146),  # 1 s
    MemoryMeasurement("amm3d", 3, 24, "measure", "highs", False, 48, 2304, 185),  # 2 s
    MemoryMeasurement("amm3d c=1/4,3/8,1/2", 3, 24, "measure", "highs", False, 2, 47731, 203),  # 2 s
    MemoryMeasurement("amm3d", 3, 32, "measure", "highs", False, 48, 5131, 284),  # 2 s
    MemoryMeasurement("amm2d c=1/4,3/8", 2, 512, "measure", "highs", False, 1, 1153864, 1593),  # 70 s
    MemoryMeasurement("amm2d beta:2,5", 2, 256, "measure", "highs", False, 2, 152481, 475),  # 17 s
    MemoryMeasurement("amm2d beta:2,5", 2, 512, "measure", "highs", False, 2, 614303, 1685),  # 282 s
    MemoryMeasurement("monopolist2d", 2, 512, "measure", "highs", False, 2, 525312, 873),  # 20 s
    MemoryMeasurement("amm3d c=1/4,3/8,1/2", 3, 32, "measure", "highs", False, 2, 110092, 321),  # 3 s
    # sample laws (bench_memory.py --samples: 1e5 correlated trades, raw and kde:scott; the other core busy)
    MemoryMeasurement("amm2d samples 1e5", 2, 128, "measure", "highs", False, 1, 85169, 330, True),  # 80 s
    MemoryMeasurement("amm2d kde:scott 1e5", 2, 128, "measure", "highs", False, 1, 74585, 298, True),  # 23 s
    MemoryMeasurement("amm2d kde:scott 1e5", 2, 256, "measure", "highs", False, 1, 298583, 783, True),  # 241 s
    # the same raw sample in the gradient form (bench_nosymmetry, 2026-12-03 first session; rows not recorded)
    MemoryMeasurement("amm2d samples 1e5", 2, 128, "gradient", "highs", False, 1, 0, 461, True),  # 348 s
)

MEMORY_BASE = 150 * MIB       # interpreter and imports: 124 MiB measured (HiGHS, k = 8), 142 MiB with cvxpy (SCS)
# LP part of first-order runs (every row at once) against HiGHS (convexity rows generated) on
# the same case, from the fit: gradient SCS 1.41 (k = 64), 1.23 (k = 32), PDLP 0.84 (k = 64); measure SCS 2.18
# (k = 128) and 1.69 (k = 64), PDLP 0.69 (k = 128)
FIRST_ORDER_LP_FACTOR: dict[str, float] = {"gradient": 1.5, "measure": 2.2}
# How the LP part shrinks with the fold group G: as 1 / G for the gradient form; for the measure
# form, whose rows enter by row generation, as 1 / sqrt(G) (centred k = 1000, G = 8: 2121 MiB;
# off the centre, G = 1: 5.0 GB, a ratio of 2.3 where sqrt 8 = 2.8 and 8 would be 8)
FOLD_EXPONENT: dict[str, float] = {"gradient": 1.0, "measure": 0.5}
# LP part of sample laws (samples:, kde:; in the measure form every histogram mu) against the densities'
# envelope: rougher mu, more rounds and rows. From the fit: measure raw sample k = 128 1.31, kde:scott
# k = 256 1.16; gradient raw 1.47
SAMPLE_LP_FACTOR: dict[str, float] = {"gradient": 1.5, "measure": 1.35}
HEADROOM = 1.25               # same-size cases differ by up to ~1.35x per point (measure c=1/4,3/8: 10.5 KB at
                              # k = 192, 14.2 KB at k = 256); rough laws add cut rows
MEMORY_MODELS: dict[tuple[str, int], MemoryModel] = {
    ("gradient", 1): MemoryModel(0, 2_635),
    ("gradient", 2): MemoryModel(0, 13_358),
    ("gradient", 3): MemoryModel(4_408, 12_483),
    ("measure", 1): MemoryModel(0, 3_237),
    ("measure", 2): MemoryModel(0, 8_649),
    ("measure", 3): MemoryModel(3_633, 1_918),
}


def estimated_bytes(n: int, k: int, form: str = "gradient", first_order: bool = False, group_order: int = 1,
                    sample_law: bool = False) -> int:
    """Estimated peak bytes of one solve: base + HEADROOM N (per_point + F S per_lp_point / G^e).

    Parameters
    ----------
    n, k : int
        Goods and cells per axis; N = (k + 1)^n points.
    form : {"gradient", "measure"}
    first_order : bool
        A first-order backend (PDLP, SCS, cuPDLPx): F = FIRST_ORDER_LP_FACTOR[form], else 1.
    group_order : int
        Order G of the symmetry group the LPs are folded by (1: unfolded); e = FOLD_EXPONENT[form].
    sample_law : bool
        A law read from a sample (``samples:``, ``kde:``), or a histogram mu in the measure form:
        S = SAMPLE_LP_FACTOR[form], else 1.

    Notes
    -----
    More than 3 goods is unmeasured: the 3-good model, scaled by n / 3.
    """
    if form not in FORMS:
        raise InvalidInput(f"no memory model for form {form!r}; known: {', '.join(FORMS)}")
    model = MEMORY_MODELS[(form, min(max(n, 1), 3))]
    factor = (FIRST_ORDER_LP_FACTOR[form] if first_order else 1.0) * (SAMPLE_LP_FACTOR[form] if sample_law else 1.0)
    lp = model.per_lp_point * factor / max(group_order, 1) ** FOLD_EXPONENT[form]
    goods = max(n, 3) / 3  # 1 up to 3 goods
    return int(MEMORY_BASE + (k + 1) ** n * HEADROOM * goods * (model.per_point + lp))


def least_bytes(n: int, k: int) -> int:
    """The smallest estimate of any solve on this grid: a grid above it fits no form or solver.

    min over forms of estimated_bytes(n, k, form, simplex, G = 2^n n!), the largest group of
    signed axis permutations.
    """
    group = 2**n * factorial(n)
    return min(estimated_bytes(n, k, form, False, group) for form in FORMS)  # first-order only adds (factor >= 1)


def available_bytes() -> int:
    """This machine's physical memory in bytes."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def memory_limit() -> float:
    """Bytes a solve may plan to use: MEMORY_FRACTION of :func:`available_bytes`."""
    return MEMORY_FRACTION * available_bytes()
