"""Port-labelled graphs: the output of the graph domain, the input of the neural side."""

from __future__ import annotations

import json
from typing import Any, Sequence

from attrs import frozen


@frozen
class PortGraph:
    """An undirected multigraph whose edges sit on numbered ports.

    Nodes and edges share one id counter in creation order (``0 .. next_id-1``).
    ``edges`` holds every edge under both endpoints as
    ``(node, port, edge_id, neighbour)``, in the order of the seed's JSON form
    (descending by ``(node, port)``); an edge uses the same port on both ends.
    """

    edges: tuple[tuple[int, int, int, int], ...]
    next_id: int
    size: int
    max_conn: int = 10

    @property
    def node_ids(self) -> tuple[int, ...]:
        """Creation ids of the nodes, ascending."""
        edge_ids = {e[2] for e in self.edges}
        return tuple(i for i in range(self.next_id) if i not in edge_ids)

    @property
    def undirected_edges(self) -> tuple[tuple[int, int, int, int], ...]:
        """Each edge once, as ``(edge_id, u, v, port)`` with ``u < v``, ascending by id."""
        seen = {(e[2], min(e[0], e[3]), max(e[0], e[3]), e[1]) for e in self.edges}
        return tuple(sorted(seen))

    def to_json(self) -> dict[str, Any]:
        """The seed's JSON form: ``{"edges": [[[u, port], [edge_id, v]], ...], ...}``."""
        return {
            "edges": [[[u, p], [i, v]] for u, p, i, v in self.edges],
            "next_id": self.next_id,
            "size": self.size,
            "max_conn": self.max_conn,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | str) -> PortGraph:
        if isinstance(data, str):
            data = json.loads(data)
        edges = tuple((u, p, i, v) for (u, p), (i, v) in data["edges"])
        return cls(edges=edges, next_id=data["next_id"], size=data["size"], max_conn=data["max_conn"])


def build_port_graph(nodes: int, edges: Sequence[tuple[int, int]], max_conn: int = 10) -> PortGraph:
    """The :class:`PortGraph` of ``nodes`` nodes (``0 .. nodes-1``) and undirected ``edges`` ``(u, v)``.

    What a domain's ``to_graph`` can return: node ``i`` gets id ``i``, the
    ``k``-th edge id ``nodes + k``; each edge takes the lowest port free on
    both endpoints and is stored under both, as the format requires. Raises
    ``ValueError`` for an endpoint out of range, a self-loop, or when no
    common port below ``max_conn`` is free.
    """
    used: list[set[int]] = [set() for _ in range(nodes)]
    entries: list[tuple[int, int, int, int]] = []
    for k, (u, v) in enumerate(edges):
        if not (0 <= u < nodes and 0 <= v < nodes) or u == v:
            raise ValueError(f"edge {k} ({u}, {v}): endpoints must be two different nodes of 0..{nodes - 1}")
        port = next((p for p in range(max_conn) if p not in used[u] and p not in used[v]), None)
        if port is None:
            raise ValueError(f"edge {k} ({u}, {v}): no port below max_conn={max_conn} is free on both nodes")
        used[u].add(port)
        used[v].add(port)
        entries += [(u, port, nodes + k, v), (v, port, nodes + k, u)]
    entries.sort(key=lambda e: (e[0], e[1]), reverse=True)
    return PortGraph(edges=tuple(entries), next_id=nodes + len(edges), size=nodes, max_conn=max_conn)


def port_graph_violations(graph: PortGraph) -> list[str]:
    """The graph-domain output invariants that ``graph`` breaks (empty when valid).

    The engine checks every candidate's graph with it before training. Invariants (ARCHITECTURE.md): more than one node; connected; every port in
    ``0..max_conn-1``; no port of a node holds two edges; every edge stored
    under both endpoints with the same id and port; ids below ``next_id`` and
    ``size`` equal to the number of nodes.
    """
    problems: list[str] = []
    slots: dict[tuple[int, int], tuple[int, int]] = {}
    for u, port, edge_id, v in graph.edges:
        if not 0 <= port < graph.max_conn:
            problems.append(f"port {port} of node {u} outside 0..{graph.max_conn - 1}")
        if (u, port) in slots:
            problems.append(f"port {port} of node {u} holds two edges")
        slots[(u, port)] = (edge_id, v)
        if not 0 <= edge_id < graph.next_id:
            problems.append(f"edge id {edge_id} not below next_id {graph.next_id}")
    for (u, port), (edge_id, v) in slots.items():
        if slots.get((v, port)) != (edge_id, u):
            problems.append(f"edge {edge_id} at ({u}, {port}) is not stored under ({v}, {port})")
        if u == v:
            problems.append(f"edge {edge_id} is a self-loop")
    nodes = graph.node_ids
    if len(nodes) != graph.size:
        problems.append(f"size {graph.size} but {len(nodes)} node ids")
    if len(nodes) < 2:
        problems.append("fewer than two nodes")
    adjacency: dict[int, set[int]] = {n: set() for n in nodes}
    for u, _, _, v in graph.edges:
        if u in adjacency and v in adjacency:
            adjacency[u].add(v)
    if nodes:
        seen, stack = {nodes[0]}, [nodes[0]]
        while stack:
            for w in adjacency[stack.pop()] - seen:
                seen.add(w)
                stack.append(w)
        if len(seen) != len(nodes):
            problems.append(f"not connected: {len(nodes) - len(seen)} node(s) unreachable from node {nodes[0]}")
    return problems
