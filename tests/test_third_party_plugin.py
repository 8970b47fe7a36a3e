"""The example third-party package (examples/plugin-package) installs and registers through its entry point."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from framework.plugins import build_plugin, build_registry

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "plugin-package"


@pytest.fixture
def installed_example(tmp_path, monkeypatch):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "--target", str(target), str(EXAMPLE)],
        check=True, capture_output=True, cwd=tmp_path,
    )
    monkeypatch.syspath_prepend(str(target))
    yield target
    sys.modules.pop("framework_hello", None)


@pytest.mark.slow
def test_example_package_registers_through_its_entry_point(installed_example):
    registry = build_registry()
    entry = registry.get("selector", "lowest-loss")
    assert (entry.package, entry.version, entry.source) == ("framework-hello", "0.1.0", "framework_hello")
    selector = build_plugin(registry, "selector", "lowest-loss", {"offset": 1.0})
    assert selector.requires_splits == ()

    class Result:
        final_loss = 0.25

    assert selector.score(Result()) == -1.25


@pytest.mark.slow
def test_example_package_passes_the_selector_contract_suite(installed_example):
    from framework.testing import check_selector

    info = build_registry().get("selector", "lowest-loss").info
    check_selector(info.factory, info.options(offset=0.5))
