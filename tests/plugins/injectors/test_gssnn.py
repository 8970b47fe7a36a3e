"""The gssnn injector against a literal, per-element transcription of gssnn.md."""

import math

import pytest
import torch

from framework import GraphIndex, PortGraph, UsageError, chunk_gather_index
from framework.nn.testing import example_graphs, port_graph
from framework_plugins.injectors.gssnn import GSSNNInjector, GSSNNInjectorOptions, build_gssnn_injector

D = 32


def pe(a: float, b: float, dim: int = D) -> list[float]:
    """gssnn.md: PE(a, b) = concat(sin(a w), cos(a w), sin(b w), cos(b w)), w_i = 1/10000^(i/(D/4-1))."""
    q = dim // 4
    w = [1 / 10000 ** (i / (q - 1)) for i in range(q)]
    return [math.sin(a * wi) for wi in w] + [math.cos(a * wi) for wi in w] + [math.sin(b * wi) for wi in w] + [
        math.cos(b * wi) for wi in w
    ]


def chunk(x: list[float], j: int, n_elt: int) -> list[float]:
    """gssnn.md: n_elt contiguous chunks, the first inc + D mod n_elt long, tiled to D."""
    inc = len(x) // n_elt
    first = inc + len(x) % n_elt
    start = 0 if j == 0 else first + (j - 1) * inc
    piece = x[start : start + (first if j == 0 else inc)]
    return (piece * math.ceil(len(x) / len(piece)))[: len(x)]


def plus(u, v):
    return [a + b for a, b in zip(u, v)]


def transcribe_exact(graph: PortGraph, x: list[float]):
    n_elt = graph.next_id
    nodes = {a: plus(pe(a, 0), chunk(x, a, n_elt)) for a in graph.node_ids}
    edges = {i: plus(pe(i, p + 1), chunk(x, i, n_elt)) for i, _, _, p in graph.undirected_edges}
    return nodes, edges


def transcribe_faithful(graph: PortGraph, x: list[float]):
    """The original: one edge per entry of ``edges`` (2E), scrambled table, both directions each."""
    n_elt = graph.size + len(graph.edges)
    h, w = n_elt, graph.max_conn + 1

    def scrambled(a, b):
        k = a * w + b
        return pe(k % h, k // h)

    nodes = {a: plus(scrambled(a, 0), chunk(x, a, n_elt)) for a in graph.node_ids}
    messages = []
    for u, port, edge_id, v in graph.edges:
        feature = plus(scrambled(edge_id, port + 1), chunk(x, edge_id, n_elt))
        messages += [(u, v, feature), (v, u, feature)]
    return nodes, messages


def random_x(batch=2, seed=0):
    return torch.randn(batch, D, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


@pytest.mark.parametrize("name", ["pair", "tree9", "cyclic"])
def test_exact_mode_matches_the_description(name):
    graph = example_graphs()[name]
    index = GraphIndex.from_port_graph(graph)
    injector = GSSNNInjector(index, D, graph.max_conn)
    x = random_x()
    node_feats, edge_feats = injector(x)
    assert torch.equal(injector.edge_index, index.edge_index)
    for b in range(len(x)):
        nodes, edges = transcribe_exact(graph, x[b].tolist())
        expected_nodes = torch.tensor([nodes[a] for a in graph.node_ids], dtype=torch.float64)
        torch.testing.assert_close(node_feats[b], expected_nodes, atol=1e-6, rtol=0)
        carried = index.edge_ids[index.edge_of_message].tolist()
        expected_edges = torch.tensor([edges[i] for i in carried], dtype=torch.float64)
        torch.testing.assert_close(edge_feats[b], expected_edges, atol=1e-6, rtol=0)


def sorted_messages(src, dst, feats):
    """Messages in a canonical order (by endpoints, then feature): ``[M, 2 + D]``."""
    rows = sorted((int(s), int(d), *f) for s, d, f in zip(src, dst, feats))
    return torch.tensor(rows, dtype=torch.float64)


@pytest.mark.parametrize("name", ["pair", "tree9", "cyclic"])
def test_faithful_mode_matches_the_original_description(name):
    graph = example_graphs()[name]
    index = GraphIndex.from_port_graph(graph)
    injector = GSSNNInjector(index, D, graph.max_conn, faithful=True)
    position = {a: i for i, a in enumerate(graph.node_ids)}
    x = random_x()
    node_feats, edge_feats = injector(x)
    assert injector.num_messages == 4 * index.num_edges
    for b in range(len(x)):
        nodes, messages = transcribe_faithful(graph, x[b].tolist())
        expected_nodes = torch.tensor([nodes[a] for a in graph.node_ids], dtype=torch.float64)
        torch.testing.assert_close(node_feats[b], expected_nodes, atol=1e-6, rtol=0)
        expected = sorted_messages(
            [position[u] for u, _, _ in messages], [position[v] for _, v, _ in messages], [f for _, _, f in messages]
        )
        actual = sorted_messages(injector.edge_index[0], injector.edge_index[1], edge_feats[b].tolist())
        torch.testing.assert_close(actual, expected, atol=1e-6, rtol=0)


def test_faithful_differs_from_exact():
    index = GraphIndex.from_port_graph(example_graphs()["tree9"])
    x = random_x()
    exact, faithful = GSSNNInjector(index, D, 10)(x), GSSNNInjector(index, D, 10, faithful=True)(x)
    assert not torch.allclose(exact[0], faithful[0])


def test_chunks_partition_the_encoder_vector():
    for n_elt in (1, 3, 7, 17, 32):
        index = chunk_gather_index(torch.arange(n_elt), n_elt, D)
        chunks = [sorted(set(row)) for row in index.tolist()]
        assert sorted(i for c in chunks for i in c) == list(range(D)), n_elt  # each entry in exactly one chunk
        assert all(c == list(range(c[0], c[-1] + 1)) for c in chunks)  # contiguous


def test_more_elements_than_width_wraps_around():
    graph = example_graphs()["large"]  # 99 elements > D = 32: the original crashed here
    index = GraphIndex.from_port_graph(graph)
    assert index.num_elements > D
    x = random_x()
    node_feats, edge_feats = GSSNNInjector(index, D, graph.max_conn)(x)
    position_free = node_feats - GSSNNInjector(index, D, graph.max_conn)(torch.zeros_like(x))[0]
    for i, a in enumerate(index.node_ids.tolist()):
        torch.testing.assert_close(position_free[:, i], x[:, a % D, None].expand(-1, D))
    assert edge_feats.shape == (2, 2 * index.num_edges, D)


def test_gradient_reaches_the_encoder_vector():
    index = GraphIndex.from_port_graph(example_graphs()["cyclic"])
    x = random_x().requires_grad_()
    nodes, edges = GSSNNInjector(index, D, 10)(x)
    (nodes.sum() + edges.sum()).backward()
    assert x.grad is not None and (x.grad != 0).all()


def test_width_must_suit_the_sincos_code():
    index = GraphIndex.from_port_graph(example_graphs()["pair"])
    with pytest.raises(UsageError, match="divisible by 4"):
        GSSNNInjector(index, 30, 10)


def test_factory_and_options():
    graph = port_graph(5)
    index = GraphIndex.from_port_graph(graph)
    injector = build_gssnn_injector(GSSNNInjectorOptions(faithful=True), index, D, graph.max_conn)
    assert injector.faithful and "faithful=True" in repr(injector)
