"""The three non-paper backbones against their formulas, written densely."""

import pytest
import torch
from torch.nn import functional as F

from framework import GraphIndex, UsageError
from framework.nn.testing import example_graphs
from framework_plugins.backbones.gatv2 import GATv2Conv
from framework_plugins.backbones.gcn import GCNConv
from framework_plugins.backbones.sage import SAGEConv


@pytest.fixture
def setup():
    torch.manual_seed(0)
    graph = GraphIndex.from_port_graph(example_graphs()["cyclic"])
    n = graph.num_nodes
    adjacency = torch.zeros(n, n, dtype=torch.float64)  # adjacency[i, j] = messages j -> i
    for j, i in graph.edge_index.T.tolist():
        adjacency[i, j] += 1
    x = torch.randn(2, n, 8, dtype=torch.float64)
    return graph, adjacency, x


def test_gcn(setup):
    graph, adjacency, x = setup
    layer = GCNConv(8).double()
    a_hat = adjacency + torch.eye(len(adjacency), dtype=torch.float64)
    d = a_hat.sum(1).rsqrt()
    expected = (d[:, None] * a_hat * d[None, :]) @ (x @ layer.linear.weight.T) + layer.linear.bias
    torch.testing.assert_close(layer(x, graph.edge_index), expected)


def test_sage(setup):
    graph, adjacency, x = setup
    layer = SAGEConv(8).double()
    mean = (adjacency / adjacency.sum(1, keepdim=True)) @ x
    torch.testing.assert_close(layer(x, graph.edge_index), layer.root(x) + layer.neighbour(mean))


def test_gatv2_single_head_by_hand(setup):
    graph, _, x = setup
    layer = GATv2Conv(8, heads=1).double()
    e = torch.randn(2, graph.edge_index.shape[1], 8, dtype=torch.float64)
    out = layer(x, graph.edge_index, e)
    n = graph.num_nodes
    for b in range(2):
        for i in range(n):
            sources = [(j, layer.edge(e[b, m])) for m, (j, t) in enumerate(graph.edge_index.T.tolist()) if t == i]
            sources.append((i, torch.zeros(8, dtype=torch.float64)))
            pre = [layer.source(x[b, j]) + layer.target(x[b, i]) + ee for j, ee in sources]
            scores = torch.stack([(layer.attention[0] * F.leaky_relu(p, 0.2)).sum() for p in pre])
            alpha = scores.softmax(0)
            expected = sum(a * layer.source(x[b, j]) for a, (j, _) in zip(alpha, sources)) + layer.bias
            torch.testing.assert_close(out[b, i], expected)


def test_gatv2_heads_must_divide_dim():
    with pytest.raises(UsageError, match="heads"):
        GATv2Conv(10, heads=4)
