"""End to end: a G-SSNN with ``dgl-gine`` trains exactly like one with the native ``gine``.

Both models are built through the plugin registry (encoder ``mlp``, injector
``gssnn``, a conformance graph) with the same weights, then trained by
``framework.training.train`` with the same seed on the ``synthetic`` task:
their per-epoch losses and accuracies must agree.
"""

from __future__ import annotations

import torch

from framework import GSSNN, GraphIndex
from framework.training import TrainingOptions, train
from framework_plugins.dgl_backbones.gine import from_native_gine_state

DIM = 16


def _make(registry, kind: str, name: str, *args):
    info = registry.get(kind, name).info
    return info.factory(info.options(), *args)


def test_training_with_dgl_gine_matches_native_gine(registry, conformance_graphs, tmp_path):
    data = registry.get("task", "synthetic").info
    data = data.factory(data.options(train=32, select=8, eval=16)).load(tmp_path, seed=0)
    graph = max(conformance_graphs, key=lambda g: g.size)
    index = GraphIndex.from_port_graph(graph)

    def model(backbone: str) -> GSSNN:
        torch.manual_seed(0)
        return GSSNN(
            _make(registry, "encoder", "mlp", data.input_shape, DIM),
            _make(registry, "injector", "gssnn", index, DIM, graph.max_conn),
            _make(registry, "backbone", backbone, DIM),
            DIM,
        )

    native, twin = model("gine"), model("dgl-gine")
    state = native.state_dict()
    backbone = {k.removeprefix("backbone."): v for k, v in state.items() if k.startswith("backbone.")}
    rest = {k: v for k, v in state.items() if not k.startswith("backbone.")}
    twin.load_state_dict(rest | {f"backbone.{k}": v for k, v in from_native_gine_state(backbone).items()})

    options = TrainingOptions(epochs=3, batch_size=8)
    device = torch.device("cpu")
    ours = train(native, data, options, device=device, seed=7)
    theirs = train(twin, data, options, device=device, seed=7)
    assert ours.failed is None and theirs.failed is None
    assert ours.epochs_run == theirs.epochs_run == 3
    torch.testing.assert_close(torch.tensor(theirs.epoch_losses), torch.tensor(ours.epoch_losses), rtol=1e-4, atol=1e-5)
    assert (theirs.train_accuracy, theirs.eval_accuracy) == (ours.train_accuracy, ours.eval_accuracy)
    assert len(set(ours.epoch_losses)) == 3  # it did train
