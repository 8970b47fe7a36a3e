"""Set-up of the DGL tests: they run only where ``import dgl`` works.

``scripts/dgl-env`` runs this folder in its own venv (torch 2.2.1 + dgl 2.1.0)
with ``FRAMEWORK_DGL_REQUIRED=1``: there a DGL that does not import fails every
test. Anywhere else (the main venv) the tests skip with the import error.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from framework import PortGraph
from framework.plugins import build_registry
from framework_plugins.dgl_backbones import dgl_import_error

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _needs_dgl() -> None:
    reason = dgl_import_error()
    if reason is None:
        return
    message = f"DGL does not import here ({reason}); run scripts/dgl-env"
    if os.environ.get("FRAMEWORK_DGL_REQUIRED") == "1":
        pytest.fail(message)
    pytest.skip(message)


def shared_dir() -> Path:
    """``$FRAMEWORK_SHARED``, else ``<repo>/../shared``; a missing folder fails the test."""
    path = Path(os.environ.get("FRAMEWORK_SHARED") or REPO.parent / "shared")
    if not path.is_dir():
        pytest.fail(f"shared/ reference folder not found at {path}; set FRAMEWORK_SHARED")
    return path


@pytest.fixture(scope="session")
def conformance_graphs() -> list[PortGraph]:
    """The output graphs recorded by the original G-SSNN (shared/conformance)."""
    records = (shared_dir() / "conformance" / "graph-dsl-original.jsonl").read_text().splitlines()
    graphs = [PortGraph.from_json(json.loads(line)["output"]) for line in records if line.strip()]
    assert graphs, "no conformance graphs"
    return graphs


@pytest.fixture(scope="session")
def registry():
    """The registry of the plugins these tests use (this venv lacks other plugins' extras)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FRAMEWORK_LOAD_PLUGINS", "backbones,dgl_backbones,encoders,injectors,tasks")
        return build_registry()
