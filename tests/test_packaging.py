"""Packaging: every package is listed in pyproject.toml; built-in plugins use only the public API
(``framework``'s exports and ``framework.PUBLIC_MODULES``), like a third-party package."""

from __future__ import annotations

import ast
import importlib
import tomllib
from pathlib import Path

import framework

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
    """Every absolute module a file imports; ``from m import a`` counts as ``m.a`` too
    (``a`` may be a submodule: ``from framework import spec``)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def _framework_name_allowed(name: str) -> bool:
    """``framework``, a public module (or a name it defines), or a name ``framework`` exports."""
    if name == "framework":
        return True
    module, _, attribute = name.rpartition(".")
    if module == "framework" and attribute in framework.__all__:
        return True
    return any(name == m or name.startswith(m + ".") and module == m for m in framework.PUBLIC_MODULES)


def _plugin_offenders(root: Path) -> list[str]:
    """Imports in the plugin tree ``root`` that reach past the public API or into another plugin."""
    offenders = []
    for path in sorted(root.rglob("*.py")):
        own = path.relative_to(root).parts[0].removesuffix(".py")
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] == "framework" and not _framework_name_allowed(name):
                offenders.append(f"{path.relative_to(root)}: {name} (not the public framework API)")
            if parts[0] == "framework_plugins" and len(parts) > 1 and parts[1] != own:
                offenders.append(f"{path.relative_to(root)}: {name} (another plugin's internals)")
    return offenders


def test_builtin_plugins_import_only_framework_and_its_public_modules():
    assert _plugin_offenders(REPO / "plugins") == []


def test_the_import_check_catches_a_private_module_a_submodule_and_another_plugin(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "__init__.py").write_text(
        "from framework import PluginInfo, hookimpl\n"  # public
        "from framework.dsl.pcfg import compile_table\n"  # a public module
        "from framework.spec import Spec\n"  # an internal module
        "from framework import spec\n"  # the same, as a submodule
        "import framework.engine\n"
        "from framework import not_exported\n"
        "from framework_plugins.mine.options import X\n"  # its own internals are fine
        "from framework_plugins.tasks.raven import RavenTask\n"
    )
    assert _plugin_offenders(tmp_path) == [
        "mine/__init__.py: framework.spec (not the public framework API)",
        "mine/__init__.py: framework.spec.Spec (not the public framework API)",
        "mine/__init__.py: framework.spec (not the public framework API)",
        "mine/__init__.py: framework.engine (not the public framework API)",
        "mine/__init__.py: framework.not_exported (not the public framework API)",
        "mine/__init__.py: framework_plugins.tasks.raven (another plugin's internals)",
        "mine/__init__.py: framework_plugins.tasks.raven.RavenTask (another plugin's internals)",
    ]


def test_every_public_module_imports_and_is_documented():
    text = (REPO / "docs" / "plugins.md").read_text()
    for module in framework.PUBLIC_MODULES:
        importlib.import_module(module)
        assert f"`{module}`" in text, module


def test_core_does_not_import_the_builtin_plugins():
    offenders = [
        f"{path.relative_to(REPO)}: {name}"
        for path in (REPO / "framework").rglob("*.py")
        for name in _imports(path)
        if name.split(".")[0] == "framework_plugins"
    ]
    assert not offenders
