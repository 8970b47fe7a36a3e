"""Set-up of the DGL tests: they run only where ``import dgl`` works.

``scripts/dgl-env`` runs this folder in its own venv (torch 2.2.1 + dgl 2.1.0)
with ``FRAMEWORK_DGL_REQUIRED=1``: there a DGL that does not import fails every
test. Anywhere else (the main venv) the tests skip with the import error.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conformance_data import graphs

from framework import PortGraph
from framework.plugins import build_registry
from framework_plugins.dgl_backbones._loader import dgl_import_error

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


@pytest.fixture(scope="session")
def conformance_graphs() -> list[PortGraph]:
    """The 69 output graphs recorded by the original G-SSNN (tests/conformance_data.py)."""
    return graphs()


@pytest.fixture(scope="session")
def registry():
    """The registry of the plugins these tests use (this venv lacks other plugins' extras)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FRAMEWORK_LOAD_PLUGINS", "backbones,dgl_backbones,encoders,injectors,tasks")
        return build_registry()
