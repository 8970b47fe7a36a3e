"""The built-in grammars ship as package data: found in a clone and in an installed wheel."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from framework import Grammar
from framework.dsl.grammar import grammars_dir

REPO = Path(__file__).resolve().parents[3]


def test_the_clone_reads_the_top_level_folder():
    assert grammars_dir() == REPO / "grammars"
    assert Grammar.load_builtin("graph") == Grammar.load(REPO / "grammars" / "graph.lark")
    assert sorted(p.name for p in (REPO / "grammars").glob("*.lark")) == ["arith.lark", "graph-rec.lark", "graph.lark", "list.lark"]


def test_dsl_check_takes_the_path_in_a_clone():
    done = subprocess.run([sys.executable, "-m", "framework.cli", "dsl", "check", "grammars/graph.lark"],
                          cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("grammars/graph.lark: ok: start 't', 1 nonterminal(s), 10 production(s)")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built from a copy of the sources (the checkout stays clean of build output)."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(REPO / name, source / name)
    for folder in ("framework", "plugins", "grammars"):
        shutil.copytree(REPO / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(out), str(source)], check=True, capture_output=True)
    (built,) = out.glob("framework-*.whl")
    return built


def test_the_wheel_carries_the_grammar_files(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"framework_grammars/graph.lark", "framework_grammars/arith.lark",
            "framework_grammars/__init__.py"} <= names
    assert not any(name.startswith("grammars/") for name in names)


def test_an_installed_wheel_loads_them(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
                    str(wheel)], check=True, capture_output=True)
    script = (
        "import framework, framework_grammars\n"
        "from framework import Grammar\n"
        f"assert framework.__file__.startswith({str(target)!r}), framework.__file__\n"
        "g = Grammar.load_builtin('arith')\n"
        f"assert g.source.startswith({str(target)!r}), g.source\n"
        "print(g.start, len(g.productions))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True,
                          env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["int", str(len(Grammar.load_builtin("arith").productions))]
