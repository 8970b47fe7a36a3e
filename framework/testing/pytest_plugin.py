"""The ``run_spec`` pytest fixture: run a tiny spec in ``tmp_path`` (in the spirit of pytest's ``pytester``).

Registered with pytest through the ``pytest11`` entry point of the framework
package, so any test of a plugin package can ask for it::

    def test_my_selector_in_a_run(run_spec):
        result = run_spec('[population]\\nselector = {plugin = "my-selector"}')
        assert result.state.phase == "done"
        assert result.run_dir.summary_json.is_file()

The spec given (TOML text or a mapping) is merged over :data:`TINY`, one
generation of a handful of small networks on the synthetic task, on the CPU,
which takes seconds. Plugin files it lists are resolved from ``tmp_path``
unless absolute.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Callable, Mapping

import pytest
from attrs import frozen

#: The spec every ``run_spec`` call starts from (a tiny but complete run).
TINY: Mapping[str, Any] = {
    "run": {"name": "tiny", "seed": 0, "generations": 1, "device": "cpu"},
    "task": {"plugin": "synthetic", "side": 8, "train": 16, "select": 8, "eval": 8},
    "synthesizers": [{"plugin": "enumerative", "max_size": 8}],
    "library": {"enabled": False},
    "model": {"dim": 8, "encoder": {"plugin": "mlp", "hidden": [8]}, "backbone": {"plugin": "gine", "depth": 1}},
    "training": {"epochs": 1, "batch_size": 8},
    "population": {"size": 2, "keep": 1, "explore_budget": 2000},
    "baseline": {"runs": 1},
}


@frozen
class SpecRun:
    """What :func:`run_spec` returns: the final :class:`~framework.RunState` and the run directory."""

    state: Any
    run_dir: Any  # framework.run_dir.RunDir
    spec_path: Path


def merged(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``overrides`` merged in, table by table (arrays and values replace)."""
    out = dict(base)
    for key, value in overrides.items():
        out[key] = merged(out[key], value) if isinstance(value, Mapping) and isinstance(out.get(key), Mapping) \
            else value
    return out


@pytest.fixture
def run_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., SpecRun]:
    """``run_spec(spec="", *, resume=False)``: run ``spec`` merged over :data:`TINY` in ``tmp_path``."""
    from framework.engine import run
    from framework.run_dir import RunDir
    from framework.spec import load_spec
    from framework.toml_writer import dumps

    monkeypatch.setenv("FRAMEWORK_CACHE", str(tmp_path / "cache"))

    def run_one(spec: str | Mapping[str, Any] = "", *, resume: bool = False) -> SpecRun:
        overrides = tomllib.loads(spec) if isinstance(spec, str) else spec
        path = tmp_path / "spec.toml"
        path.write_text(dumps(merged(TINY, overrides)))
        loaded, plugins = load_spec(path)
        run_dir = RunDir(tmp_path / "run")
        state = run(loaded, plugins, run_dir, spec_dir=tmp_path, resume=resume)
        return SpecRun(state, run_dir, path)

    return run_one
