"""What the built-in backbones add to the contract suite (shapes, relabelling and batching are
checked by framework.testing.check_backbone in tests/plugins/test_contract_suites.py)."""

import pytest
import torch

from framework import Backbone, GraphIndex
from framework.nn.testing import example_graphs
from framework_plugins.backbones import register_backbones

BACKBONES = {info.name: info for info in register_backbones()}
DIM = 16


def build(name: str) -> Backbone:
    info = BACKBONES[name]
    return info.factory(info.options(depth=2, dropout=0.0), DIM).double().eval()


def inputs(graph: GraphIndex, batch: int = 3, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, graph.num_nodes, DIM, generator=gen, dtype=torch.float64)
    e = torch.randn(batch, graph.edge_index.shape[1], DIM, generator=gen, dtype=torch.float64)
    return x, e


def test_all_four_are_registered():
    assert set(BACKBONES) == {"gine", "gcn", "gatv2", "sage"}


@pytest.mark.parametrize("name", sorted(BACKBONES))
def test_edge_features_matter_exactly_when_supported(name):
    graph = GraphIndex.from_port_graph(example_graphs()["tree9"])
    model = build(name)
    x, e = inputs(graph)
    changed = not torch.allclose(model(x, graph.edge_index, e), model(x, graph.edge_index, 2 * e))
    assert changed == type(model).supports_edge_feats


@pytest.mark.parametrize("name", sorted(BACKBONES))
def test_reset_parameters_reinitialises(name):
    model = build(name)
    before = [p.clone() for p in model.parameters()]
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(1.0)
    model.reset_parameters()
    after = list(model.parameters())
    assert any(not torch.equal(a, torch.ones_like(a)) for a in after)
    assert all(a.shape == b.shape for a, b in zip(after, before))


@pytest.mark.parametrize("name", sorted(BACKBONES))
def test_repr_is_short(name):
    assert repr(build(name)).endswith(f"({DIM}, depth=2)")
