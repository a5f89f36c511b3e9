"""Which LP form ``form="auto"`` solves: a rule measured per setting family (issue 16).

The two forms discretize the same continuous problem differently, so their
grid values differ by O(h) (both are certified, each by its own dual; the
exact menu profit of either is a true lower bound). ``auto`` picks the one
that is faster for the family, and the solution says which and why
(``Solution.form`` and ``Solution.form_reason``); ``form="gradient"`` or
``"measure"`` forces one.

Measured on the 2-core machine (tests/benchmarks/bench_nosymmetry.py, wall
seconds of the whole command; the measure form generates its convexity rows,
solvers/measure/row_generation.py, and reads the plan from the multipliers
beyond k = 64; the tables are in the issue 16 note):

==========================  ====  ==========  ==================================
setting                     k     gradient    measure
==========================  ====  ==========  ==================================
amm2d c = (1/4, 3/8)        64    2.2         1.5
amm2d c = (1/4, 3/8)        128   20.3        2.2
amm2d c = (1/4, 3/8)        256   > 420       7.0
amm2d c = (1/4, 3/8)        512   -           80.4
amm2d beta:2,5 (c = 1/2)    64    2.6         2.7
amm2d beta:2,5 (c = 1/2)    128   10.5        4.3
amm2d beta:2,5 (c = 1/2)    256   842.8       17.2
monopolist2d                128   14.2        1.5
monopolist2d                256   > 420       4.3
amm3d c off-centre          16    2.0         1.7
amm3d c off-centre          24    7.3         1.7
amm3d c off-centre          32    89.9        4.0
uniform, c = 1/2 (fold)     256   6.3         (folds too; gradient kept)
suite-ddt                   32    0.9         0.27
suite-ddt                   64    41.8        4.6
suite-04-03                 64    24.8        1.2
samples (1e5 correlated)    128   348         31 (other core busy)
samples (1e5 correlated)    256   -           > 420
the same, kde:scott         128   -           4.8 (*)
the same, kde:scott         256   -           50.6 (*)
the same, kde:scott         512   -           787.4 (*, +)
density:1+3*x1*x2           128   6.9         3.9
density:1+3*x1*x2           256   216.0       14.4
density:1+3*x1*x2           512   -           228.1
density bump (below)        128   17.9        5.5
density bump (below)        256   > 300       50.2 (*)
density bump (below)        512   -           667.0 (*, +)
monopolist2d 1+3*x1*x2      128   13.3        3.1
monopolist2d 1+3*x1*x2      256   > 300       5.8
monopolist2d triangle       128   21.0        35.5 (43 rounds)
monopolist2d triangle       256   > 300       > 300
monopolist2d [0,1/2]x[0,1]  128   274.7       > 300
amm2d triangle              64    9.3         3.6
amm2d triangle              128   > 420       2.6
amm2d triangle              256   -           5.6
amm2d triangle              512   -           52.0
amm3d simplex               16    90.0        0.2
amm3d simplex               24    > 300       0.4
==========================  ====  ==========  ==================================

(density bump: ``density:exp(-8*((x1-0.3)**2+(x2-0.6)**2))``, amm2d, c = 1/2. (*): seconds inside
``solvers.solve`` with the columns boxed, as for every histogram mu
(:func:`solvers.measure.row_generation.column_box_pays`), one solve at a time except (+), the two
k = 512 runs, made side by side on the 2 cores; before the box: 12.1, 130.4 and 67.7, and the
bump at k = 512 did not finish in 600 s.)

Below the thresholds both forms take about two seconds (mostly imports), and
the gradient form's value is the one the rest of the project reports.

On a type box other than the unit box (suite-ddt, [4,16] x [4,7]; suite-04-03,
[0,4] x [0,3])
the measure form is faster at every k measured (16, 32, 64) and its menu
earns more (DDT k = 64: 9.77745 against 9.77680; 04-03: 1.91839 against
1.91609), so ``auto`` takes it there whatever the grid size. The gradient
form's value remains the one that brackets a closed form from above
(tests/test_suite.py forces it for that reason).

Formula densities and polytope laws take the measure form of the histogram
density of their cell masses, as samples do (Gauss-Legendre cell integrals,
exact cell volumes); their values track the gradient form's to 0.41-0.44 h in
2D (tests/measure/test_measure.py), and suite-triangle approaches its closed
form 2/(3 sqrt 3) within 0.01 h (tests/test_suite.py). ``auto`` takes it for
formula densities beyond the thresholds (monopolist2d with 1+3*x1*x2: 3.1 s
against 13.3 s at k = 128, 5.8 s against > 300 s at k = 256), for polytope
laws of a market maker at every size, and keeps polytope laws of the
monopolist in the gradient form (POLYTOPE_LAW_FAMILIES: on their empty cells
its row generation takes tens of rounds).

A sample law takes the measure form of its histogram density
(grids.measure.histogram_measure): the noisy mu makes the row generation
take about 7 rounds instead of 1, and it still wins by 11x at k = 128. At
k = 256 the first round alone (no convexity rows) takes 55 s and 121k dual
simplex iterations, and the solve does not finish in 420 s; a kernel density
of the same trades (``kde:``, the user's choice) takes 51 s there (130 s
before its columns were boxed, which removed the first round's dual phase 1).

So: the measure form for 2D and 3D laws with a bounded density, a sample or a
formula once the grid is large and the gradient form's symmetry group does not
make it cheap, and for a market maker's polytope laws at every size; the
gradient form in 1D (its cut loop stays short there) and from 4D on
(unmeasured), for the monopolist's polytope laws, for a polytope B (the measure
form's edge rows are per axis), with a warm
start (gradient form only), and on small grids, where both take seconds and
the gradient form's value is the one the rest of the project (known values,
examples, sweeps) reports.
"""

