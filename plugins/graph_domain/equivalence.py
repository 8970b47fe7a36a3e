"""When two output graphs count as the same representation (deduplication).

Two notions, picked by the domain's ``equivalence`` option:

* ``simple`` (the seed's): the simple graphs (ports, ids and parallel edges
  dropped) are isomorphic.
* ``ported``: the port-labelled multigraphs are isomorphic up to node
  relabelling: parallel edges count, and an edge's port must be kept. This is
  stricter and closer to what the network built from the graph depends on.

Each notion has a cheap key (``*_key``: equal for equivalent graphs, usually
different otherwise; computed once per output) and an exact check
(``*_equivalent``), used only when keys collide: graphs equal up to ids (and,
for ``simple``, ports) are accepted at once, the most common duplicate in a
search; otherwise networkx VF2++ decides (milliseconds).

Keys are tuples of ints built with ``hash`` of int tuples, which Python does not
randomise, so they are stable across processes and can be stored.
"""

from __future__ import annotations

from typing import Callable, Hashable

import networkx as nx

from framework import PortGraph


def _refine(nodes: tuple[int, ...], colour: dict[int, int], incident: dict[int, list[tuple[int, int]]]) -> list[int]:
    """Weisfeiler-Lehman colour refinement until the partition is stable.

    ``incident[n]`` lists ``(edge_label, neighbour)`` pairs; the result is the
    sorted multiset of final colours, an isomorphism invariant.
    """
    classes = len(set(colour.values()))
    for _ in range(len(nodes)):
        colour = {
            n: hash((colour[n], tuple(sorted((label, colour[m]) for label, m in incident[n])))) for n in nodes
        }
        refined = len(set(colour.values()))
        if refined == classes:
            break
        classes = refined
    return sorted(colour.values())


def simple_key(graph: PortGraph) -> Hashable:
    """Node and edge counts of the simple graph plus its WL colour multiset."""
    nodes = graph.node_ids
    pairs = {(u, v) for u, _, _, v in graph.edges if u < v}
    incident: dict[int, list[tuple[int, int]]] = {n: [] for n in nodes}
    for u, v in pairs:
        incident[u].append((0, v))
        incident[v].append((0, u))
    colour = {n: len(incident[n]) for n in nodes}
    return (len(nodes), len(pairs), tuple(_refine(nodes, colour, incident)))


def ported_key(graph: PortGraph) -> Hashable:
    """Counts, the port multiset and the WL colours with ports as edge labels."""
    nodes = graph.node_ids
    incident: dict[int, list[tuple[int, int]]] = {n: [] for n in nodes}
    for u, port, _, v in graph.edges:
        incident[u].append((port, v))
    colour = {n: hash(tuple(sorted(port for port, _ in incident[n]))) for n in nodes}
    ports = tuple(sorted(port for u, port, _, v in graph.edges if u < v))
    return (len(nodes), ports, tuple(_refine(nodes, colour, incident)))


def _simple_nx(graph: PortGraph) -> nx.Graph:
    result = nx.Graph()
    result.add_nodes_from(graph.node_ids)
    result.add_edges_from((u, v) for _, u, v, _ in graph.undirected_edges)
    return result


def _ported_nx(graph: PortGraph) -> nx.Graph:
    """The port-labelled multigraph as a node-labelled simple graph.

    Each edge becomes a node labelled with its port, joined to both endpoints;
    graph nodes get label -1. Isomorphisms of this graph that respect labels are
    exactly the port-preserving isomorphisms of the multigraph.
    """
    result = nx.Graph()
    result.add_nodes_from(((0, n) for n in graph.node_ids), label=-1)
    for edge_id, u, v, port in graph.undirected_edges:
        result.add_node((1, edge_id), label=port)
        result.add_edges_from((((1, edge_id), (0, u)), ((1, edge_id), (0, v))))
    return result


def simple_equivalent(a: PortGraph, b: PortGraph) -> bool:
    """Exact: the simple graphs of ``a`` and ``b`` are isomorphic."""
    if a.size != b.size:
        return False
    pairs_a = {(u, v) for u, _, _, v in a.edges if u < v}
    pairs_b = {(u, v) for u, _, _, v in b.edges if u < v}
    if pairs_a == pairs_b and a.node_ids == b.node_ids:
        return True  # same graph up to ports and ids: the common duplicate, no search
    return len(pairs_a) == len(pairs_b) and nx.vf2pp_is_isomorphic(_simple_nx(a), _simple_nx(b))


def ported_equivalent(a: PortGraph, b: PortGraph) -> bool:
    """Exact: ``a`` and ``b`` are isomorphic as port-labelled multigraphs."""
    if a.size != b.size or len(a.edges) != len(b.edges):
        return False
    if a.node_ids == b.node_ids and sorted((u, p, v) for u, p, _, v in a.edges) == sorted(
        (u, p, v) for u, p, _, v in b.edges
    ):
        return True  # same multigraph up to edge ids: no search
    return nx.vf2pp_is_isomorphic(_ported_nx(a), _ported_nx(b), node_label="label")


#: ``equivalence`` option value -> (key, exact check).
EQUIVALENCES: dict[str, tuple[Callable[[PortGraph], Hashable], Callable[[PortGraph, PortGraph], bool]]] = {
    "simple": (simple_key, simple_equivalent),
    "ported": (ported_key, ported_equivalent),
}

