"""What the built-in injectors add to the contract suite (shapes and batching are checked by
framework.testing.check_injector in tests/plugins/test_contract_suites.py)."""

import pytest
import torch

from framework import GraphIndex, Injector
from framework.nn.testing import example_graphs
from framework_plugins.injectors import register_injectors
from framework_plugins.injectors.laplacian import laplacian_positions

INJECTORS = {info.name: info for info in register_injectors()}
D = 32


def build(name: str, graph_name: str) -> tuple[Injector, GraphIndex]:
    graph = example_graphs()[graph_name]
    index = GraphIndex.from_port_graph(graph)
    info = INJECTORS[name]
    return info.factory(info.options(), index, D, graph.max_conn), index


def test_all_four_are_registered():
    assert set(INJECTORS) == {"gssnn", "learned", "laplacian", "none"}


@pytest.mark.parametrize("name", sorted(INJECTORS))
def test_moves_with_the_module(name):
    injector, _ = build(name, "tree9")
    injector = injector.double()
    nodes, _ = injector(torch.randn(2, D, dtype=torch.float64))
    assert nodes.dtype == torch.float64


def test_none_injector_is_the_broadcast_control():
    injector, index = build("none", "tree9")
    x = torch.randn(3, D)
    nodes, edges = injector(x)
    assert torch.equal(nodes, x[:, None].expand(-1, index.num_nodes, -1))
    assert not edges.any()


def test_laplacian_positions_are_eigenvectors():
    index = GraphIndex.from_port_graph(example_graphs()["cyclic"])
    positions = laplacian_positions(index, k=3).double()
    n = index.num_nodes
    adjacency = torch.zeros(n, n, dtype=torch.float64)
    for j, i in index.edge_index.T.tolist():
        adjacency[i, j] += 1
    d = adjacency.sum(1).rsqrt()
    laplacian = torch.eye(n, dtype=torch.float64) - d[:, None] * adjacency * d[None, :]
    eigenvalues = []
    for v in positions.T:
        eigenvalue = v @ laplacian @ v  # Rayleigh quotient of a unit vector
        torch.testing.assert_close(laplacian @ v, eigenvalue * v, atol=1e-5, rtol=0)
        assert v[v.abs().argmax()] > 0  # sign fixed
        eigenvalues.append(eigenvalue.item())
    assert eigenvalues == sorted(eigenvalues) and eigenvalues[0] > 1e-6  # ascending, trivial one skipped


def test_laplacian_pads_small_graphs():
    index = GraphIndex.from_port_graph(example_graphs()["pair"])
    positions = laplacian_positions(index, k=4)
    assert positions.shape == (2, 4) and not positions[:, 1:].any()


def test_learned_injector_has_id_and_port_tables():
    injector, index = build("learned", "tree9")
    assert injector.id_embedding.num_embeddings == index.num_elements
    assert injector.port_embedding.num_embeddings == index.max_conn + 1
