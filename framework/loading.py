"""Saved networks back as modules: :func:`load_network`, and predictions with them.

A network is rebuilt through the registered plugins its manifest names (so a
third-party encoder must be importable), its weights file is checked against
the manifest's size and SHA-256 before safetensors reads it, and the weights
must fit the rebuilt module exactly. Each failure is a :class:`UsageError`
saying which file, which plugin and what to do.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attrs import frozen

from framework._registry import UnknownPluginError
from framework.errors import UsageError
from framework.networks import Manifest, read_manifest, saved_keys
from framework.run_dir import RunDir
from framework.run_state import Candidate, RunState, state_from_json

if TYPE_CHECKING:
    import torch
    from torch import nn

    from framework._registry import Registry
    from framework.spec import Spec
    from framework.task import Split


@frozen
class SavedNetwork:
    """A loaded network (eval mode) and the manifest it was built from."""

    module: nn.Module
    manifest: Manifest


def load_network(run_dir: str | Path, candidate: str = "best", *, registry: Registry | None = None) -> nn.Module:
    """The saved network of ``candidate`` in ``run_dir`` as a ready ``torch.nn.Module`` in eval mode.

    ``candidate`` is an id (``"g1-004"``, ``"baseline-0"``) or ``"best"``: the top-ranked
    survivor of the last finished generation (ranked by the run's selector, never by the
    eval split). ``registry`` defaults to the installed plugins plus the run spec's
    ``plugins.modules``.
    """
    return load_saved(run_dir, candidate, registry=registry).module


def load_saved(run_dir: str | Path, candidate: str = "best", *, registry: Registry | None = None) -> SavedNetwork:
    """:func:`load_network` with the manifest alongside."""
    from framework.networks import build_network
    from framework.convert import converter
    from framework.spec import ModelSection

    run_dir = Path(run_dir)
    key = resolve_candidate(run_dir, candidate)
    manifest = read_saved_manifest(run_dir, key)
    registry = registry if registry is not None else run_registry(run_dir)
    _check_plugins(manifest, registry)
    tensors = read_tensors(run_dir, manifest)
    module = build_network(registry, converter.structure(manifest.model, ModelSection), manifest.input_shape,
                           manifest.port_graph)
    try:
        module.load_state_dict(tensors, strict=True)
    except RuntimeError as exc:
        raise UsageError(f"{RunDir(run_dir).network_weights(key)}: the weights do not fit the network the plugins build "
                         f"now{_version_changes(manifest, registry)}: {exc}") from None
    return SavedNetwork(module.eval(), manifest)


def read_state(run_dir: Path) -> RunState:
    checkpoint = RunDir(run_dir).checkpoint
    if not checkpoint.is_file():
        raise UsageError(f"{run_dir}: not a run directory (no checkpoint.json)")
    return state_from_json(json.loads(checkpoint.read_text(encoding="utf-8")))


def read_run_spec(run_dir: Path) -> Spec:
    """The run's resolved ``spec.toml`` (plugin options unchecked: the plugins may be gone)."""
    from framework.spec import read_toml, structure_spec

    path = RunDir(run_dir).spec
    return structure_spec(read_toml(path), str(path))


def run_registry(run_dir: Path) -> Registry:
    from framework.plugins import build_registry

    return build_registry(read_run_spec(run_dir).plugins.modules)


def run_domain(run_dir: Path, registry: Registry) -> Any:
    """The run's domain plugin, built from its spec."""
    from framework.plugins import build_plugin

    choice = read_run_spec(run_dir).domain
    return build_plugin(registry, "domain", choice.plugin, choice.options, path="domain")


def resolve_candidate(run_dir: Path, candidate: str) -> str:
    """``"best"`` -> the top survivor's id; any other id is returned as is (once the run exists)."""
    state = read_state(run_dir)
    if candidate != "best":
        return candidate
    if not state.survivors:
        raise UsageError(f"{run_dir}: no generation has finished yet, so there is no best candidate; "
                         f"name one with --candidate (saved: {', '.join(saved_keys(run_dir)) or 'none'})")
    return state.survivors[0].id


def find_candidate(state: RunState, key: str) -> Candidate | None:
    return next((c for c in (*state.survivors, *state.pending, *state.discarded) if c.id == key), None)


def read_tensors(run_dir: Path, manifest: Manifest) -> dict[str, torch.Tensor]:
    """The saved tensors of ``manifest``'s network, after checking the file against it."""
    from safetensors import SafetensorError
    from safetensors.torch import load

    data = _checked_weights(run_dir, manifest)
    try:
        return load(data)
    except SafetensorError as exc:
        raise UsageError(f"{RunDir(run_dir).network_weights(manifest.candidate)}: not a readable safetensors file: {exc}") from None


