"""Trained networks in the run directory: safetensors weights beside a JSON manifest.

::

    networks/<id>.safetensors   the network's state dict (safetensors: no pickle on load)
    networks/<id>.json          its manifest: how to rebuild it and what it scored

``<id>`` is a candidate id (``g0-003``) or a baseline run (``baseline-1``).
Whoever trains a network (any executor, a Ray worker included) returns its
weights inside the :class:`Trained` result, serialised by :func:`weights_of`;
the engine, the run directory's owner, writes them with :func:`save_trained`
*before* the checkpoint records the scores. So a network the checkpoint calls
trained is on disk, and one killed mid-training is trained again on resume
(with the same seed: the same bytes on CPU).

The manifest is written after the weights and names their SHA-256, so a
manifest never points at a half-written, truncated or edited file unnoticed
(:mod:`framework.loading` checks it).
"""

from __future__ import annotations

import hashlib
import json
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

import cattrs
from attrs import frozen

from framework.graph import PortGraph
from framework.run_dir import RunDir
from framework.run_state import Candidate, RunState, Scores
from framework.store import write_bytes_atomic, write_json_atomic

if TYPE_CHECKING:
    from torch import nn

    from framework._registry import Registry
    from framework.spec import ModelSection, Spec

MANIFEST_FORMAT = 1
#: The ``[model]`` tables that name a plugin, by plugin kind.
MODEL_PLUGINS = {"encoder": "encoder", "injector": "injector", "backbone": "backbone"}


@frozen
class Trained:
    """What training one network returns to the engine: its scores and, unless it failed,
    its weights (safetensors bytes: plain data that crosses process boundaries)."""

    scores: Scores
    weights: bytes | None = None
    parameters: int = 0
    start: dict[str, Any] | None = None  # the network it was warm-started from (framework.transfer)


@frozen
class PluginVersion:
    """Which plugin built a part of the network, from which package at which version."""

    name: str
    package: str
    version: str


@frozen
class WeightsFile:
    """The weights file a manifest vouches for."""

    file: str
    bytes: int
    sha256: str


@frozen
class Manifest:
    """Everything needed to rebuild a saved network and to know what it is.

    ``model`` and ``task`` are the spec's ``[model]`` and ``[task]`` tables (TOML-shaped);
    ``program`` is the program's text in the grammar version ``grammar`` it was trained
    from; ``graph`` its output (seed JSON form). Baseline networks have neither.
    ``scores`` are this network's own (with ``population.repeats > 1`` the first repeat's;
    the candidate's recorded scores are their mean).
    """

    candidate: str
    kind: str  # "gssnn" or "baseline"
    program: str | None
    grammar: str | None
    graph: dict[str, Any] | None
    generation: int | None
    parent: str | None
    model: dict[str, Any]
    task: dict[str, Any]
    input_shape: tuple[int, ...]
    out_dim: int
    training: dict[str, Any]
    plugins: dict[str, PluginVersion]
    versions: dict[str, str]
    run_seed: int
    seed: int
    scores: Scores
    parameters: int
    weights: WeightsFile
    start: dict[str, Any] | None = None  # the network it was warm-started from (docs/artifacts.md)
    format: int = MANIFEST_FORMAT

    @property
    def port_graph(self) -> PortGraph | None:
        return PortGraph.from_json(self.graph) if self.graph is not None else None


_converter = cattrs.Converter()


def manifest_to_json(manifest: Manifest) -> dict[str, Any]:
    return _converter.unstructure(manifest)


def manifest_from_json(data: dict[str, Any]) -> Manifest:
    return _converter.structure(data, Manifest)


def saved_keys(run_dir: Path) -> list[str]:
    """The ids of every network with a manifest in ``run_dir``, sorted."""
    folder = RunDir(run_dir).networks
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []


# -- the worker's side ----------------------------------------------------------


def weights_of(model: nn.Module) -> bytes:
    """``model``'s state dict as safetensors bytes (CPU copies: shared storage is split)."""
    from safetensors.torch import save

    return save({name: tensor.detach().to("cpu", copy=True).contiguous()
                 for name, tensor in model.state_dict().items()})


