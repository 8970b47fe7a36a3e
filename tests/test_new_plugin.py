"""``framework new-plugin``: every kind's template installs, registers and passes its own contract test."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from framework import KINDS
from framework.cli import main
from framework.cli.new_plugin import USAGE


def _name(kind: str) -> str:
    return "my-" + kind.replace("_", "-")


def test_a_template_per_kind():
    assert set(USAGE) == set(KINDS)


def test_the_package_it_writes(tmp_path, capsys):
    assert main(["new-plugin", "backbone", "sum-gin", "--dir", str(tmp_path)]) == 0
    root = tmp_path / "framework-sum-gin"
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) == [
        "README.md", "framework_sum_gin/__init__.py", "framework_sum_gin/model.py", "pyproject.toml",
        "tests/test_framework_sum_gin.py",
    ]
    assert 'sum-gin = "framework_sum_gin"' in (root / "pyproject.toml").read_text()
    assert "check_backbone(build, SumGinOptions())" in (root / "tests/test_framework_sum_gin.py").read_text()
    assert '`[model] backbone = {plugin = "sum-gin"}`' in (root / "README.md").read_text()
    assert "$" not in "".join(p.read_text() for p in root.rglob("*") if p.is_file())


def test_bad_names_and_existing_folders_are_errors(tmp_path, capsys):
    assert main(["new-plugin", "selector", "Bad_Name", "--dir", str(tmp_path)]) == 2
    assert "use lower-case letters" in capsys.readouterr().err
    assert main(["new-plugin", "selector", "fine", "--dir", str(tmp_path)]) == 0
    assert main(["new-plugin", "selector", "fine", "--dir", str(tmp_path)]) == 2
    assert "already exists" in capsys.readouterr().err


@pytest.mark.slow
def test_every_template_installs_is_listed_and_passes_its_tests(tmp_path):
    for kind in USAGE:
        assert main(["new-plugin", kind, _name(kind), "--dir", str(tmp_path / "src")]) == 0
    packages = sorted((tmp_path / "src").iterdir())
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--disable-pip-version-check", "--target", str(site), *map(str, packages)],
                   check=True, capture_output=True, cwd=tmp_path)
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("FRAMEWORK_LOAD_PLUGINS", None)
    listed = subprocess.run([sys.executable, "-m", "framework.cli", "plugins", "--json"], env=env,
                            capture_output=True, text=True, check=True)
    rows = {(row["kind"], row["name"]): row for row in json.loads(listed.stdout)}
    for kind in USAGE:
        assert rows[(kind, _name(kind))]["package"] == f"framework-{_name(kind)}"
    tests = [str(p / "tests") for p in packages]
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                           *tests], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:]
    assert f"{len(USAGE)} passed" in done.stdout
