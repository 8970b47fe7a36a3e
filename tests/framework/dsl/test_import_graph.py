"""The layering of ``framework/``: no import circles, and the DSL core below everything else.

The graph is read from the source with ``ast``: every import counts, at module
level, inside functions and under ``TYPE_CHECKING`` alike, since a circle of
type-only imports is still two modules that cannot be understood apart.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

REPO = Path(__file__).resolve().parents[3]


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, name: str, modules: set[str]) -> set[str]:
    """The modules of ``modules`` that the file at ``path`` (module ``name``) imports, anywhere in it."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                kept = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*kept, base] if base else kept)
            # `from framework.dsl import grammar` imports a module; `from framework import Grammar` a name
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:  # `import framework.dsl.grammar.x`: the module
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph(root: Path, package: str) -> nx.DiGraph:
    """Module ``a`` -> module ``b`` when ``a`` imports ``b``, for the modules of ``root/package``."""
    paths = {module_name(p, root): p for p in (root / package).rglob("*.py")}
    graph = nx.DiGraph()
    graph.add_nodes_from(paths)
    for name, path in paths.items():
        graph.add_edges_from((name, target) for target in imported_modules(path, name, set(paths)))
    return graph


def circles(graph: nx.DiGraph) -> list[list[str]]:
    return sorted(sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1)


def test_no_import_circles_in_the_framework():
    graph = import_graph(REPO, "framework")
    assert "framework.dsl.grammar" in graph and graph.number_of_edges() > 50  # the scan sees the code
    assert circles(graph) == []


def test_the_dsl_core_imports_only_itself_and_leaves():
    """``framework/dsl/`` stands alone: outside it, only modules that import no framework module."""
    graph = import_graph(REPO, "framework")
    offenders = [
        f"{module} imports {target}"
        for module in graph if module.startswith("framework.dsl.")
        for target in graph.successors(module)
        if not target.startswith("framework.dsl.") and graph.out_degree(target) > 0
    ]
    assert offenders == []


def test_the_checks_see_circles_and_climbs(tmp_path):
    """The two checks above fail on a type-only circle and on a dsl module importing upwards."""
    package = tmp_path / "framework"
    (package / "dsl").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "dsl" / "__init__.py").write_text("")
    (package / "errors.py").write_text("")
    (package / "engine.py").write_text("from framework.dsl import a\n")
    (package / "dsl" / "a.py").write_text("from framework.errors import X\nfrom . import b\n")
    (package / "dsl" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from framework.dsl.a import A\n"
        "def f():\n    from framework import engine\n")
    graph = import_graph(tmp_path, "framework")
    assert circles(graph) == [["framework.dsl.a", "framework.dsl.b", "framework.engine"]]
    assert set(graph.successors("framework.dsl.b")) == {"framework.dsl.a", "framework.engine"}
    assert set(graph.successors("framework.dsl.a")) == {"framework.errors", "framework.dsl.b"}
    assert graph.out_degree("framework.errors") == 0 and graph.out_degree("framework.engine") > 0
