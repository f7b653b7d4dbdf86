"""The shape of the package, held by its source (read with `ast`; nothing is imported):

- no import circle between modules;
- imports run one way: a part imports only parts below it (`LAYERS`, drawn in docs/ARCHITECTURE.md);
- one door to the solver: only `planner.solver` creates a CP-SAT solver or imports an LP/MIP
  engine, so every caller gets the fast path and the measured parameters;
- the auditor never reaches the model or the solver;
- a package's face never hides one of its modules behind a name, no part imports another
  part's private (underscore) module, and no file is over 600 lines.
"""
from __future__ import annotations

import ast

import pytest

from imports import PACKAGE, graph, modules, reachable

#: Parts from the bottom up; a part may import only parts of a lower layer (and itself).
LAYERS = [
    ["planner.lang"],
    ["planner.errors", "planner._version"],
    ["planner.inputs"],
    ["planner.rules"],
    ["planner.model", "planner.audit"],
    ["planner.solver"],
    ["planner.result"],
    ["planner.explain", "planner.ledger"],
    ["planner.show"],
    ["planner.rounds"],
    ["planner.analysis"],
    ["planner.api"],
    ["planner.web"],
    ["planner.cli"],
    ["planner"],
]
LAYER = {part: k for k, parts in enumerate(LAYERS) for part in parts}
SOLVER_NAMES = {"CpSolver", "SolveWrapper"}             # what runs CP-SAT
ENGINES = {"highspy", "ortools.linear_solver", "pywraplp", "model_builder_helper"}
MAX_LINES = 600


def part_of(module: str) -> str:
    while module not in LAYER:
        module = module.rsplit(".", 1)[0]
    return module


def test_every_module_belongs_to_a_part():
    assert not [m for m in modules() if m != "planner" and part_of(m) == "planner" and m.count(".") > 1]
    parts = {m.split(".")[1] for m in modules() if m.count(".") >= 1}
    assert {p for p in parts if f"planner.{p}" not in LAYER} == set()


def _circles(edges: dict[str, frozenset[str]]) -> list[list[str]]:
    """Strongly connected sets of modules, except a package's __init__ with its own children
    when none of them imports it back (re-exporting is not a circle)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)

    def trivial(comp: list[str]) -> bool:
        inits = [c for c in comp if modules()[c].name == "__init__.py"]
        return (len(inits) == 1 and all(c == inits[0] or c.startswith(inits[0] + ".") for c in comp)
                and not any(inits[0] in edges[c] for c in comp if c != inits[0]))

    return [c for c in found if not trivial(c)]


def test_no_import_circle():
    assert _circles(graph()[0]) == []


def test_the_circle_check_finds_a_circle():
    """The check itself can fail: groups importing prepare, which imports groups, is a circle;
    a child importing its own package's face is one too."""
    edges = dict(graph()[0])
    assert "planner.rules.groups" in edges["planner.rules.prepare"]
    bent = {**edges, "planner.rules.groups": edges["planner.rules.groups"] | {"planner.rules.prepare"}}
    assert any("planner.rules.groups" in c for c in _circles(bent))
    back = {**edges, "planner.rules.groups": edges["planner.rules.groups"] | {"planner.rules"}}
    assert any("planner.rules" in c for c in _circles(back))


def test_imports_run_one_way():
    edges, _ = graph()
    wrong = sorted(f"{a} → {b}" for a, targets in edges.items() for b in targets
                   if part_of(a) != part_of(b) and LAYER[part_of(b)] >= LAYER[part_of(a)])
    assert wrong == []


def _solver_uses(path) -> list[str]:
    tree = ast.parse(path.read_text("utf-8"))
    hits = [node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute) and node.attr in SOLVER_NAMES]
    hits += [node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and node.id in SOLVER_NAMES]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
            hits += [n for n in names if any(n == e or n.startswith(e + ".") or n.endswith("." + e) for e in ENGINES)]
            hits += [a.name for a in node.names if a.name in SOLVER_NAMES]
        elif isinstance(node, ast.Import):
            hits += [a.name for a in node.names if any(a.name == e or a.name.startswith(e + ".") for e in ENGINES)]
    return hits


def test_one_door_to_the_solver():
    outside = {m: _solver_uses(path) for m, path in modules().items() if part_of(m) != "planner.solver"}
    assert {m: hits for m, hits in outside.items() if hits} == {}
    inside = [m for m, path in modules().items() if part_of(m) == "planner.solver" and _solver_uses(path)]
    assert inside, "the solve part runs the solvers (the check must see them)"


def test_the_auditor_never_reaches_the_model_or_the_solver():
    seen = reachable("planner.audit")
    assert {"planner.rules.groups", "planner.rules.policy"} <= seen     # it follows imports
    assert not {m for m in seen if part_of(m) in ("planner.model", "planner.solver")}
    _, outside = graph()
    assert not [m for m in seen if "ortools" in outside[m] or "highspy" in outside[m]]


def test_no_part_imports_another_parts_private_module():
    edges, _ = graph()
    private = sorted(f"{a} → {b}" for a, targets in edges.items() for b in targets
                     if part_of(a) != part_of(b) and any(p.startswith("_") for p in b.split(".")[1:])
                     and b != "planner._version")
    assert private == []


@pytest.mark.parametrize("package", sorted(m for m, p in modules().items() if p.name == "__init__.py"))
def test_a_face_never_hides_a_module(package):
    """``from planner.show import compare`` must give the module: a package's face may not bind a
    name that one of its submodules has."""
    tree = ast.parse(modules()[package].read_text("utf-8"))
    bound = {a.asname or a.name for node in tree.body if isinstance(node, ast.ImportFrom) for a in node.names}
    children = {m.rsplit(".", 1)[1] for m in modules() if "." in m and m.rsplit(".", 1)[0] == package}
    imported_as_module = {a.name for node in tree.body if isinstance(node, ast.ImportFrom)
                          and node.module == package for a in node.names}
    assert (bound & children) - imported_as_module == set()


def test_files_are_short_enough_to_read_in_one_sitting():
    long = {str(p.relative_to(PACKAGE.parent)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text("utf-8").splitlines())) > MAX_LINES}
    assert long == {}
