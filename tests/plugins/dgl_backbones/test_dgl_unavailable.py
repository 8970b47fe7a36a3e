"""The DGL backbones where DGL is missing or broken (the main venv).

They must still be listed, listing must never import DGL, and building one
must fail with a :class:`framework.UsageError` that says why and what to do.
A fake ``dgl`` package on ``sys.path`` stands in for a broken or crashing DGL.
"""

from __future__ import annotations

import sys
import textwrap

import pytest

from framework import GATv2Options, GCNOptions, GINEOptions, SAGEOptions, UsageError
from framework.plugins import build_registry
from framework_plugins.dgl_backbones._loader import dgl_import_error
from framework_plugins.dgl_backbones.gatv2 import build_dgl_gatv2
from framework_plugins.dgl_backbones.gcn import build_dgl_gcn
from framework_plugins.dgl_backbones.gine import build_dgl_gine
from framework_plugins.dgl_backbones.sage import build_dgl_sage

BUILDERS = {
    "dgl-gine": (build_dgl_gine, GINEOptions),
    "dgl-gcn": (build_dgl_gcn, GCNOptions),
    "dgl-gatv2": (build_dgl_gatv2, GATv2Options),
    "dgl-sage": (build_dgl_sage, SAGEOptions),
}


@pytest.fixture
def fake_dgl(tmp_path, monkeypatch):
    """Install a fake ``dgl`` whose import runs the given code; the probe verdict is reset around it."""
    if "dgl" in sys.modules:
        pytest.skip("a real dgl is already imported in this process")

    def install(body: str) -> None:
        package = tmp_path / "dgl"
        package.mkdir()
        (package / "__init__.py").write_text(textwrap.dedent(body))
        monkeypatch.syspath_prepend(str(tmp_path))
        dgl_import_error.cache_clear()

    yield install
    monkeypatch.undo()
    dgl_import_error.cache_clear()


def test_listing_lists_all_four_without_importing_dgl(tmp_path, monkeypatch):
    marker = tmp_path / "imported"
    (tmp_path / "dgl").mkdir()
    (tmp_path / "dgl" / "__init__.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("FRAMEWORK_LOAD_PLUGINS", "dgl_backbones")
    monkeypatch.delitem(sys.modules, "dgl", raising=False)
    for name in [m for m in sys.modules if m.startswith("framework_plugins.dgl_backbones")]:
        monkeypatch.delitem(sys.modules, name)  # so the entry point imports the package afresh
    rows = {r.info.name: r for r in build_registry().all() if r.info.kind == "backbone"}
    assert sorted(rows) == sorted(BUILDERS)
    assert all("scripts/dgl-env" in r.info.summary for r in rows.values())
    assert not marker.exists(), "importing or listing the plugins imported dgl"


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_building_without_dgl_says_why_and_what_to_do(name):
    reason = dgl_import_error()
    if reason is None:
        pytest.skip("dgl imports here: the DGL tests (tests/dgl_env) cover this venv")
    build, options = BUILDERS[name]
    with pytest.raises(UsageError) as caught:
        build(options(), 16)
    message = str(caught.value)
    assert f"backbone {name!r} needs DGL" in message
    assert reason in message
    assert "scripts/dgl-env" in message and "docs/dgl.md" in message
    assert f"native backbone {name.removeprefix('dgl-')!r}" in message


def test_a_broken_dgl_reports_its_import_error(fake_dgl):
    fake_dgl("raise ImportError('Cannot find DGL C++ graphbolt library')\n")
    with pytest.raises(UsageError, match="ImportError: Cannot find DGL C\\+\\+ graphbolt library"):
        build_dgl_gine(GINEOptions(), 8)
    assert "dgl" not in sys.modules  # the verdict came from a child interpreter


def test_a_dgl_that_kills_the_interpreter_is_contained(fake_dgl):
    fake_dgl("import os\nos.abort()\n")
    with pytest.raises(UsageError, match=r"import dgl killed the interpreter \(SIGABRT\)"):
        build_dgl_sage(SAGEOptions(), 8)



def test_a_folder_named_dgl_is_not_dgl(tmp_path, monkeypatch):
    if "dgl" in sys.modules:
        pytest.skip("a real dgl is already imported in this process")
    (tmp_path / "dgl").mkdir()
    monkeypatch.syspath_prepend(str(tmp_path))
    dgl_import_error.cache_clear()
    try:
        assert dgl_import_error() == f"'dgl' is only a folder without __init__.py ({tmp_path / 'dgl'})"
    finally:
        monkeypatch.undo()
        dgl_import_error.cache_clear()