from __future__ import annotations

from dataclasses import dataclass

from grids import Grid, InvalidInput, Setting
from grids.measure import require_density
from solvers.symmetry import GridSymmetry

# per dimension, the grid size from which laws without a large symmetry group solve faster in the
# measure form: (128 + 1)^2 in 2D, (24 + 1)^3 in 3D; 1D (and 4D and up) stay in the gradient form
MEASURE_MIN_POINTS = {2: 16_641, 3: 15_625}
# a group of this order or more (the dihedral group of the square, c at the centre) makes the
# folded gradient LP take well under a second at k = 256; below it (the monopolist's swap) it does not
FOLD_PAYS_ORDER = 8
# Polytope laws leave the cells outside the polytope empty. For a market maker the measure form wins
# at every size measured (its radial rows, u nondecreasing along rays from c, likely hold u there; amm3d
# simplex k = 16: 0.2 s against 90 s; k = 24: 0.4 s against > 300 s; amm2d triangle k = 64: 3.6 s
# against 9.3 s, k = 128: 2.6 s against > 420 s). The monopolist has no radial rows, and its row
# generation takes tens of rounds there (monopolist2d triangle k = 128: 43 rounds, 35 s against 21 s;
# uniform on [0, 1/2] x [0, 1] k = 128: > 300 s against 275 s), so it keeps the gradient form.
POLYTOPE_LAW_FAMILIES = frozenset({"uniform-polytope"})


@dataclass(frozen=True)
class FormChoice:
    """The form ``auto`` picked and the rule's reason, in one sentence."""

    form: str
    reason: str


def choose_form(setting: Setting, grid: Grid, *, form: str = "auto", warm_start: object = "none",
                fold: bool | None = None) -> FormChoice:
    """The form to solve: ``form`` itself unless it is ``auto``, else the measured rule above."""
    if form != "auto":
        return FormChoice(form, "asked for")
    if not (isinstance(warm_start, str) and warm_start == "none"):
        return FormChoice("gradient", "auto: a warm start applies to the gradient form only")
    if grid.n not in MEASURE_MIN_POINTS:
        return FormChoice("gradient", f"auto: {grid.n}D solves faster in the gradient form")
    if not setting.B.is_box:
        return FormChoice("gradient", "auto: the measure form needs a box B; this B is a polytope")
    try:
        require_density(setting, grid)
    except InvalidInput as err:
        return FormChoice("gradient", f"auto: the measure form does not apply ({err})")
    if setting.dist.family in POLYTOPE_LAW_FAMILIES:
        if setting.market.fixed_belief is not None:
            return FormChoice("gradient", "auto: a polytope law leaves cells empty, where the monopolist's measure "
                                          "form takes tens of row-generation rounds (--form measure forces it)")
        return FormChoice("measure", "auto: a polytope law for a market maker, faster in the measure form at "
                                     "every size measured (--form gradient forces the gradient LP)")
    scaled = grid.n == 2 and not setting.types.is_unit
    least = MEASURE_MIN_POINTS[grid.n]
    if grid.size < least and not scaled:
        return FormChoice("gradient", f"auto: {grid.size:,} points < {least:,} (small grid)")
    order = 1 if fold is False else GridSymmetry.detect(setting, grid).order
    if order >= FOLD_PAYS_ORDER:
        return FormChoice("gradient", f"auto: symmetry of order {order} folds the gradient LP")
    if scaled:
        return FormChoice("measure", f"auto: 2D density on the type box {setting.types.spec()} "
                                     f"(the gradient form's cut loop is slow on scaled boxes; --form gradient forces it)")
    return FormChoice("measure", f"auto: {grid.n}D density, {grid.size:,} points, symmetry of order {order} "
                                 f"(--form gradient forces the gradient LP)")
