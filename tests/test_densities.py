"""Non-product type laws (grids/densities.py, grids/expression.py): formula densities and polytope-uniform laws.

References are independent closed forms: antiderivatives of polynomial densities,
inclusion-exclusion areas of box ∩ {x1 + x2 <= 1}, moments of the triangle law.
"""

from __future__ import annotations

import numpy as np
import pytest

from grids import InvalidInput, formula_density, make_grid, make_setting, parse_distribution, polytope_uniform
from grids.densities import GL_POINTS
from grids.grid import axis_cells

ROUND_OFF = 1e-14  # sums of ~(k+1)^2 float64 terms of order 1: a few ulps each


def _cell_boxes(k: int, c: np.ndarray, rule: str) -> tuple[np.ndarray, np.ndarray]:
    """Corner arrays (N, 2) lo, hi of the grid cells, C order (the grid's own cells)."""
    (l1, h1), (l2, h2) = (axis_cells(k, float(cj), rule) for cj in c)
    lo = np.stack(np.meshgrid(l1, l2, indexing="ij"), axis=-1).reshape(-1, 2)
    hi = np.stack(np.meshgrid(h1, h2, indexing="ij"), axis=-1).reshape(-1, 2)
    return lo, hi


# f = 1 + x1^7 x2^3 + 2 x1 x2^7: degree 7 in each coordinate; F the antiderivative in both
POLY = "1 + x1**7 * x2**3 + 2*x1*x2**7"


