"""Refuse a solve whose estimated peak memory exceeds this machine's, once form and solver are known.

:func:`grids.make_grid` refuses only grids that no form or solver could fit;
here the estimate of :func:`grids.memory.estimated_bytes` is taken for the form,
the backend (simplex or first-order) and the symmetry group the LPs will be
folded by, and a solve that would not fit is refused before any work.
"""

from __future__ import annotations

from grids import Grid, InvalidInput, Setting
from grids import memory
from solvers.symmetry import GridSymmetry

# Backends whose LP part the model scales by grids.memory.FIRST_ORDER_LP_FACTOR; the same
# set as the backend classes with ``first_order = True`` (a test keeps the two equal).
FIRST_ORDER_SOLVERS = frozenset({"pdlp", "scs", "cupdlpx"})
SAMPLE_FAMILIES = frozenset({"samples", "kde"})   # laws read from a sample file (their ``family``)


def check_memory(setting: Setting, grid: Grid, form: str, solver: str, fold: bool | None) -> int:
    """The estimated peak bytes of this solve; InvalidInput when over :func:`grids.memory.memory_limit`.

    The symmetry group is detected (as the solve would, on the weights; the
    measure form detects on mu, the same group for a law symmetric about c)
    only when the unfolded estimate does not fit; ``fold=False`` estimates the
    unfolded LP.
    """
    n, k = grid.n, grid.k
    first_order = solver in FIRST_ORDER_SOLVERS
    # grids.memory.SAMPLE_LP_FACTOR: a sample's rough weights add rows in either form; in the measure
    # form every law known by its cell masses (formulas, polytopes too) takes the histogram mu, whose rows
    # per point run above the product densities' (density:exp(-8|x - (0.3, 0.6)|^2) at k = 256: 774 MiB
    # against the density envelope's 831 and this factor's 1069)
    sample = setting.dist.family in SAMPLE_FAMILIES or (form == "measure" and setting.dist.measure_rule == "histogram")
    limit = memory.memory_limit()
    group = 1
    need = memory.estimated_bytes(n, k, form, first_order, group, sample)
    if need > limit and fold is not False:
        group = GridSymmetry.detect(setting, grid).order
        need = memory.estimated_bytes(n, k, form, first_order, group, sample)
    if need > limit:
        folded = f"folded by a group of order {group}" if group > 1 else "unfolded"
        raise InvalidInput(
            f"grid k = {k} in {n}D ({grid.size:,} points, {form} form, solver {solver}, {folded}) needs about "
            f"{need / 2**30:.1f} GiB; this machine has {memory.available_bytes() / 2**30:.1f} GiB (a solve may "
            f"use {memory.MEMORY_FRACTION:.0%}): use a smaller grid{_largest_hint(n, k, form, first_order, group, sample)}"
        )
    return need


def _largest_hint(n: int, k: int, form: str, first_order: bool, group: int, sample: bool) -> str:
    """' (k <= K fits this estimate)' for the largest such K below k, or '' when none does."""
    limit = memory.memory_limit()
    lo, hi = 1, k  # estimated_bytes grows with k: bisect for the last size that fits
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if memory.estimated_bytes(n, mid, form, first_order, group, sample) <= limit else (lo, mid)
    return f" (k <= {lo} fits this estimate)" if lo >= 2 else ""
