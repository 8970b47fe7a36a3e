"""DGL as the independent oracle of the native backbones.

The same weights go into a native backbone and its ``dgl-*`` twin; on every
graph the original G-SSNN built (shared/conformance) both must give the same
node states and the same gradients (weights and inputs) in float64, with
dropout off (eval) and on (train, same seed: both draw their masks through
``framework.Backbone.forward`` in the same order).
"""

from __future__ import annotations

from typing import Callable, Mapping

import pytest
import torch

from framework import Backbone, GraphIndex, PortGraph
from framework_plugins.backbones.gatv2 import GATv2
from framework_plugins.backbones.gcn import GCN
from framework_plugins.backbones.gine import GINE
from framework_plugins.backbones.sage import SAGE
from framework_plugins.dgl_backbones.gatv2 import DglGATv2
from framework_plugins.dgl_backbones.gcn import DglGCN
from framework_plugins.dgl_backbones.gine import DglGINE, from_native_gine_state
from framework_plugins.dgl_backbones.sage import DglSAGE

DIM, BATCH, TOL = 16, 3, 1e-9

Rename = Callable[[Mapping[str, torch.Tensor]], dict[str, torch.Tensor]]


def _rename_layers(rules: Mapping[str, tuple[str, Callable[[torch.Tensor], torch.Tensor]] | None]) -> Rename:
    """A native -> DGL state renamer from per-layer rules ``native suffix -> (dgl suffix, transform)``."""

    def rename(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        out = {}
        for key, value in state.items():
            layer, _, suffix = key.partition(".")[2].partition(".")
            rule = rules[suffix]
            if rule is not None:
                out[f"layers.{layer}.{rule[0]}"] = rule[1](value)
        return out

    return rename


def _same(t: torch.Tensor) -> torch.Tensor:
    return t


RENAMES: dict[str, Rename] = {
    "gine": from_native_gine_state,
    "gcn": _rename_layers({"linear.weight": ("conv.weight", torch.t), "linear.bias": ("conv.bias", _same)}),
    "sage": _rename_layers(
        {
            "root.weight": ("conv.fc_self.weight", _same),
            "root.bias": ("conv.fc_self.bias", _same),
            "neighbour.weight": ("conv.fc_neigh.weight", _same),
        }
    ),
    "gatv2": _rename_layers(
        {
            "source.weight": ("conv.fc_src.weight", _same),
            "target.weight": ("conv.fc_dst.weight", _same),
            "attention": ("conv.attn", lambda t: t.unsqueeze(0)),
            "bias": ("bias", _same),
            "edge.weight": None,  # DGL's GATv2Conv has no edge term; compared without edge features
        }
    ),
}


def _pair(native_cls: type[Backbone], dgl_cls: type[Backbone], rename: Rename, **kwargs) -> tuple[Backbone, Backbone]:
    """A native backbone with random weights and a DGL one loaded with the same weights (float64)."""
    native = native_cls(DIM, **kwargs).double()
    with torch.no_grad():
        for parameter in native.parameters():  # random, so zero-initialised biases are exercised too
            parameter.copy_(torch.randn_like(parameter) * 0.3)
    twin = dgl_cls(DIM, **kwargs).double()
    twin.load_state_dict(rename(native.state_dict()), strict=True)
    return native, twin


def _run(model: Backbone, index: GraphIndex, inputs: tuple[torch.Tensor, torch.Tensor | None], seed: int):
    """Node states and gradients (named parameters, node and edge inputs) of one weighted-sum loss."""
    x, e = (None if t is None else t.detach().clone().requires_grad_(True) for t in inputs)
    model.zero_grad()
    torch.manual_seed(seed)
    out = model(x, index.edge_index, e)
    weights = torch.linspace(-1.0, 1.0, out.numel(), dtype=out.dtype).view_as(out)
    (out * weights).sum().backward()
    grads = {name: p.grad for name, p in model.named_parameters() if p.grad is not None}
    return out.detach(), grads, x.grad, None if e is None else e.grad


def _inputs(index: GraphIndex, with_edges: bool, seed: int) -> tuple[torch.Tensor, torch.Tensor | None]:
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(BATCH, index.num_nodes, DIM, generator=generator, dtype=torch.float64)
    m = index.edge_index.shape[1]
    e = torch.randn(BATCH, m, DIM, generator=generator, dtype=torch.float64) if with_edges else None
    return x, e


def _assert_twins(native: Backbone, twin: Backbone, rename: Rename, graphs: list[PortGraph], with_edges: bool):
    worst = 0.0
    for i, graph in enumerate(graphs):
        index = GraphIndex.from_port_graph(graph)
        inputs = _inputs(index, with_edges, seed=i)
        out_n, grads_n, gx_n, ge_n = _run(native, index, inputs, seed=1000 + i)
        out_d, grads_d, gx_d, ge_d = _run(twin, index, inputs, seed=1000 + i)
        grads_n = rename(grads_n)
        assert grads_n.keys() == grads_d.keys(), f"graph {i}: gradients of different parameters"
        pairs = [(out_n, out_d), (gx_n, gx_d), *((grads_n[k], grads_d[k]) for k in grads_n)]
        if with_edges:
            pairs.append((ge_n, ge_d))
        for a, b in pairs:
            diff = (a - b).abs().max().item()
            worst = max(worst, diff)
            assert diff <= TOL, f"graph {i} ({index.num_nodes} nodes): native and DGL differ by {diff:.3g}"
    return worst


@pytest.mark.parametrize(
    "options",
    [
        {"depth": 3, "dropout": 0.3},  # the paper's backbone
        {"depth": 2, "dropout": 0.3, "eps": 0.25, "train_eps": True, "act": "relu"},
    ],
    ids=["paper", "eps-relu"],
)
@pytest.mark.parametrize("mode", ["eval", "train"])
def test_gine_matches_dgl_gine_on_conformance_graphs(conformance_graphs, options, mode):
    kwargs = dict(options)
    depth, dropout = kwargs.pop("depth"), kwargs.pop("dropout")
    native, twin = _pair(GINE, DglGINE, RENAMES["gine"], depth=depth, dropout=dropout, **kwargs)
    native.train(mode == "train")
    twin.train(mode == "train")
    _assert_twins(native, twin, RENAMES["gine"], conformance_graphs, with_edges=True)


def test_train_mode_comparison_really_draws_dropout(conformance_graphs):
    """Guards the train-mode test above: dropout must change the output, or it compares nothing new."""
    native, _ = _pair(GINE, DglGINE, RENAMES["gine"], dropout=0.3)
    index = GraphIndex.from_port_graph(conformance_graphs[0])
    inputs = _inputs(index, True, seed=0)
    native.eval()
    eval_out = _run(native, index, inputs, seed=0)[0]
    native.train()
    train_out = _run(native, index, inputs, seed=0)[0]
    assert (eval_out - train_out).abs().max() > 1e-3


@pytest.mark.parametrize(
    ("name", "native_cls", "dgl_cls", "kwargs"),
    [
        ("gcn", GCN, DglGCN, {"act": "relu"}),
        ("sage", SAGE, DglSAGE, {"act": "relu"}),
        ("gatv2", GATv2, DglGATv2, {"act": "elu", "heads": 4}),
    ],
)
@pytest.mark.parametrize("mode", ["eval", "train"])
def test_other_native_backbones_match_dgl(conformance_graphs, name, native_cls, dgl_cls, kwargs, mode):
    """GCN, SAGE and GATv2 (without edge features: DGL's GATv2 has none) against their DGL twins."""
    native, twin = _pair(native_cls, dgl_cls, RENAMES[name], depth=2, dropout=0.3, **kwargs)
    native.train(mode == "train")
    twin.train(mode == "train")
    _assert_twins(native, twin, RENAMES[name], conformance_graphs[::4], with_edges=False)
