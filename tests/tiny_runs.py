"""The tiny runs the engine, run-fault, transfer, networks, study, executor and CLI tests start
(the synthetic task and the mlp encoder: seconds each on 2 CPU cores), built from one table,
and the task-cache fixture they share (import ``task_cache`` into a test module to use it)."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any, Mapping

import pytest

from framework.toml_writer import dumps

ENUMERATIVE = {"plugin": "enumerative", "max_size": 10}
STOCHASTIC = {"plugin": "stochastic", "max_size": 14}

#: The engine tests' run (examples/quickstart.toml shrunk): 2 generations of 4 candidates,
#: 2 kept, library learning, 2 baseline runs.
TINY: dict[str, Any] = {
    "run": {"name": "tiny", "seed": 0, "generations": 2, "device": "cpu"},
    "domain": {"plugin": "graph", "equivalence": "ported"},
    "task": {"plugin": "synthetic", "side": 8, "train": 32, "select": 16, "eval": 32},
    "synthesizers": [ENUMERATIVE, STOCHASTIC],
    "library": {"plugin": "stitch", "iterations": 2},
    "model": {"dim": 16, "encoder": {"plugin": "mlp", "hidden": [16]}},
    "training": {"epochs": 2, "batch_size": 8},
    "population": {"size": 4, "keep": 2, "explore_budget": 20000},
    "baseline": {"runs": 2},
}


def changed(spec: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """``spec`` with each dotted key (``"task.train"``, ``"synthesizers[0].max_size"``) set to
    its value, or removed where the value is None."""
    data = copy.deepcopy(dict(spec))
    for dotted, value in changes.items():
        *parents, last = [int(t[1:-1]) if t.startswith("[") else t for t in re.findall(r"\[\d+\]|[^.\[\]]+", dotted)]
        table = data
        for key in parents:
            table = table.setdefault(key, {}) if isinstance(key, str) else table[key]
        if value is None:
            table.pop(last, None)
        else:
            table[last] = copy.deepcopy(value)
    return data


#: The study and executor tests' run, smaller still: one generation of 2 candidates (1 kept),
#: one synthesizer, no library learning, one epoch, one baseline run.
SMALLEST = changed(TINY, {
    "run.seed": None, "run.generations": None, "task.train": 16, "synthesizers": [ENUMERATIVE],
    "library": {"enabled": False}, "model.dim": 8, "model.encoder.hidden": [8], "training.epochs": 1,
    "population.size": 2, "population.keep": 1, "population.explore_budget": 5000, "baseline.runs": 1,
})


def spec_text(changes: Mapping[str, Any] | None = None, base: Mapping[str, Any] = TINY) -> str:
    """``base`` with ``changes`` (:func:`changed`) as spec text."""
    return dumps(changed(base, changes or {}))


def write_spec(folder: Path, changes: Mapping[str, Any] | None = None, base: Mapping[str, Any] = TINY,
               name: str = "spec") -> Path:
    """:func:`spec_text` written to ``folder/<name>.toml``."""
    path = folder / f"{name}.toml"
    path.write_text(spec_text(changes, base), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def task_cache(tmp_path_factory, monkeypatch):
    """One task-data cache for the whole session (tasks are deterministic in ``run.seed``)."""
    monkeypatch.setenv("FRAMEWORK_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
