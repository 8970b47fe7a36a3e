"""The ``dgl-*`` backbones as plugins: registration, shapes, batching, relabelling, resets."""

from __future__ import annotations

import pytest
import torch

from framework import GraphIndex, PortGraph, UsageError
from framework_plugins.dgl_backbones.gatv2 import DglGATv2Conv
from framework_plugins.dgl_backbones._adapter import _block_graph, block_graph

NAMES = ["dgl-gine", "dgl-gcn", "dgl-gatv2", "dgl-sage"]
DIM = 16


def _build(registry, name: str, **options):
    info = registry.get("backbone", name).info
    return info.factory(info.options(**options), DIM)


def _some_graphs(conformance_graphs: list[PortGraph]) -> list[GraphIndex]:
    by_size = sorted(conformance_graphs, key=lambda g: g.size)
    return [GraphIndex.from_port_graph(g) for g in (by_size[0], by_size[len(by_size) // 2], by_size[-1])]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("batch", [1, 5])
def test_output_shape_and_repr(registry, conformance_graphs, name, batch):
    model = _build(registry, name, depth=2)
    assert repr(model) == f"{type(model).__name__}({DIM}, depth=2)"
    for index in _some_graphs(conformance_graphs):
        x = torch.randn(batch, index.num_nodes, DIM)
        e = torch.randn(batch, index.edge_index.shape[1], DIM)
        out = model(x, index.edge_index, e)
        assert out.shape == (batch, index.num_nodes, DIM)
        assert out.dtype == torch.float32 and torch.isfinite(out).all()


@pytest.mark.parametrize("name", NAMES)
def test_batch_equals_one_sample_at_a_time(registry, conformance_graphs, name):
    model = _build(registry, name).eval()
    index = _some_graphs(conformance_graphs)[-1]
    x = torch.randn(4, index.num_nodes, DIM, dtype=torch.float64)
    e = torch.randn(4, index.edge_index.shape[1], DIM, dtype=torch.float64)
    model = model.double()
    batched = model(x, index.edge_index, e)
    alone = torch.cat([model(x[b : b + 1], index.edge_index, e[b : b + 1]) for b in range(4)])
    torch.testing.assert_close(batched, alone, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_relabelling_nodes_permutes_the_output(registry, conformance_graphs, name):
    model = _build(registry, name).double().eval()
    index = _some_graphs(conformance_graphs)[-1]
    n = index.num_nodes
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(3))  # new position of each node
    x = torch.randn(2, n, DIM, dtype=torch.float64)
    e = torch.randn(2, index.edge_index.shape[1], DIM, dtype=torch.float64)
    relabelled_x = torch.empty_like(x)
    relabelled_x[:, perm] = x
    out = model(x, index.edge_index, e)
    relabelled = model(relabelled_x, perm[index.edge_index], e)
    torch.testing.assert_close(relabelled[:, perm], out, rtol=0, atol=1e-10)


@pytest.mark.parametrize("name", NAMES)
def test_reset_parameters_redraws_weights(registry, name):
    torch.manual_seed(0)
    model = _build(registry, name, eps=0.5) if name == "dgl-gine" else _build(registry, name)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    torch.manual_seed(1)
    model.reset_parameters()
    after = model.state_dict()
    weights = [k for k in before if k.endswith("weight")]
    assert weights and all(not torch.equal(before[k], after[k]) for k in weights)
    if name == "dgl-gine":
        assert all(after[f"layers.{i}.conv.eps"].item() == 0.5 for i in range(3))


def test_gine_uses_edge_features_and_the_others_ignore_them(registry, conformance_graphs):
    index = _some_graphs(conformance_graphs)[1]
    x = torch.randn(2, index.num_nodes, DIM)
    e = torch.randn(2, index.edge_index.shape[1], DIM)
    for name in NAMES:
        model = _build(registry, name).eval()
        changed = not torch.allclose(model(x, index.edge_index, e), model(x, index.edge_index, 2 * e))
        assert changed == (name == "dgl-gine"), name


def test_gatv2_heads_must_divide_dim():
    with pytest.raises(UsageError, match=r"heads \(3\) must divide the feature size \(16\)"):
        DglGATv2Conv(16, heads=3)


def test_block_graph_is_built_once_per_graph_and_batch(conformance_graphs):
    index = _some_graphs(conformance_graphs)[1]
    graph = block_graph(index.edge_index, index.num_nodes, 3)
    assert block_graph(index.edge_index.clone(), index.num_nodes, 3) is graph
    assert graph.num_nodes() == 3 * index.num_nodes
    src, dst = graph.edges()
    m = index.edge_index.shape[1]
    assert torch.equal(src[m : 2 * m], index.edge_index[0] + index.num_nodes)  # sample 1's copy
    assert torch.equal(dst[m : 2 * m], index.edge_index[1] + index.num_nodes)


def test_a_device_dgl_cannot_use_is_a_usage_error():
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA: the CPU-only DGL build fails there in DGL, untested")
    with pytest.raises(UsageError, match="the installed DGL cannot run on cuda"):
        _block_graph(((0, 1), (1, 0)), 2, 1, False, "cuda")
