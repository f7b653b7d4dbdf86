"""The import graph of the planner package, read from its source with `ast` (nothing is imported).

Every ``import`` and ``from … import`` counts, also inside functions and ``TYPE_CHECKING``
blocks: a circle is a circle, whenever it is walked. Used by the architecture test and the
auditor's independence test.
"""
from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "planner"


@lru_cache(maxsize=1)
def modules() -> dict[str, Path]:
    """Dotted module name → file, for every module of the package (a package is its __init__)."""
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _target(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if modules()[module].name != "__init__.py":
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


@lru_cache(maxsize=1)
def graph() -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """(edges between the package's modules, other top-level packages each module imports)."""
    mods = modules()
    edges: dict[str, set[str]] = {m: set() for m in mods}
    outside: dict[str, set[str]] = {m: set() for m in mods}
    for module, path in mods.items():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom):
                target = _target(module, node)
                names = [f"{target}.{a.name}" if f"{target}.{a.name}" in mods else target for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                if name.split(".")[0] == "planner":
                    while name not in mods and "." in name:
                        name = name.rsplit(".", 1)[0]
                    if name != module:
                        edges[module].add(name)
                else:
                    outside[module].add(name.split(".")[0])
    return ({m: frozenset(e) for m, e in edges.items()}, {m: frozenset(o) for m, o in outside.items()})


def reachable(module: str) -> set[str]:
    """Every planner module `module` imports at any depth (itself included)."""
    edges, _ = graph()
    seen, todo = set(), [module]
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo += edges[m]
    return seen
