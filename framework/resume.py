"""What ``--resume`` checks and says: the spec's changed keys, and where the run stands.

A run resumes only with the spec it started with, except for keys that
cannot change its results (:data:`NEUTRAL_KEYS`): those may differ, with a
note. The run directory keeps its original ``spec.toml`` and hash.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, Mapping

from framework.errors import UsageError
from framework.run_dir import RunDir
from framework.run_state import RunState
from framework.spec import Spec, read_toml, unstructure_spec


def _same_device(old: Any, new: Any) -> bool:
    """Both names resolve to the same device on this machine (``"auto"`` and ``"cpu"`` without CUDA)."""
    from framework.training import resolve_device

    try:
        return resolve_device(old) == resolve_device(new)
    except UsageError:
        return False


#: Spec keys that may differ on resume, each with the test that the change is harmless:
#: where the run directory is (``run.name``, ``run.out``: ``--out`` names the run being
#: resumed), and ``run.device`` between names of the same device (training is the same
#: arithmetic on the same device).
NEUTRAL_KEYS: Mapping[str, Callable[[Any, Any], bool]] = {
    "run.name": lambda old, new: True,
    "run.out": lambda old, new: True,
    "run.device": _same_device,
}


def spec_changes(run_dir: RunDir, spec: Spec, spec_hash: str, state: RunState) -> tuple[list[str], list[str]] | None:
    """None when ``spec`` is the run's own (the same hash); else ``(refused, allowed)``: the
    dotted keys whose values differ between the run's ``spec.toml`` and ``spec``, split by
    whether they may differ on resume (``refused`` says so when ``spec.toml`` is missing)."""
    if state.spec_hash == spec_hash:
        return None
    if not run_dir.spec.is_file():
        return ["(spec.toml missing)"], []
    old, new = dict(_flatten(read_toml(run_dir.spec))), dict(_flatten(unstructure_spec(spec)))
    refused, allowed = [], []
    for key in sorted(old.keys() | new.keys()):
        if old.get(key) != new.get(key):
            neutral = NEUTRAL_KEYS.get(key)
            harmless = neutral is not None and neutral(old.get(key), new.get(key))
            (allowed if harmless else refused).append(key)
    return refused, allowed


def check_spec(run_dir: RunDir, spec: Spec, spec_hash: str, state: RunState) -> list[str]:
    """Refuse a resume whose spec differs in a key that matters (naming the keys); return
    a note per harmless difference."""
    changes = spec_changes(run_dir, spec, spec_hash, state)
    if changes is None:
        return []
    refused, allowed = changes
    if refused or not allowed:
        keys = ", ".join(refused) or f"hash {state.spec_hash[:12]} != {spec_hash[:12]}"
        raise UsageError(f"{run_dir.root}: the spec changed since this run started ({keys}); "
                         "resume with the original spec or choose another --out")
    return [f"{key} differs from the run's spec; resuming (it cannot change results)" for key in allowed]


def where(state: RunState) -> str:
    """Where a resumed run continues: generation, phase and the networks already trained."""
    candidates = sum(1 for c in (*state.survivors, *state.pending, *state.discarded) if c.scores is not None)
    if state.phase == "done":
        position = f"finished after {state.generation} generations"
    else:
        position = f"generation {state.generation}, phase {state.phase}"
    trained = len(state.baseline) + candidates
    return (f"{position}; {trained} network{'' if trained == 1 else 's'} already trained "
            f"({len(state.baseline)} baseline, {candidates} candidates)")


def _flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _flatten(item, f"{prefix}.{key}" if prefix else key)
    elif isinstance(value, (list, tuple)) and value and all(isinstance(v, Mapping) for v in value):
        for i, item in enumerate(value):
            yield from _flatten(item, f"{prefix}[{i}]")
        yield f"{prefix}.length", len(value)
    else:
        yield prefix, list(value) if isinstance(value, tuple) else value
