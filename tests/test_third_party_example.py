"""examples/third-party/framework-shapes, a package written from docs/authoring.md alone:
it installs, `framework plugins` lists its four plugins, its own tests pass, its spec runs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from attrs import frozen

from framework.testing.pytest_plugin import TINY, merged
from framework.toml_writer import dumps

PACKAGE = Path(__file__).resolve().parents[1] / "examples" / "third-party" / "framework-shapes"
PLUGINS = {("domain", "shapes"), ("synthesizer", "hill-climb"), ("injector", "random-walk"), ("backbone", "gin-sum")}


@frozen
class Installed:
    source: Path  # a copy of the package (pip builds in its folder: the example stays clean)
    env: dict


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    root = tmp_path_factory.mktemp("shapes")
    source = root / "framework-shapes"
    shutil.copytree(PACKAGE, source, ignore=shutil.ignore_patterns(
        "build", "*.egg-info", "__pycache__", ".hypothesis", ".pytest_cache"))
    site = root / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--disable-pip-version-check", "--target", str(site), str(source)],
                   check=True, capture_output=True, cwd=root)
    env = {**os.environ, "PYTHONPATH": str(site)}
    for name in ("FRAMEWORK_LOAD_PLUGINS", "FRAMEWORK_DISABLE_PLUGINS"):
        env.pop(name, None)
    return Installed(source, env)


def framework(installed, *arguments, cwd):
    return subprocess.run([sys.executable, "-m", "framework.cli", *arguments], env=installed.env, cwd=cwd,
                          capture_output=True, text=True)


@pytest.mark.slow
def test_framework_plugins_lists_its_four_plugins(installed, tmp_path):
    listed = framework(installed, "plugins", "--json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    rows = {(row["kind"], row["name"]): row for row in json.loads(listed.stdout)}
    for plugin in PLUGINS:
        row = rows[plugin]
        assert (row["package"], row["version"], row["source"], row["error"]) == (
            "framework-shapes", "0.1.0", "framework_shapes", None)


@pytest.mark.slow
def test_its_own_tests_pass(installed, tmp_path):
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                           str(installed.source / "tests")], env=installed.env, capture_output=True, text=True,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "failed" not in done.stdout and " passed" in done.stdout


@pytest.mark.slow
def test_its_spec_runs_end_to_end_and_records_the_package(installed, tmp_path):
    out = tmp_path / "run"
    done = framework(installed, "run", str(installed.source / "shapes.toml"), "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    recorded = json.loads((out / "run.json").read_text())["plugins"]
    for kind, name in PLUGINS:
        assert recorded[f"{kind}/{name}"]["package"] == "framework-shapes"
    last = [json.loads(line) for line in (out / "population" / "g2.jsonl").read_text().splitlines()]
    climbed = [member for member in last if member["generation"] > 0]
    assert climbed and all(member["parent"] for member in climbed)



def run_raising_domain(tmp_path, domain):
    """`framework run` of the test kit's tiny spec with a domain from tests/fixtures/plugins/raising_domains.py."""
    fixture = Path(__file__).resolve().parent / "fixtures" / "plugins" / "raising_domains.py"
    spec = tmp_path / f"{domain}.toml"
    spec.write_text(dumps(merged(TINY, {"plugins": {"paths": [str(fixture)]}, "domain": {"plugin": domain}})))
    done = subprocess.run([sys.executable, "-m", "framework.cli", "run", str(spec), "--out", str(tmp_path / "run")],
                          capture_output=True, text=True, cwd=tmp_path)
    return done.stdout + done.stderr


@pytest.mark.slow
@pytest.mark.parametrize(("domain", "named"), [
    ("crowded-ports", "no port below max_conn=2"),
    ("raising-evaluate", "KeyError"),
])
def test_a_domain_that_raises_is_named_without_a_traceback(tmp_path, domain, named):
    output = run_raising_domain(tmp_path, domain)
    assert "Traceback" not in output
    assert f"domain '{domain}'" in output and named in output
