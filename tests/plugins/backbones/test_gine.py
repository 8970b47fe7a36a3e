import pytest
import torch

from framework import GraphIndex
from framework.nn.testing import example_graphs
from framework_plugins.backbones.gine import GINE, GINEConv, GINEOptions, build_gine


def dense_gine_layer(layer: GINEConv, x, edge_index, e):
    """GINE written with an explicit loop over messages, as in the formula."""
    agg = torch.zeros_like(x)
    for m in range(edge_index.shape[1]):
        j, i = edge_index[0, m], edge_index[1, m]
        agg[:, i] += torch.relu(x[:, j] + e[:, m])
    return layer.linear((1 + layer.eps) * x + agg)


@pytest.mark.parametrize("name", ["pair", "tree9", "cyclic"])
def test_gine_matches_the_formula(name):
    torch.manual_seed(0)
    graph = GraphIndex.from_port_graph(example_graphs()[name])
    model = build_gine(GINEOptions(depth=2, dropout=0.0, eps=0.25), 16).double()
    x = torch.randn(3, graph.num_nodes, 16, dtype=torch.float64)
    e = torch.randn(3, 2 * graph.num_edges, 16, dtype=torch.float64)
    hidden = dense_gine_layer(model.layers[0], x, graph.edge_index, e)
    expected = dense_gine_layer(model.layers[1], hidden, graph.edge_index, e)
    torch.testing.assert_close(model(x, graph.edge_index, e), expected)


def test_parameter_layout_and_repr():
    model = build_gine(GINEOptions(), 8)
    assert repr(model) == "GINE(8, depth=3)"
    assert repr(model.layers[0]) == "GINEConv(8, 8)"
    assert [n for n, _ in model.named_parameters()] == [
        f"layers.{i}.linear.{p}" for i in range(3) for p in ("weight", "bias")
    ]


def test_train_eps_is_a_parameter_and_reset_restores_it():
    model = GINE(4, depth=1, eps=0.5, train_eps=True)
    (eps,) = [p for n, p in model.named_parameters() if n.endswith("eps")]
    eps.data.fill_(3.0)
    model.reset_parameters()
    assert eps.item() == 0.5


def test_dropout_only_in_training_mode():
    graph = GraphIndex.from_port_graph(example_graphs()["tree9"])
    model = build_gine(GINEOptions(dropout=0.5), 8)
    x = torch.randn(2, graph.num_nodes, 8)
    e = torch.randn(2, 2 * graph.num_edges, 8)
    model.eval()
    torch.testing.assert_close(model(x, graph.edge_index, e), model(x, graph.edge_index, e))
    model.train()
    assert not torch.equal(model(x, graph.edge_index, e), model(x, graph.edge_index, e))


def test_options_are_validated():
    with pytest.raises(ValueError):
        GINEOptions(depth=0)
    with pytest.raises(ValueError):
        GINEOptions(dropout=1.0)
    with pytest.raises(ValueError, match="relu"):
        GINEOptions(act="swish")