def build_network(registry: Registry, model: ModelSection, input_shape: tuple[int, ...],
                  graph: PortGraph | None) -> nn.Module:
    """The G-SSNN of ``graph`` as ``[model]`` describes it, or the baseline encoder for None."""
    from framework.nn import GSSNN, GraphIndex
    from framework.plugins import build_plugin

    def build(choice: Any, *args: Any) -> Any:
        return build_plugin(registry, choice.kind, choice.plugin, choice.options, *args)

    if graph is None:
        return build(model.encoder, input_shape, 1)
    index = GraphIndex.from_port_graph(graph)
    encoder = build(model.encoder, input_shape, model.dim)
    injector = build(model.injector, index, model.dim, graph.max_conn)
    backbone = build(model.backbone, model.dim)
    return GSSNN(encoder, injector, backbone, model.dim, out_dim=1, num_nodes=index.num_nodes)


# -- the engine's side ----------------------------------------------------------


def save_trained(run_dir: Path, spec: Spec, registry: Registry, input_shape: tuple[int, ...], key: str,
                 candidate: Candidate | None, seed: int, trained: Trained, grammar: str | None) -> None:
    """Write a trained network's weights, then its manifest (nothing for a failed one or
    under ``[artifacts] networks = "none"``)."""
    if trained.weights is None or spec.artifacts.networks == "none":
        return
    from framework.convert import converter

    weights = RunDir(run_dir).network_weights(key)
    write_bytes_atomic(weights, trained.weights)
    kinds = ("encoder",) if candidate is None else tuple(MODEL_PLUGINS)
    manifest = Manifest(
        candidate=key,
        kind="baseline" if candidate is None else "gssnn",
        program=candidate.program if candidate else None,
        grammar=grammar if candidate else None,
        graph=candidate.graph.to_json() if candidate else None,
        generation=candidate.generation if candidate else None,
        parent=candidate.parent if candidate else None,
        model=converter.unstructure(spec.model),
        task=converter.unstructure(spec.task),
        input_shape=tuple(input_shape),
        out_dim=1,
        training=converter.unstructure(spec.training),
        plugins={kind: plugin_version(registry, kind, getattr(spec.model, MODEL_PLUGINS[kind]).plugin)
                 for kind in kinds},
        versions=package_versions(),
        run_seed=spec.run.seed,
        seed=seed,
        scores=trained.scores,
        parameters=trained.parameters,
        weights=WeightsFile(weights.name, len(trained.weights), hashlib.sha256(trained.weights).hexdigest()),
        start=trained.start,
    )
    write_json_atomic(RunDir(run_dir).network_manifest(key), manifest_to_json(manifest))


def plugin_version(registry: Registry, kind: str, name: str) -> PluginVersion:
    entry = registry.get(kind, name)
    return PluginVersion(name, entry.package, entry.version)


def package_versions() -> dict[str, str]:
    """The package versions a network's manifest records (framework, torch, safetensors)."""
    found = {}
    for package in ("framework", "torch", "safetensors"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            pass
    return found


def networks_to_keep(policy: str, state: RunState, score: Callable[[Scores], float]) -> set[str] | None:
    """Which saved networks a run keeps now: None (all of them) for ``"all"``; else the
    survivors, the candidates still in training and the best baseline run by ``score``
    (the selector's; ties: the first run)."""
    if policy == "all":
        return None
    keep = {c.id for c in (*state.survivors, *state.pending)}
    runs = [(score(s), -i) for i, s in enumerate(state.baseline) if not s.failed]
    if runs:
        keep.add(f"baseline-{-max(runs)[1]}")
    return keep


def prune_networks(run_dir: Path, keep: Iterable[str] | None) -> None:
    """Remove every saved network not in ``keep`` (manifest first: weights without a manifest
    are no network); None keeps everything."""
    if keep is None:
        return
    keep = set(keep)
    folder = RunDir(run_dir).networks
    for suffix in (".json", ".safetensors"):
        for path in sorted(folder.glob(f"*{suffix}")) if folder.is_dir() else ():
            if path.stem not in keep:
                path.unlink(missing_ok=True)


def read_manifest(path: Path) -> Manifest:
    return manifest_from_json(json.loads(Path(path).read_text(encoding="utf-8")))
