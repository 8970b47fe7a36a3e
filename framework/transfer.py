"""Starting a run from another: its final grammar and, optionally, its trained weights.

``[start] from = "runs/a"`` makes the source run's grammar in force (its
inventions and re-weighted probabilities) the new run's ``grammars/g0.lark``.
``weights = "encoder"`` or ``"all"`` warm-starts every new network from the
source's *nearest* saved network: one trained on the same graph, else the
source's best saved survivor (baseline networks: the source's saved baseline
run first). Parameters are copied where name and shape agree (buffers never:
they encode the graph); ``"encoder"`` copies only the encoder's. Which network
each one started from, and how many tensors were copied, is in its manifest
(``start``) and the run's ``start.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from attrs import frozen

from framework.errors import UsageError
from framework.networks import read_manifest, saved_keys
from framework.run_dir import RunDir

if TYPE_CHECKING:
    from torch import nn

    from framework.dsl.grammar import Grammar
    from framework.graph import PortGraph
    from framework.networks import Manifest
    from framework.run_state import RunState
    from framework.spec import Spec

START_FILE = "start.json"
ENCODER = "encoder."


@frozen
class Start:
    """The run a run starts from: its grammar in force and its saved networks."""

    run_dir: Path
    state: RunState
    weights: str  # "none", "encoder" or "all"
    manifests: dict[str, Manifest]

    @property
    def grammar_path(self) -> Path:
        return self.run_dir / self.state.grammar

    def grammar(self) -> Grammar:
        from framework.dsl.grammar import Grammar

        return Grammar.load(self.grammar_path)

    def record(self) -> dict[str, Any]:
        """What ``start.json`` holds."""
        return {"from": str(self.run_dir), "grammar": self.state.grammar, "source_spec_hash": self.state.spec_hash,
                "weights": self.weights, "networks": sorted(self.manifests)}

    def nearest(self, graph: PortGraph | None) -> str | None:
        """The saved network a new one starts from: same graph, else the best saved survivor
        (for a baseline network: a saved baseline run first). None when nothing is saved."""
        if graph is not None:
            same = [k for k, m in sorted(self.manifests.items()) if m.graph is not None and m.port_graph == graph]
            if same:
                return same[0]
        else:
            baselines = [k for k, m in sorted(self.manifests.items()) if m.kind == "baseline"]
            if baselines:
                return baselines[0]
        return next((c.id for c in self.state.survivors if c.id in self.manifests), None)

    def warm_start(self, model: nn.Module, graph: PortGraph | None) -> dict[str, Any] | None:
        """Copy the nearest saved network's parameters into ``model``; what was done, or None."""
        import torch

        from framework.loading import read_tensors

        key = self.nearest(graph) if self.weights != "none" else None
        if key is None:
            return None
        manifest = self.manifests[key]
        prefix = ENCODER if manifest.kind == "baseline" else ""
        source = {prefix + name: tensor for name, tensor in read_tensors(self.run_dir, manifest).items()}
        own_prefix = ENCODER if graph is None else ""
        copied, skipped = 0, []
        with torch.no_grad():
            for name, parameter in model.named_parameters():
                full = own_prefix + name
                if self.weights == "encoder" and not full.startswith(ENCODER):
                    continue
                tensor = source.get(full)
                if tensor is None or tensor.shape != parameter.shape:
                    skipped.append(name)
                    continue
                parameter.copy_(tensor)
                copied += 1
        return {"from": str(self.run_dir), "network": key, "same_graph": graph is not None and
                manifest.port_graph == graph, "weights": self.weights, "copied": copied, "skipped": skipped}


def open_start(spec: Spec) -> Start | None:
    """The ``[start]`` source of ``spec``, checked (None when the spec starts from scratch)."""
    import json

    from framework.run_state import state_from_json
    from framework.spec import read_toml, structure_spec

    if spec.start.source is None:
        if spec.start.weights != "none":
            raise UsageError(f"start.weights = {spec.start.weights!r} needs start.from (the run to start from)")
        return None
    run_dir = RunDir(spec.start.source)
    checkpoint = run_dir.checkpoint
    if not checkpoint.is_file():
        raise UsageError(f"start.from: {run_dir} is not a run directory (no checkpoint.json)")
    if spec.domain.grammar:
        raise UsageError("start.from and domain.grammar both name the first grammar; keep one")
    state = state_from_json(json.loads(checkpoint.read_text(encoding="utf-8")))
    source_spec = structure_spec(read_toml(run_dir.spec), str(run_dir.spec))
    if source_spec.domain.plugin != spec.domain.plugin:
        raise UsageError(f"start.from: {run_dir} ran domain {source_spec.domain.plugin!r}, this spec "
                         f"{spec.domain.plugin!r}; a grammar only carries over within one domain")
    if not (run_dir.root / state.grammar).is_file():
        raise UsageError(f"start.from: {run_dir} has no grammar file {state.grammar}")
    manifests = {key: read_manifest(RunDir(run_dir).network_manifest(key)) for key in saved_keys(run_dir)}
    if spec.start.weights != "none" and not manifests:
        raise UsageError(f"start.weights = {spec.start.weights!r}: {run_dir} saved no networks "
                         f"(its artifacts.networks is {source_spec.artifacts.networks!r})")
    return Start(run_dir.root, state, spec.start.weights, manifests)
