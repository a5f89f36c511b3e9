"""The folders' rules, checked on the source: no import circles, no import that runs back up.

An ``ast`` walk over ``grids``, ``solvers`` and ``neural`` collects every import,
at module level or inside a function (lazy imports count: a circle through a
lazy import is still a circle of dependencies). The rules are those of the
README's "Architecture" section.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("grids", "solvers", "neural")
FORM_FOLDERS = ("gradient", "measure")
FAMILIES = ("gradient", "measure", "auction", "sweeps", "cli", "backends")
# the front doors: they dispatch to the families, so they may import them
FRONT_DOORS = {"solvers", "solvers.api", "solvers.__main__"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """ids of the nodes under ``if TYPE_CHECKING:`` (annotations only: no import at run time)."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(sub) for stmt in node.body for sub in ast.walk(stmt))
    return skip


def graph() -> dict[str, set[str]]:
    """Module -> the modules of the three packages it imports, at run time (lazy imports included).

    ``from a.b import c`` imports the module a.b.c when there is one, else a.b.
    """
    files = {module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    edges: dict[str, set[str]] = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        skip = _type_checking_nodes(tree)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                targets.update(f"{base}.{a.name}" if f"{base}.{a.name}" in files else base for a in node.names)
        edges[name] = {t for t in targets if t in files and t != name}
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def family(module: str) -> str | None:
    """The folder of ``solvers`` a module lives in (None: the root of solvers/)."""
    parts = module.split(".")
    return parts[1] if parts[0] == "solvers" and len(parts) > 2 else None


def rule_breaks(edges: dict[str, set[str]]) -> list[str]:
    """Imports that break the README's folder rules."""
    bad = []
    for src, targets in sorted(edges.items()):
        top, fam = src.split(".")[0], family(src)
        for dst in sorted(targets):
            dtop, dfam = dst.split(".")[0], family(dst)
            why = None
            if top == "grids" and dtop != "grids":
                why = "grids/ imports nothing from solvers/ or neural/"
            elif top == "neural" and dst in FRONT_DOORS | {"solvers.api"}:
                why = "neural/ never imports the front door"
            elif top == "solvers" and dtop == "neural" and fam not in ("cli",) and src != "solvers.auction.compare":
                why = "only cli/ and auction/compare.py import neural"
            elif top == "solvers" and dst == "solvers.api" and fam not in ("cli", "sweeps") \
                    and src not in FRONT_DOORS:
                why = "only cli/ and sweeps/ call the front door (a form folder never does)"
            elif top == "solvers" and fam is None and src not in FRONT_DOORS and dfam in FAMILIES \
                    and dfam != "backends":
                why = "the root of solvers/ imports only grids/, backends/ and other root modules"
            elif fam == "gradient" and dfam == "measure":
                why = "measure/ may use gradient/ pieces, never the reverse"
            elif fam in FAMILIES and dfam == "cli" and fam != "cli":
                why = "nothing imports cli/"
            elif fam in ("gradient", "measure", "auction") and dfam == "sweeps":
                why = "a form or auction folder never imports the sweep machinery"
            if why:
                bad.append(f"{src} -> {dst}: {why}")
    return bad


def test_no_import_circles() -> None:
    found = cycles(graph())
    assert not found, "import circles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_no_import_breaks_the_folder_rules() -> None:
    bad = rule_breaks(graph())
    assert not bad, "imports against the folder rules:\n" + "\n".join(bad)


def test_no_private_name_crosses_a_module_boundary() -> None:
    crossing = []
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in PACKAGES:
                    crossing += [f"{module_name(path)}: from {node.module} import {a.name}"
                                 for a in node.names if a.name.startswith("_")]
    assert not crossing, "\n".join(crossing)


def test_the_rules_catch_what_they_forbid() -> None:
    """Each rule fires on a made-up import that breaks it (so an empty list above is not vacuous)."""
    forbidden = {
        "grids.grid": {"solvers.api"},
        "neural.rochetnet": {"solvers.api"},
        "solvers.gradient.solve": {"solvers.measure.lp", "solvers.api", "neural.rochetnet"},
        "solvers.solution": {"solvers.gradient.lp"},
        "solvers.auction.broker": {"solvers.cli.main"},
    }
    reasons = rule_breaks(forbidden)
    assert len(reasons) == 7, reasons


@pytest.mark.parametrize("edges,expected", [
    ({"a": {"b"}, "b": {"a"}}, [["a", "b"]]),
    ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
])
def test_the_cycle_finder_finds_circles(edges, expected) -> None:
    assert cycles(edges) == expected
