"""A study's baseline trainings, each done once per distinct input and shared by its runs.

A baseline network is the encoder alone (``build_network`` with no graph),
trained by ``training.train``; which injector or backbone a run's G-SSNNs use,
its population or its selector never reach it. So the cells of a study that
differ only in G-SSNN keys would train the same baseline again and again.
:func:`baseline_inputs` lists everything such a training reads, and its
SHA-256 names the training in the study's ``baselines/`` folder::

    baselines/<key>.json           scores, parameter count, warm start, who trained it, its inputs
    baselines/<sha256>.safetensors the weights, named by their own hash
    baselines/locks/<hash>.lock    held while a run trains the baselines it misses

The first run that needs a baseline trains it and shares it here *before* its
checkpoint records the scores; a later run finding it records the same
result and writes its own manifest (from its own spec), so its run directory
ends as if it had trained the network. Both files are written atomically and
the weights are named by their hash, so a run never reads half an entry.
Runs started together (a study's workers) missing the same baselines train
them once: one holds the lock on them (:func:`training`), the others wait and
then find them shared; runs missing overlapping sets at worst train one twice.
Only trainings that succeeded are shared (a lost job or a failure is trained again).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from attrs import frozen

from framework.convert import converter
from framework.networks import Trained, package_versions
from framework.run_state import scores_from_json, scores_to_json
from framework.store import exclusive, write_bytes_atomic, write_json_atomic

if TYPE_CHECKING:
    from framework.network_trainer import NetworkTrainer

#: The study folder's sub-folder of shared baselines.
FOLDER = "baselines"
FORMAT = 1


@frozen
class Reused:
    """A shared baseline training: its result and the run (relative to the study) that trained it."""

    trained: Trained
    trained_by: str


def baseline_inputs(trainer: NetworkTrainer, seed: int) -> dict[str, Any]:
    """What training the baseline encoder from ``seed`` reads (``NetworkTrainer.build`` and
    ``training.train`` for a job without a candidate), as plain data."""
    import numpy
    import torch

    spec, device = trainer.spec, trainer.device
    return {
        "format": FORMAT,
        "task": converter.unstructure(spec.task),  # the data: task.load(cache, run.seed)
        "run_seed": spec.run.seed,
        "encoder": converter.unstructure(spec.model.encoder),  # built alone, one output: no model.dim
        "training": converter.unstructure(spec.training),
        "seed": seed,
        "device": str(device) + (f" {torch.cuda.get_device_name(device)}" if device.type == "cuda" else ""),
        # who trains it and with how many threads (the population executor batches; pools split cores)
        "executor": converter.unstructure(spec.executor),
        "threads": torch.get_num_threads(),
        "cpus": os.cpu_count(),
        "plugins": converter.unstructure(spec.plugins),  # which code the plugin names resolve to
        "versions": {**package_versions(), "numpy": numpy.__version__,
                     **{kind: _plugin_version(trainer, kind, choice.plugin)
                        for kind, choice in (("task", spec.task), ("encoder", spec.model.encoder),
                                             ("executor", spec.executor))}},
        "start": _warm_start(trainer),
    }


def baseline_key(inputs: Any) -> str:
    """The SHA-256 of ``inputs`` as canonical JSON."""
    text = json.dumps(inputs, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


def find_shared(folder: Path, key: str) -> Reused | None:
    """The training shared under ``key``, or None (also for an entry whose weights are
    missing or do not match their hash: that training is done again)."""
    try:
        entry = json.loads((folder / f"{key}.json").read_text(encoding="utf-8"))
        weights = (folder / f"{entry['sha256']}.safetensors").read_bytes()
    except (OSError, ValueError, KeyError):
        return None
    if hashlib.sha256(weights).hexdigest() != entry["sha256"] or entry.get("format") != FORMAT:
        return None
    trained = Trained(scores_from_json(entry["scores"]), weights, entry["parameters"], entry["start"])
    return Reused(trained, entry["trained_by"])


def share(folder: Path, key: str, inputs: dict[str, Any], trained: Trained, run_dir: Path) -> None:
    """Share a successful training under ``key``: the weights first, then the entry naming them."""
    if trained.weights is None:  # a failure or a lost job: trained again where needed
        return
    sha256 = hashlib.sha256(trained.weights).hexdigest()
    write_bytes_atomic(folder / f"{sha256}.safetensors", trained.weights)
    write_json_atomic(folder / f"{key}.json", {
        "format": FORMAT, "sha256": sha256, "scores": scores_to_json(trained.scores),
        "parameters": trained.parameters, "start": trained.start,
        "trained_by": os.path.relpath(Path(run_dir).resolve(), folder.resolve().parent), "inputs": inputs})


def training(folder: Path, keys: list[str],
             on_wait: Callable[[Path], None]) -> contextlib.AbstractContextManager[None]:
    """The lock on training the baselines ``keys``, waiting for another run that holds it
    (``on_wait`` hears the lock file's path first): :func:`framework.store.exclusive` on
    ``locks/<hash of the keys>.lock``."""
    return exclusive(_lock_path(folder, keys), on_wait)


def _lock_path(folder: Path, keys: list[str]) -> Path:
    return folder / "locks" / f"{baseline_key(sorted(keys))[:16]}.lock"


def _warm_start(trainer: NetworkTrainer) -> dict[str, Any] | None:
    """The network a baseline is warm-started from (``[start] weights``), by its weights' hash."""
    start = trainer.start
    network = start.nearest(None) if start is not None and start.weights != "none" else None
    if network is None:
        return None
    return {"weights": start.weights, "network": network, "sha256": start.manifests[network].weights.sha256}


def _plugin_version(trainer: NetworkTrainer, kind: str, name: str) -> list[str]:
    entry = trainer.registry.get(kind, name)
    return [entry.package, entry.version]

