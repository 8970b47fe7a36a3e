
import pytest
import torch

from conformance_data import graphs as conformance_graphs

from framework import GraphIndex
from framework.nn.testing import example_graphs, port_graph

GRAPHS = list(example_graphs().values()) + conformance_graphs(20)


@pytest.mark.parametrize("graph", GRAPHS)
def test_index_matches_the_port_graph(graph):
    index = GraphIndex.from_port_graph(graph)
    assert index.node_ids.tolist() == list(graph.node_ids)
    assert index.num_nodes + index.num_edges == graph.next_id
    node_at = index.node_ids.tolist()
    entries = {(u, p, i, v) for u, p, i, v in graph.edges}
    for e, edge_id in enumerate(index.edge_ids.tolist()):
        u, v, p = node_at[index.edge_src[e]], node_at[index.edge_dst[e]], int(index.edge_ports[e])
        assert (u, p, edge_id, v) in entries and (v, p, edge_id, u) in entries
    assert index.edge_ids.tolist() == sorted(index.edge_ids.tolist())


@pytest.mark.parametrize("graph", GRAPHS)
def test_messages_are_both_directions_of_each_edge(graph):
    index = GraphIndex.from_port_graph(graph)
    e = index.num_edges
    assert index.edge_index.shape == (2, 2 * e)
    src, dst = index.edge_index
    carried = index.edge_of_message
    assert torch.equal(src[:e], index.edge_src) and torch.equal(dst[:e], index.edge_dst)
    assert torch.equal(src[e:], index.edge_dst) and torch.equal(dst[e:], index.edge_src)
    assert torch.equal(index.edge_src[carried], torch.minimum(src, dst))


def test_to_moves_every_tensor():
    index = GraphIndex.from_port_graph(port_graph(4)).to("meta")
    assert index.edge_index.device.type == "meta" and index.node_ids.device.type == "meta"
    assert index.max_conn == 10


def test_port_graph_helper_keeps_ports_consistent():
    graph = port_graph(12, extra_edges=6, seed=5, max_conn=6)
    seen: dict[int, set[int]] = {}
    for u, port, _, _ in graph.edges:
        assert port not in seen.setdefault(u, set())
        seen[u].add(port)
    with pytest.raises(ValueError, match="no common free port"):
        port_graph(5, extra_edges=10, max_conn=2)
