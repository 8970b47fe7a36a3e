"""Population training on CUDA, in float32, against the sequential trainer (``scripts/gpu-check`` runs these).

Marked ``gpu`` and skipped without CUDA. ``FRAMEWORK_GPU_TESTS_DEVICE=cpu``
runs them on the CPU instead, to rehearse the GPU check on a machine without
one (``scripts/gpu-check --rehearse``).
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest
import torch

from framework import GSSNN, GraphIndex, TrainingOptions
from framework.cli import main
from framework.nn.testing import port_graph
from framework.population import train_batched
from framework.task import Split, TaskData
from framework.training import seed_everything, train
from framework_plugins.backbones.gine import GINEOptions, build_gine
from framework_plugins.encoders.pixelshuffle_vit import PixelShuffleViTOptions, build_pixelshuffle_vit
from framework_plugins.injectors.gssnn import GSSNNInjector

DEVICE = torch.device(os.environ.get("FRAMEWORK_GPU_TESTS_DEVICE", "cuda"))
REPO = Path(__file__).parents[2]

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(DEVICE.type == "cuda" and not torch.cuda.is_available(), reason="needs a CUDA device"),
]

DIM, SHAPE = 32, (1, 16, 16)
#: float32 without autocast, so both trainers compute in the same precision; 3 epochs of 4 steps.
OPTIONS = TrainingOptions(epochs=3, batch_size=8, plateau_patience=2, plateau_cooldown=1, amp=False)


def member(nodes: int, seed: int) -> GSSNN:
    graph = port_graph(nodes, extra_edges=nodes // 3, seed=seed)
    seed_everything(seed)
    encoder = build_pixelshuffle_vit(
        PixelShuffleViTOptions(unshuffle=4, width=16, conv_depth=1, depth=1, heads=2, head_dim=8, mlp_dim=32),
        SHAPE, DIM)
    injector = GSSNNInjector(GraphIndex.from_port_graph(graph), DIM, graph.max_conn)
    return GSSNN(encoder, injector, build_gine(GINEOptions(dropout=0.3), DIM), DIM)


def data() -> TaskData:
    generator = torch.Generator().manual_seed(3)
    x = torch.rand(48, *SHAPE, generator=generator) * 2 - 1
    y = (x[:, 0, :, :8].mean(dim=(1, 2)) > 0).float()
    return TaskData(train=Split(x[:32], y[:32]), select=Split(x[32:], y[32:]), eval=Split(x, y), input_shape=SHAPE)


@pytest.mark.parametrize("members", [1, 4, 16])
def test_population_agrees_with_sequential_in_float32(members):
    task, seeds = data(), [50 + i for i in range(members)]
    models = [member(2 + (5 * i) % 15, s) for i, s in enumerate(seeds)]
    alone = [copy.deepcopy(m) for m in models]
    results = train_batched(models, seeds, task, OPTIONS, DEVICE)
    worst = 0.0
    for model, trained, seed, got in zip(alone, models, seeds, results):
        expected = train(model, task, OPTIONS, device=DEVICE, seed=seed)
        assert got.failed is None and got.epochs_run == expected.epochs_run
        for p, q in zip(model.parameters(), trained.parameters()):
            worst = max(worst, float((p - q).detach().abs().max()))
        torch.testing.assert_close(torch.tensor(got.epoch_losses), torch.tensor(expected.epoch_losses),
                                   atol=1e-4, rtol=1e-4)
    # Adam's first steps move every weight by about lr whatever the gradient's size, so
    # float32 rounding differences grow to a small fraction of lr, no more.
    assert worst < 1e-4, worst


def test_quickstart_trains_with_the_population_executor(tmp_path, monkeypatch):
    monkeypatch.setenv("FRAMEWORK_CACHE", str(tmp_path / "cache"))
    spec = (REPO / "examples" / "quickstart.toml").read_text()
    spec = spec.replace('device = "auto"', f'device = "{DEVICE}"') + '\n[executor]\nplugin = "population"\n'
    path = tmp_path / "quickstart.toml"
    path.write_text(spec)
    assert main(["run", str(path), "--out", str(tmp_path / "run")]) == 0
    assert json.loads((tmp_path / "run" / "executor.json").read_text())["executor"] == "population"
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["survivors"]["n"] >= 1 and summary["baseline"]["n"] == 3
