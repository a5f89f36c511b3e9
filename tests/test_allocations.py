"""Allocation sets B (grids.allocations) and type boxes (grids.types): construction, support
functions, refusals, and the setting's unit-box view (c', D B, pin)."""

from __future__ import annotations

import numpy as np
import pytest

from grids import InvalidInput, make_grid, make_setting
from grids.allocations import Allocations, box_allocations, parse_allocations, polytope, unit_demand
from grids.measure import grid_measure
from grids.types import parse_types


def _support_by_vertices(B: Allocations, v: np.ndarray) -> np.ndarray:
    return (v @ B.vertices.T).max(axis=-1)


@pytest.mark.parametrize("B", [
    box_allocations([-1.0, 0.0, -0.5], [0.5, 2.0, 0.0]),
    unit_demand(3),
    unit_demand(2).scaled(np.array([12.0, 3.0])),
    polytope(np.array([[1.0, 1.0], [1.0, -2.0], [-1.0, 0.0], [0.0, -1.0]]), np.array([1.0, 0.5, 0.2, 0.0])),
])
def test_closed_form_support_equals_the_vertex_maximum(B: Allocations) -> None:
    """h_B(v) (closed forms for box and unit demand) = max over the vertices; round-off only."""
    v = np.random.default_rng(1).normal(size=(200, B.n))
    assert np.allclose(B.support(v), _support_by_vertices(B, v), rtol=0, atol=1e-12)


def test_named_vertices_and_bounding_box() -> None:
    """Unit demand has the vertices 0 and e_i; a polytope's bounding box comes from linprog
    (exact for these rational data up to the LP tolerance 1e-9)."""
    assert {tuple(v) for v in unit_demand(2).vertices} == {(0.0, 0.0), (1.0, 0.0), (0.0, 1.0)}
    P = parse_allocations("polytope:1 1 <= 1; -1 0 <= 0; 0 -1 <= 0", 2, unit_demand(2))
    assert np.allclose(P.lower, 0.0, atol=1e-9) and np.allclose(P.upper, 1.0, atol=1e-9)
    assert not P.is_box and box_allocations([0, 0], [1, 2]).is_box


def test_retract_lands_in_B() -> None:
    """retract = clamp for a box; for a polytope g scaled toward 0 until every row holds."""
    B = unit_demand(2)
    g = np.random.default_rng(2).uniform(-1, 2, size=(500, 2))
    r = B.retract(g)
    assert B.violation(r) <= 1e-12  # round-off of the scaling
    inside = np.array([[0.2, 0.3]])
    assert np.array_equal(B.retract(inside), inside)


def test_scaled_allocations_are_D_B() -> None:
    """D B: box bounds times D, polytope rows A D^-1 (so a' = D a satisfies them iff a does)."""
    D = np.array([12.0, 3.0])
    B = unit_demand(2).scaled(D)
    a = np.random.default_rng(3).uniform(0, 1, size=(300, 2))
    inside = a.sum(axis=1) <= 1
    assert np.all((a[inside] * D) @ B.A.T <= B.b + 1e-12)
    assert np.all(((a[~inside] * D) @ B.A.T > B.b).any(axis=1))
    assert np.allclose(B.upper, D)


@pytest.mark.parametrize("spec,fragment", [
    ("polytope:1 0 <= -1; -1 0 <= 2; 0 1 <= 1; 0 -1 <= 1", "does not contain 0"),
    ("polytope:1 0 <= 1; -1 0 <= -2; 0 1 <= 1; 0 -1 <= 1", "does not contain 0|empty"),
    ("polytope:1 1 <= 1", "unbounded"),
    ("polytope:1 0 <= 1; -1 0 <= 1; 0 1 <= 0; 0 -1 <= 0", "no interior|flat"),
    ("polytope:1 2 3 <= 1", "coefficients"),
    ("box:0:1,2:1", "empty"),
    ("box:0.5:1,0:1", "does not contain 0"),
    ("box:0:inf,0:1", "finite"),
    ("simplex", "unknown allocations"),
])
def test_bad_allocation_sets_are_refused(spec: str, fragment: str) -> None:
    with pytest.raises(InvalidInput, match=fragment):
        parse_allocations(spec, 2, unit_demand(2))


