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