def _poly_box_integral(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    def prim(a: np.ndarray, b: np.ndarray, p: int) -> np.ndarray:   # integral of t^p over [a, b]
        return (b ** (p + 1) - a ** (p + 1)) / (p + 1)
    (a1, a2), (b1, b2) = lo.T, hi.T
    return (prim(a1, b1, 0) * prim(a2, b2, 0) + prim(a1, b1, 7) * prim(a2, b2, 3)
            + 2 * prim(a1, b1, 1) * prim(a2, b2, 7))


@pytest.mark.parametrize("k,belief,rule", [(8, "0.5", "cell"), (12, "0.25,0.5", "away"), (5, "0.4,0.6", "cell")])
def test_gauss_legendre_weights_are_exact_for_a_degree_7_polynomial(k: int, belief: str, rule: str) -> None:
    s = make_setting("amm2d", belief=belief, dist=f"density:{POLY}")
    g = make_grid(s, k, rule)
    lo, hi = _cell_boxes(k, s.c, rule)
    exact = _poly_box_integral(lo, hi)
    total = 1 + 1 / 8 * 1 / 4 + 2 * 1 / 2 * 1 / 8     # integral of f over the unit square = 1.28125
    # 4-point Gauss-Legendre is exact for degree <= 7 per axis: only round-off remains
    assert np.max(np.abs(g.weights - exact / total)) < ROUND_OFF
    assert abs(s.dist.total - total) < ROUND_OFF      # the law's own normalization, composite GL, also exact
    assert GL_POINTS == 4 and "exact for degree <= 7" in s.dist.weights_rule


def test_gauss_legendre_is_not_exact_at_degree_8() -> None:
    """The exactness claim is tight: x1^8 leaves the GL error term (b-a)^9 (4!)^4 / (9 (8!)^3) 8! per cell."""
    k = 4
    g = make_grid(make_setting("amm2d", dist="density:x1**8"), k)
    lo, hi = _cell_boxes(k, np.full(2, 0.5), "cell")
    exact = (hi[:, 0] ** 9 - lo[:, 0] ** 9) / 9 * (hi[:, 1] - lo[:, 1]) * 9   # normalized: total 1/9
    err = np.max(np.abs(g.weights - exact))
    # Abramowitz-Stegun 25.4.30 with f^(8) = 8!: (1/4)^9 (4!)^4 8! / (9 (8!)^3) = 1.6e-10 (times the x2 width)
    assert 1e-12 < err < 1e-9


@pytest.mark.parametrize("formula,product,setting", [
    ("x1*x2", "beta:2,1", "amm2d"),
    ("x1*x2*x3", "beta:2,1", "monopolist3d"),
    ("(1-x1)**2*(1-x2)**2", "beta:1,3", "monopolist2d"),
    ("exp(-((x1-0.4)**2+(x2-0.4)**2)/(2*0.3**2))", "truncnorm:0.4,0.3", "amm2d"),
])
def test_formula_density_equals_the_product_law_it_writes(formula: str, product: str, setting: str) -> None:
    for rule in ("cell", "away"):
        w_formula = make_grid(make_setting(setting, dist=f"density:{formula}"), 8, rule).weights
        w_product = make_grid(make_setting(setting, dist=product), 8, rule).weights
        # polynomials of degree <= 3 per axis: GL exact, round-off only. The Gaussian: the GL error term
        # (Abramowitz-Stegun 25.4.30) w^9 (4!)^4 / (9 (8!)^3) max|f^(8)|, max|f^(8)| = He_8(0) / sd^8 = 105 / 0.3^8,
        # on cells of width w <= 2/k (the away rule gives c both sides), over the normalization 0.666^2;
        # measured 3.8e-12 (cell) and 1.2e-9 (away, at c)
        gl_error = (2 / 8) ** 9 * 24.0**4 / (9 * 40320.0**3) * 105 / 0.3**8 / 0.666**2
        tol = gl_error if formula.startswith("exp") else ROUND_OFF
        assert np.max(np.abs(w_formula - w_product)) < tol


def test_a_callable_density_gives_the_formula_weights() -> None:
    law = formula_density(lambda x: 1 + x[:, 0] * x[:, 1], 2)
    s_call, s_text = make_setting("amm2d", dist=law), make_setting("amm2d", dist="density:1+x1*x2")
    assert np.max(np.abs(make_grid(s_call, 8).weights - make_grid(s_text, 8).weights)) < ROUND_OFF
    assert s_call.dist.spec.startswith("density:<python")


def test_a_formula_in_box_coordinates_maps_to_the_unit_box() -> None:
    """x = lo + scale y on [1, 3] x [0, 2]: f = x1 becomes 1 + 2 y1 (times the constant Jacobian 4, normalized away)."""
    mapped = parse_distribution("density:x1", 2).on_unit_box(np.array([1.0, 0.0]), np.array([2.0, 2.0]))
    direct = parse_distribution("density:1+2*x1", 2)
    s1, s2 = make_setting("amm2d", dist=mapped), make_setting("amm2d", dist=direct)
    assert np.max(np.abs(make_grid(s1, 8).weights - make_grid(s2, 8).weights)) < ROUND_OFF  # GL exact (degree 1)
    assert abs(mapped.total - 4 * direct.total) < ROUND_OFF * 10                          # the Jacobian prod(scale)


def _triangle_box_area(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """area of [lo, hi] ∩ {x1 + x2 <= 1} by inclusion-exclusion of corner triangles G(s) = max(s, 0)^2 / 2."""
    G = lambda s: np.maximum(s, 0.0) ** 2 / 2  # noqa: E731
    (a1, a2), (b1, b2) = lo.T, hi.T
    return G(1 - a1 - a2) - G(1 - b1 - a2) - G(1 - a1 - b2) + G(1 - b1 - b2)


@pytest.mark.parametrize("k,rule", [(4, "cell"), (5, "cell"), (7, "away"), (16, "cell")])
def test_triangle_cell_masses_are_exact_areas(k: int, rule: str) -> None:
    s = make_setting("monopolist2d", dist="triangle")
    g = make_grid(s, k, rule)
    lo, hi = _cell_boxes(k, s.c, rule)
    assert abs(g.weights.sum() - 1.0) < ROUND_OFF
    assert abs(s.dist.volume - 0.5) < ROUND_OFF
    # qhull's volumes of cut cells and the exact areas agree to round-off
    assert np.max(np.abs(g.weights - _triangle_box_area(lo, hi) / 0.5)) < ROUND_OFF


def test_triangle_masses_on_a_few_cells_by_hand() -> None:
    """k = 4 (h = 1/4): the diagonal x1 + x2 = 1 runs through cell corners or centres; masses = area / (1/2)."""
    w = make_grid(make_setting("monopolist2d", dist="triangle"), 4).weights.reshape(5, 5)
    h2 = 1 / 16                                                          # a full cell's area
    assert w[1, 1] == pytest.approx(h2 / 0.5, abs=ROUND_OFF)             # [1/8, 3/8]^2: inside
    assert w[2, 2] == pytest.approx(h2 / 2 / 0.5, abs=ROUND_OFF)         # [3/8, 5/8]^2: cut along its diagonal
    assert w[3, 1] == pytest.approx(h2 / 2 / 0.5, abs=ROUND_OFF)         # [5/8, 7/8] x [1/8, 3/8]: likewise
    assert w[0, 0] == pytest.approx(h2 / 4 / 0.5, abs=ROUND_OFF)         # [0, 1/8]^2: the corner quarter
    assert w[4, 0] == pytest.approx(h2 / 8 / 0.5, abs=ROUND_OFF)         # [7/8, 1] x [0, 1/8]: half of h^2/4
    assert w[3, 3] == 0.0 and w[4, 4] == 0.0                             # beyond the diagonal


def test_polytope_spec_forms_agree(tmp_path) -> None:
    np.save(tmp_path / "A.npy", np.array([[1.0, 1.0]]))
    np.save(tmp_path / "b.npy", np.array([1.0]))
    ref = make_grid(make_setting("amm2d", dist="triangle"), 8).weights
    for spec in ("uniform-polytope:1,1,1", "uniform-polytope:1,1,1/-1,0,0/0,0.5,0.75", f"uniform-polytope:{tmp_path / 'A.npy'},{tmp_path / 'b.npy'}", "simplex"):
        assert np.max(np.abs(make_grid(make_setting("amm2d", dist=spec), 8).weights - ref)) < ROUND_OFF


def test_a_polytope_in_1d_and_3d() -> None:
    w = make_grid(make_setting("amm1d", dist="uniform-polytope:1,0.5"), 4).weights   # uniform on [0, 1/2]
    assert np.allclose(w, [0.25, 0.5, 0.25, 0, 0], atol=ROUND_OFF)
    s = make_setting("monopolist3d", dist="simplex")
    g = make_grid(s, 6)
    assert abs(s.dist.volume - 1 / 6) < ROUND_OFF and abs(g.weights.sum() - 1) < ROUND_OFF
    # vol(box ∩ {x1 + x2 + x3 <= 1}) by inclusion-exclusion over the 8 corners v:
    # sum (-1)^|upper| max(1 - sum v, 0)^3 / 6
    ax = [axis_cells(6, 0.0, "cell")] * 3
    lo = np.stack(np.meshgrid(*[a[0] for a in ax], indexing="ij"), axis=-1).reshape(-1, 3)
    hi = np.stack(np.meshgrid(*[a[1] for a in ax], indexing="ij"), axis=-1).reshape(-1, 3)
    exact = np.zeros(len(lo))
    for upper in np.ndindex(2, 2, 2):
        v = np.where(np.array(upper, dtype=bool), hi, lo)
        exact += (-1) ** sum(upper) * np.maximum(1 - v.sum(axis=1), 0) ** 3 / 6
    assert np.max(np.abs(g.weights - exact * 6)) < ROUND_OFF


def test_polytope_on_the_unit_box() -> None:
    """{x1 + x2 <= 2} on the box [0, 2]^2 is the triangle in unit coordinates."""
    law = parse_distribution("uniform-polytope:1,1,2", 2)
    mapped = law.on_unit_box(np.zeros(2), np.full(2, 2.0))
    assert law.volume == pytest.approx(1.0, abs=ROUND_OFF) and mapped.volume == pytest.approx(0.5, abs=ROUND_OFF)


@pytest.mark.parametrize("spec,fragment", [
    ("uniform-polytope:1,1,-1", "empty or has zero volume"),
    ("uniform-polytope:1,1,0", "empty or has zero volume"),          # only the origin
    ("uniform-polytope:1,-1,0/-1,1,0", "empty or has zero volume"),  # the diagonal segment
    ("uniform-polytope:0,0,1", "zero row"),
    ("uniform-polytope:1,1", "rows"),
    ("triangle:2", "takes no parameters"),
])
def test_bad_polytopes_are_refused(spec: str, fragment: str) -> None:
    with pytest.raises(InvalidInput, match=fragment):
        parse_distribution(spec, 2)


def test_triangle_is_a_2d_law() -> None:
    with pytest.raises(InvalidInput, match="2 goods"):
        parse_distribution("triangle", 3)


def test_triangle_sample_has_the_triangle_moments() -> None:
    """Uniform on {x >= 0, x1 + x2 <= 1}: E x = 1/3, var 1/18, cov -1/36."""
    x = parse_distribution("triangle", 2).sample(np.random.default_rng(3), 40_000, 2)
    assert x.shape == (40_000, 2) and np.all(x.sum(axis=1) <= 1 + 1e-12)
    se = np.sqrt(1 / 18 / len(x))                   # MC standard error of a coordinate mean
    assert np.allclose(x.mean(axis=0), 1 / 3, atol=4 * se)
    cov = np.cov(x.T)
    # var of a sample variance: (mu4 - sigma^4) / m with mu4 <= (max dev)^4 = 1: se <= 1/sqrt(m) = 0.005; 4 se
    assert np.allclose(np.diag(cov), 1 / 18, atol=0.02) and abs(cov[0, 1] + 1 / 36) < 0.02


def test_formula_sample_by_rejection_has_the_density_mean() -> None:
    """f = 1 + x1 x2: total 5/4, integral of x1 f = 1/2 + 1/6, so E x1 = 8/15."""
    law = parse_distribution("density:1+x1*x2", 2)
    x = law.sample(np.random.default_rng(5), 40_000, 2)
    se = x[:, 0].std() / np.sqrt(len(x))
    assert abs(x[:, 0].mean() - 8 / 15) < 4 * se                     # 4 MC standard errors
    assert np.array_equal(x, law.sample(np.random.default_rng(5), 40_000, 2))   # the generator fixes it


@pytest.mark.parametrize("formula,fragment", [
    ("x1-0.5", "is negative at x ="),
    ("sin(6*x1)", "is negative at x ="),
    ("0*x1", "does not integrate"),
    ("1/x1", "is not finite at x ="),
    ("sqrt(x1-1)", "not finite"),
    ("__import__('os')", "'__import__' is not allowed"),
    ("x1.__class__", "Attribute"),
    ("x3", "unknown variable 'x3'"),
    ("y", "the name 'y' is not allowed"),
    ("open('f')", "'open' is not allowed"),
    ("[x1]", "List"),
    ("x1 if x2 else 1", "IfExp"),
    ("x1 < x2", "Compare"),
    ("x1 // 2", "FloorDiv"),
    ("exp(x1, x2)", "takes 1 positional"),
    ("'a'", "constant 'a'"),
    ("True", "constant True"),
    ("1j", "constant 1j"),
    ("1e400", "beyond float64"),
    ("10**400", "not finite"),
    ("(", "is not a formula"),
    ("", "needs a formula"),
])
def test_bad_densities_are_refused(formula: str, fragment: str) -> None:
    with pytest.raises(InvalidInput, match=fragment.replace("(", r"\(").replace("[", r"\[")):
        parse_distribution(f"density:{formula}", 2)


def test_the_allowed_functions_evaluate_as_numpy_does() -> None:
    x = np.random.default_rng(0).random((50, 2))
    law = parse_distribution("density:exp(x1)+log(1+x2)+sqrt(x1)+sin(x2)+cos(x1)+abs(x1-x2)"
                             "+min(x1,x2)+maximum(x1,x2)+pi+e", 2)
    ref = (np.exp(x[:, 0]) + np.log(1 + x[:, 1]) + np.sqrt(x[:, 0]) + np.sin(x[:, 1]) + np.cos(x[:, 0])
           + np.abs(x[:, 0] - x[:, 1]) + np.minimum(*x.T) + np.maximum(*x.T) + np.pi + np.e)
    assert np.allclose(law.func(x), ref, rtol=1e-15, atol=0)


def test_a_callable_of_the_wrong_shape_is_refused() -> None:
    with pytest.raises(InvalidInput, match="returned shape"):
        formula_density(lambda x: x, 2)


def test_a_polytope_must_be_finite_and_shaped() -> None:
    with pytest.raises(InvalidInput, match="finite"):
        polytope_uniform(np.array([[1.0, np.nan]]), np.array([1.0]), "p")
    with pytest.raises(InvalidInput, match="shape"):
        polytope_uniform(np.ones((2, 2)), np.ones(3), "p")
