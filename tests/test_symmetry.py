"""Symmetry folding (solvers.symmetry): the group found, and folded = unfolded optimum."""

from __future__ import annotations

import numpy as np
import pytest

from grids import make_grid, make_setting
from solvers import solve
from solvers.symmetry import GridSymmetry, signed_permutations


@pytest.mark.parametrize("name,kw,order", [
    ("amm2d", {}, 8),                                  # the square's dihedral group about c = (1/2, 1/2)
    ("amm3d", {}, 48),                                 # the cube's: 3! axis orders x 2^3 reflections
    ("amm2d", {"dist": "beta:2,2"}, 8),                # beta(2,2) is symmetric about 1/2
    ("amm2d", {"dist": "beta:2,3"}, 2),                # not about 1/2: only the swap of the two goods
    ("amm2d", {"belief": "0.25,0.25"}, 2),             # c off the centre, on the diagonal: the swap
    ("amm2d", {"belief": "0.25,0.5"}, 2),              # c_2 = 1/2: the reflection of good 2
    ("amm2d", {"belief": "0.25,0.375"}, 1),            # nothing
    ("monopolist2d", {}, 2),                           # B = [0,1]^2 has no reflections: the swap
])
def test_group_found(name: str, kw: dict, order: int) -> None:
    s = make_setting(name, **kw)
    g = make_grid(s, 8)
    sym = GridSymmetry.detect(s, g)
    assert sym.order == order
    for p in sym.perms:                                # every element keeps the weights and fixes c
        assert np.array_equal(np.sort(p), np.arange(g.size))
        assert p[g.c_index] == g.c_index
        assert np.allclose(g.weights[p], g.weights, rtol=0, atol=1e-15)  # float round-off of the weights


def test_signed_permutations_form_the_hyperoctahedral_group() -> None:
    mats = signed_permutations(3)
    assert len(mats) == 48 and np.array_equal(mats[0], np.eye(3))
    keys = {m.tobytes() for m in mats}
    assert all((a @ b).tobytes() in keys for a in mats[::7] for b in mats[::5])  # closed under products


@pytest.mark.parametrize("name,k,kw", [
    ("amm2d", 24, {"alpha": 0.3}), ("amm2d", 16, {"dist": "beta:2,2"}), ("amm3d", 8, {}),
    ("monopolist2d", 16, {}), ("amm2d", 16, {"belief": "0.25,0.25"}),
])
def test_folded_equals_unfolded(name: str, k: int, kw: dict) -> None:
    folded = solve(name, k, fold=True, **kw)
    plain = solve(name, k, fold=False, reduce_axis=False, **kw)
    assert folded.status == plain.status == "optimal"
    assert folded.stats.columns < plain.stats.columns
    # Two optima of the same LP, dual simplex at feasibility tolerance 1e-10 (scaled): equal to ~1e-12.
    assert folded.primal.value == pytest.approx(plain.primal.value, abs=1e-10)
    # The lifted multipliers certify the folded optimum on the full LP (recomputed from the arrays).
    assert folded.certificate.dual_flow_violation <= 1e-12          # float round-off of the lift
    assert folded.dual.bound - folded.primal.value <= 1e-9          # the solve's gap tolerance (1e-7 rel.) is looser
    sym = GridSymmetry.detect(folded.setting, folded.grid)
    u, g = folded.primal.u, folded.primal.g
    for p, M in zip(sym.perms, sym.mats):                            # the solution is invariant
        assert np.allclose(u[p], u, atol=1e-14)                       # exact copies: float round-off only
        assert np.allclose(g[p], g @ M.T, atol=1e-14)


def test_folding_with_cut_rounds(tmp_path) -> None:
    """A rough but symmetric histogram needs pair rows beyond the stencil; folded rows still certify."""
    x = np.random.default_rng(5).random((20, 2))
    x = np.concatenate([x, 1 - x, x[:, ::-1], 1 - x[:, ::-1], np.column_stack([x[:, 0], 1 - x[:, 1]]),
                        np.column_stack([1 - x[:, 0], x[:, 1]]), np.column_stack([x[:, 1], 1 - x[:, 0]]),
                        np.column_stack([1 - x[:, 1], x[:, 0]])])
    path = tmp_path / "types.npy"
    np.save(path, x)
    folded = solve("amm2d", 12, dist=f"samples:{path}", fold=True)
    plain = solve("amm2d", 12, dist=f"samples:{path}", fold=False)
    sym = GridSymmetry.detect(folded.setting, folded.grid)
    assert sym.order == 8
    assert folded.stats.rounds > 1 and plain.stats.rounds > 1
    assert folded.status == "optimal"
    assert folded.primal.value == pytest.approx(plain.primal.value, abs=1e-10)  # as above


@pytest.mark.parametrize("name,k,kw", [
    ("amm2d", 16, {"alpha": 0.3}), ("amm2d", 12, {"dist": "beta:2,2"}), ("amm3d", 6, {}), ("monopolist2d", 12, {}),
])
def test_measure_form_folded_equals_unfolded(name: str, k: int, kw: dict) -> None:
    folded = solve(name, k, form="measure", fold=True, **kw)
    plain = solve(name, k, form="measure", fold=False, **kw)
    assert folded.status == plain.status == "optimal"
    # Both LPs of each pair are solved by simplex at feasibility tolerance 1e-10 (scaled): values agree to ~1e-12.
    assert folded.primal.value == pytest.approx(plain.primal.value, abs=1e-10)
    assert folded.dual.value == pytest.approx(plain.dual.value, abs=1e-10)
    # The lifted flows leave no mass unmoved off c (the bound adds nothing) and the lifted u keeps every row.
    assert folded.certificate.dual_flow_violation <= 1e-12             # float round-off of the lift
    assert folded.certificate.max_pair_violation <= 1e-12
    assert folded.stats.rows < plain.stats.rows


def test_restrict_inverts_the_lift() -> None:
    from solvers.gradient.lp import GradientLP
    from solvers.gradient.fold import FoldedLP

    s = make_setting("amm3d")
    g = make_grid(s, 6)
    flp = FoldedLP.build(GradientLP.build(s, g), GridSymmetry.detect(s, g))
    z = np.random.default_rng(2).random(len(flp.cost))
    assert np.allclose(flp.restrict(flp.expand(z)), z, atol=1e-14)  # float round-off of the averages