def test_empty_polytope_is_refused() -> None:
    """{a1 <= -1, -a1 <= -1} ... written with b >= 0 it is the containment test; with rows that
    contradict each other beyond 0 the bounding-box LP reports it empty."""
    with pytest.raises(InvalidInput, match="empty|does not contain 0"):
        polytope(np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]]), np.array([-1.0, 2.0, 1.0, 1.0]))


@pytest.mark.parametrize("types,fragment", [
    ("4:4,0:1", "empty on axis 1"),
    ("0:1,3:2", "empty on axis 2"),
    ("0:1,0:1,0:1", "has 3 axes"),
    ("0:nan,0:1", "finite"),
    ("0:inf,0:1", "finite"),
    ("a:b", "lo:hi"),
])
def test_bad_type_boxes_are_refused(types: str, fragment: str) -> None:
    with pytest.raises(InvalidInput, match=fragment):
        make_setting("amm2d", types=types)


def test_amm_belief_outside_the_type_box_is_refused() -> None:
    with pytest.raises(InvalidInput, match="off the type box"):
        make_setting("amm2d", types="2:4,1:2", belief=(0.5, 0.5))


def test_monopolist_needs_nonnegative_allocations() -> None:
    with pytest.raises(InvalidInput, match="allocations must be >= 0"):
        make_setting("monopolist2d", allocations="box:-1:1,0:1")


def test_setting_unit_box_view() -> None:
    """Type box [2,4] x [1,2]: default belief is the box centre, c' = (c - lo)/D, B' = D B,
    the pin is c' for a market maker; the grid's pin row is the belief."""
    s = make_setting("amm2d", types="2:4,1:2")
    assert s.belief == (3.0, 1.5) and np.allclose(s.c, [0.5, 0.5]) and np.array_equal(s.pin, s.c)
    assert s.B.lo == (-2.0, -1.0) and s.B.hi == (2.0, 1.0)
    assert not s.is_standard and make_setting("amm2d").is_standard
    assert s.params()["types"] == "2:4,1:2"
    g = make_grid(s, 4)
    assert np.allclose(g.points[g.pin_index], [0.5, 0.5])
    assert parse_types("4:16", 2).spec() == "4:16,4:16"  # one interval repeats


def test_measure_of_a_monopolist_type_box_has_zero_mass() -> None:
    """mu = boundary term with x - c' (c' off the unit box) - interior + unit mass at the pin:
    total mass 0 (divergence theorem; round-off 1e-14 relative to the |mu| mass ~ 10)."""
    s = make_setting("monopolist2d", types="4:16,4:7")
    g = make_grid(s, 16)
    mu = grid_measure(s, g)
    assert abs(float(mu.total.sum())) <= 1e-12
    assert mu.point[g.pin_index] == 1.0 and g.pin_index == 0


def test_samples_are_read_in_user_units(tmp_path) -> None:
    """Sample files hold types in the type box; they are mapped onto the unit box, and a type
    outside the box is refused."""
    pts = np.column_stack([np.linspace(4, 16, 11), np.linspace(4, 7, 11)])
    path = tmp_path / "types.npy"
    np.save(path, pts)
    s = make_setting("monopolist2d", types="4:16,4:7", dist=f"samples:{path}")
    assert np.allclose(s.dist.points, np.linspace(0, 1, 11)[:, None])
    np.save(path, np.vstack([pts, [[3.0, 5.0]]]))
    with pytest.raises(InvalidInput, match="outside the type box"):
        make_setting("monopolist2d", types="4:16,4:7", dist=f"samples:{path}")


def test_polytope_from_files(tmp_path) -> None:
    """polytope:A.npy,b.npy (or .csv) reads the rows; the result equals the inline form."""
    A = np.array([[1.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
    b = np.array([1.0, 0.0, 0.0])
    np.save(tmp_path / "A.npy", A)
    np.save(tmp_path / "b.npy", b)
    np.savetxt(tmp_path / "A.csv", A, delimiter=",")
    np.savetxt(tmp_path / "b.csv", b, delimiter=",")
    inline = parse_allocations("polytope:1 1 <= 1; -1 0 <= 0; 0 -1 <= 0", 2, unit_demand(2))
    for ext in ("npy", "csv"):
        P = parse_allocations(f"polytope:{tmp_path}/A.{ext},{tmp_path}/b.{ext}", 2, unit_demand(2))
        assert P == inline
    with pytest.raises(InvalidInput, match="could not be read"):
        parse_allocations(f"polytope:{tmp_path}/none.npy,{tmp_path}/b.npy", 2, unit_demand(2))
