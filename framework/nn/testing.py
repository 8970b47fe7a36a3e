"""Small port graphs for tests and benchmarks of neural plugins.

Like ``torch_geometric.testing``: public, so a third-party injector or
backbone can be tested against the same graphs as the built-in ones.
"""

from __future__ import annotations

import random

from framework.graph import PortGraph


def port_graph(n_nodes: int, extra_edges: int = 0, seed: int = 0, max_conn: int = 10) -> PortGraph:
    """A connected port graph: a random tree on ``n_nodes`` plus ``extra_edges`` chords.

    Ids follow a builder's creation order (a new node, then the edge that
    attaches it); chords get the last ids. Each edge takes the lowest port
    that is free on *both* endpoints, so an edge sits on the same port at both
    ends as in the graph DSL. Raises ``ValueError`` when ports run out.
    """
    rng = random.Random(seed)
    next_id = 0
    node_ids: list[int] = []
    used: dict[int, set[int]] = {}
    entries: list[tuple[int, int, int, int]] = []

    def connect(u: int, v: int) -> None:
        nonlocal next_id
        free = [p for p in range(max_conn) if p not in used[u] and p not in used[v]]
        if not free:
            raise ValueError(f"no common free port between nodes {u} and {v} (max_conn={max_conn})")
        port, edge_id = free[0], next_id
        next_id += 1
        used[u].add(port)
        used[v].add(port)
        entries.extend([(u, port, edge_id, v), (v, port, edge_id, u)])

    for i in range(n_nodes):
        node = next_id
        next_id += 1
        used[node] = set()
        if node_ids:
            connect(rng.choice(node_ids), node)
        node_ids.append(node)
    for _ in range(extra_edges):
        u, v = rng.sample(node_ids, 2)
        connect(u, v)
    entries.sort(key=lambda e: (e[0], e[1]), reverse=True)
    return PortGraph(edges=tuple(entries), next_id=next_id, size=n_nodes, max_conn=max_conn)


def example_graphs() -> dict[str, PortGraph]:
    """Named graphs covering the cases that matter to message passing."""
    return {
        "pair": port_graph(2),
        "tree9": port_graph(9, seed=1),  # the benchmark's 9 nodes and 8 edges
        "cyclic": port_graph(6, extra_edges=3, seed=2),  # chords may double an edge
        "large": port_graph(40, extra_edges=20, seed=3),  # more elements than a small D
    }