def read_saved_manifest(run_dir: Path, key: str) -> Manifest:
    """The manifest of saved network ``key``; a UsageError listing the saved ones if there is none."""
    path = RunDir(run_dir).network_manifest(key)
    if not path.is_file():
        saved = ", ".join(saved_keys(run_dir)) or "none"
        policy = read_run_spec(run_dir).artifacts.networks
        raise UsageError(f"{run_dir}: no saved network {key!r} (this run keeps {policy!r} networks, "
                         f"see artifacts.networks in its spec.toml; saved: {saved})")
    try:
        return read_manifest(path)
    except (ValueError, TypeError, KeyError) as exc:
        raise UsageError(f"{path}: not a network manifest: {exc}") from None


def _check_plugins(manifest: Manifest, registry: Registry) -> None:
    for kind, plugin in manifest.plugins.items():
        try:
            registry.get(kind, plugin.name)
        except UnknownPluginError as exc:
            raise UsageError(f"network {manifest.candidate!r} was built with the {kind} plugin {plugin.name!r} "
                             f"({plugin.package} {plugin.version}), which is not loaded now: {exc}") from None


def _version_changes(manifest: Manifest, registry: Registry) -> str:
    changes = [f"{kind} plugin {p.name!r} was {p.package} {p.version} and is {now.package} {now.version}"
               for kind, p in manifest.plugins.items()
               if (now := registry.get(kind, p.name)).version != p.version or now.package != p.package]
    return f" ({'; '.join(changes)})" if changes else ""


def _checked_weights(run_dir: Path, manifest: Manifest) -> bytes:
    path = RunDir(run_dir).network_weights(manifest.candidate)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the weights: {exc.strerror or exc}") from None
    expected = manifest.weights
    if len(data) < expected.bytes:
        raise UsageError(f"{path}: truncated ({len(data)} of {expected.bytes} bytes); the network cannot be loaded")
    if len(data) != expected.bytes or hashlib.sha256(data).hexdigest() != expected.sha256:
        raise UsageError(f"{path}: changed since it was saved (its SHA-256 does not match the manifest's "
                         f"{expected.sha256[:12]}...); refusing to load it")
    return data


# -- predictions ------------------------------------------------------------------


@frozen
class Predictions:
    """A network's logits on some inputs, and on a task split its accuracy."""

    logits: torch.Tensor
    targets: torch.Tensor | None = None
    accuracy: float | None = None

    def rows(self, sources: list[str] | None = None) -> list[dict[str, Any]]:
        rows = []
        for i, logit in enumerate(self.logits.tolist()):
            row: dict[str, Any] = {"index": i}
            if sources is not None:
                row["source"] = sources[i]
            row |= {"logit": logit, "probability": 1 / (1 + math.exp(-logit)), "prediction": int(logit > 0)}
            if self.targets is not None:
                row["target"] = int(self.targets[i] > 0.5)
            rows.append(row)
        return rows


def logits_of(saved: SavedNetwork, x: torch.Tensor) -> torch.Tensor:
    """One logit per sample, computed as training measured accuracy: eval mode, no
    gradients, batches of the run's ``training.eval_batch_size``, on the CPU."""
    import torch

    batch = int(saved.manifest.training.get("eval_batch_size", 256))
    chunks = []
    with torch.no_grad():
        for start in range(0, len(x), batch):
            chunks.append(saved.module(x[start : start + batch]).float().reshape(-1))
    return torch.cat(chunks) if chunks else torch.zeros(0)


def task_split(run_dir: Path, split: str, registry: Registry) -> Split:
    """A split of the run's task, regenerated (or read from the cache) with the run's seed."""
    from framework.plugins import build_plugin
    from framework.run_dir import cache_dir

    spec = read_run_spec(run_dir)
    task = build_plugin(registry, "task", spec.task.plugin, spec.task.options, path="task")
    return getattr(task.load(cache_dir(), spec.run.seed), split)


def predict_split(run_dir: str | Path, split: str = "eval", candidate: str = "best",
                  *, registry: Registry | None = None) -> tuple[Predictions, Manifest]:
    """The saved network's predictions and accuracy on a split of the run's own task."""
    from framework.training import binary_scores

    run_dir = Path(run_dir)
    registry = registry if registry is not None else run_registry(run_dir)
    saved = load_saved(run_dir, candidate, registry=registry)
    data = task_split(run_dir, split, registry)
    logits = logits_of(saved, data.x)
    accuracy = binary_scores(logits, data.y)[0] if len(data.y) else None
    return Predictions(logits, data.y, accuracy), saved.manifest
