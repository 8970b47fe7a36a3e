"""What the random-walk injector computes, and the GIN backbone's sum readout."""

import torch

from framework import build_port_graph
from framework.nn import GraphIndex

from framework_shapes import GinSumOptions, RandomWalkOptions
from framework_shapes import gin, walks


def star(leaves):
    return GraphIndex.from_port_graph(build_port_graph(leaves + 1, [(0, i) for i in range(1, leaves + 1)]))


def test_node_features_are_return_probabilities_and_messages_landing_probabilities():
    injector = walks.build(RandomWalkOptions(steps=3), star(3), 8, 10)
    # from the centre every second step returns; from a leaf, through the centre, with p = 1/3
    assert torch.allclose(injector.node_walks, torch.tensor([[1.0, 0.0, 1.0]] + [[1 / 3, 0.0, 1 / 3]] * 3))
    # a message leaf -> centre lands in 1 and 3 steps surely; centre -> leaf picks that leaf with p = 1/3
    source, _ = injector.edge_index
    expected = torch.tensor([[1.0, 0.0, 1.0] if s else [1 / 3, 0.0, 1 / 3] for s in source.tolist()])
    assert injector.edge_index.shape[1] == 6 and torch.allclose(injector.message_walks, expected)

def test_the_injector_adds_the_projected_statistics_to_the_encoder_output():
    injector = walks.build(RandomWalkOptions(steps=2), star(2), 4, 10)
    x = torch.randn(5, 4)
    nodes, messages = injector(x)
    assert torch.allclose(nodes, x[:, None] + injector.node_proj(injector.node_walks))
    assert torch.allclose(messages, x[:, None] + injector.message_proj(injector.message_walks))


def test_the_readout_is_the_sum_of_the_node_states():
    graph = star(3)
    backbone = gin.build(GinSumOptions(depth=2, dropout=0.0), 8).eval()
    x = torch.randn(2, graph.num_nodes, 8)
    states = backbone(x, graph.edge_index)
    assert torch.allclose(backbone.pooled(x, graph.edge_index), states.sum(dim=1))
    assert not torch.allclose(states.sum(dim=1), states.mean(dim=1))


def test_a_gin_layer_is_an_mlp_of_the_node_plus_the_sum_over_its_messages():
    graph = GraphIndex.from_port_graph(build_port_graph(3, [(0, 1), (1, 2), (0, 1)]))  # a parallel edge counts twice
    layer = gin.GINLayer(4, train_eps=True)
    with torch.no_grad():
        layer.eps.fill_(0.5)
    x = torch.randn(2, 3, 4)
    adjacency = torch.tensor([[0.0, 2.0, 0.0], [2.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    assert torch.allclose(layer(x, graph.edge_index), layer.mlp(1.5 * x + adjacency @ x), atol=1e-6)
