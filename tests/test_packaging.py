"""Packaging: every package is listed in pyproject.toml; built-in plugins use only the public API."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_every_package_is_listed_in_pyproject():
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "framework").rglob("__init__.py")}
    found |= {
        ".".join(("framework_plugins", *p.parent.relative_to(REPO / "plugins").parts))
        for p in (REPO / "plugins").rglob("__init__.py")
    }
    found |= {".".join(("framework_grammars", *p.parent.relative_to(REPO / "grammars").parts))
              for p in (REPO / "grammars").rglob("__init__.py")}
    assert found == listed


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def test_builtin_plugins_import_only_public_framework_names():
    offenders = []
    for path in (REPO / "plugins").rglob("*.py"):
        own = path.relative_to(REPO / "plugins").parts[0].removesuffix(".py")
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] == "framework" and any(p.startswith("_") for p in parts[1:]):
                offenders.append(f"{path.relative_to(REPO)}: {name} (private framework module)")
            if parts[0] == "framework_plugins" and parts[1:2] != [own]:
                offenders.append(f"{path.relative_to(REPO)}: {name} (another plugin's internals)")
    assert not offenders


def test_core_does_not_import_the_builtin_plugins():
    offenders = [
        f"{path.relative_to(REPO)}: {name}"
        for path in (REPO / "framework").rglob("*.py")
        for name in _imports(path)
        if name.split(".")[0] == "framework_plugins"
    ]
    assert not offenders
