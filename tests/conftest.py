"""Shared test set-up: hypothesis profiles and the fixture plugins folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

REPO = Path(__file__).resolve().parents[1]

settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile(
    "ci", max_examples=50, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture
def fixture_plugins() -> Path:
    """The folder of fixture plugin files (tests/fixtures/plugins)."""
    return REPO / "tests" / "fixtures" / "plugins"


@pytest.fixture
def install_fixture_package(tmp_path, monkeypatch, fixture_plugins):
    """``install(distribution, {entry point: fixture module})``: a fake installed package on ``sys.path``.

    It writes the fixture modules and a ``.dist-info`` with the entry points into a
    temporary site folder, which is what ``importlib.metadata`` reads: the
    plugin manager sees a real installed distribution, without pip.
    """
    import shutil
    import sys

    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    modules: list[str] = []

    def install(distribution: str, entry_points: dict[str, str], version: str = "1.0") -> None:
        info = site / f"{distribution.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\n")
        lines = "".join(f"{name} = {module}\n" for name, module in entry_points.items())
        (info / "entry_points.txt").write_text(f"[framework]\n{lines}")
        for module in entry_points.values():
            shutil.copy(fixture_plugins / f"{module}.py", site / f"{module}.py")
            modules.append(module)

    yield install
    for module in modules:
        sys.modules.pop(module, None)
