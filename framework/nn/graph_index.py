"""A program's graph as index tensors, built once per candidate.

Every neural module of a candidate (injector, backbone) reads the same
:class:`GraphIndex`; nothing rebuilds graph structure per step or per sample.
A batch of B samples over one graph is then just dense ``[B, N, D]`` node and
``[B, M, D]`` message tensors indexed by these vectors.
"""

from __future__ import annotations

import torch
from attrs import evolve, field, frozen

from framework.graph import PortGraph


def _long(values: list[int]) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.long)


@frozen
class GraphIndex:
    """Index tensors of one :class:`~framework.PortGraph`.

    Nodes are numbered by *position* ``0..N-1`` in ascending creation id; all
    tensors below use positions, never creation ids, except ``node_ids`` and
    ``edge_ids`` which keep the creation ids (the G-SSNN positional code and
    chunk choice need them).

    Attributes:
        node_ids: ``[N]`` creation ids of the nodes, ascending.
        edge_ids: ``[E]`` creation ids of the undirected edges, ascending.
        edge_src: ``[E]`` position of the lower-positioned endpoint of each edge.
        edge_dst: ``[E]`` position of the other endpoint.
        edge_ports: ``[E]`` the port (``0..max_conn-1``) each edge sits on.
        edge_index: ``[2, 2E]`` every undirected edge in both directions: row 0
            is the source position, row 1 the destination; columns ``0..E-1``
            are ``src -> dst``, columns ``E..2E-1`` are ``dst -> src``.
        edge_of_message: ``[2E]`` which undirected edge (``0..E-1``) each
            directed message of ``edge_index`` carries.
        max_conn: ports per node in the source graph.
    """

    node_ids: torch.Tensor
    edge_ids: torch.Tensor
    edge_src: torch.Tensor
    edge_dst: torch.Tensor
    edge_ports: torch.Tensor
    edge_index: torch.Tensor
    edge_of_message: torch.Tensor
    max_conn: int = field(default=10)

    @property
    def num_nodes(self) -> int:
        return int(self.node_ids.numel())

    @property
    def num_edges(self) -> int:
        return int(self.edge_ids.numel())

    @property
    def num_elements(self) -> int:
        """Nodes plus undirected edges: the number of creation ids."""
        return self.num_nodes + self.num_edges

    @classmethod
    def from_port_graph(cls, graph: PortGraph) -> GraphIndex:
        """Build the index tensors of ``graph`` (a few microseconds per edge)."""
        node_ids = list(graph.node_ids)
        position = {node: i for i, node in enumerate(node_ids)}
        edges = graph.undirected_edges  # (edge_id, u, v, port), u < v, by id
        src = [position[u] for _, u, _, _ in edges]
        dst = [position[v] for _, _, v, _ in edges]
        n_edges = len(edges)
        return cls(
            node_ids=_long(node_ids),
            edge_ids=_long([e[0] for e in edges]),
            edge_src=_long(src),
            edge_dst=_long(dst),
            edge_ports=_long([e[3] for e in edges]),
            edge_index=_long([src + dst, dst + src]).reshape(2, 2 * n_edges),
            edge_of_message=_long(list(range(n_edges)) * 2),
            max_conn=graph.max_conn,
        )

    def to(self, device: torch.device | str) -> GraphIndex:
        """The same index with every tensor on ``device``."""
        return evolve(
            self,
            node_ids=self.node_ids.to(device),
            edge_ids=self.edge_ids.to(device),
            edge_src=self.edge_src.to(device),
            edge_dst=self.edge_dst.to(device),
            edge_ports=self.edge_ports.to(device),
            edge_index=self.edge_index.to(device),
            edge_of_message=self.edge_of_message.to(device),
        )
