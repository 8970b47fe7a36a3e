"""Laplacian-eigenvector positions plus the G-SSNN chunk.

Positions from the graph's spectrum (Dwivedi et al., "Benchmarking GNNs"):
the ``k`` eigenvectors of the normalised Laplacian after the trivial one, so
positions depend only on the topology and not on creation order.
"""

from __future__ import annotations

import torch
from torch import nn

from framework import GraphIndex, Injector, chunk_gather_index, gather_chunks
from framework_plugins.injectors.options import LaplacianInjectorOptions


def laplacian_positions(graph: GraphIndex, k: int) -> torch.Tensor:
    """``[N, k]``: eigenvectors 1..k of ``I - D^-1/2 A D^-1/2`` (ascending eigenvalue).

    Multi-edges add up in ``A``. Each vector's sign is fixed so that its
    largest-magnitude entry (first on ties) is positive, which makes the
    result deterministic. Graphs with fewer than ``k + 1`` nodes are padded
    with zero columns.
    """
    n = graph.num_nodes
    adjacency = torch.zeros(n, n, dtype=torch.float64)
    ones = torch.ones(graph.edge_index.shape[1], dtype=torch.float64)
    adjacency.index_put_((graph.edge_index[0], graph.edge_index[1]), ones, accumulate=True)
    inv_sqrt_degree = adjacency.sum(1).clamp(min=1e-12).rsqrt()
    laplacian = torch.eye(n, dtype=torch.float64) - inv_sqrt_degree[:, None] * adjacency * inv_sqrt_degree[None, :]
    _, vectors = torch.linalg.eigh(laplacian)
    vectors = vectors[:, 1 : k + 1]
    peak = vectors.abs().argmax(dim=0)
    vectors = vectors * vectors[peak, torch.arange(vectors.shape[1])].sign()
    padded = torch.zeros(n, k, dtype=torch.float64)
    padded[:, : vectors.shape[1]] = vectors
    return padded.float()


class LaplacianInjector(Injector):
    """Node features ``Linear(lap_pe(node)) + chunk(id)``; an edge gets the mean of
    its endpoints' positions, a learned port embedding and its chunk.

    Args:
        graph: the candidate's index tensors.
        dim: ``D``.
        max_conn: ports per node.
        k: number of eigenvectors (default: 8).

    Shapes:
        x ``[B, D]`` -> node feats ``[B, N, D]``, edge feats ``[B, 2E, D]``.
    """

    element_buffers = ("spectral", "slots", "choice")

    def __init__(self, graph: GraphIndex, dim: int, max_conn: int, k: int = 8) -> None:
        super().__init__(graph, dim)
        nodes = laplacian_positions(graph, k)
        edges = (nodes[graph.edge_src] + nodes[graph.edge_dst]) / 2
        self.register_buffer("spectral", torch.cat([nodes, edges]))
        self.register_buffer("slots", torch.cat([torch.zeros_like(graph.node_ids), graph.edge_ports + 1]))
        ids = torch.cat([graph.node_ids, graph.edge_ids])
        self.register_buffer("choice", chunk_gather_index(ids, graph.num_elements, dim))
        self.projection = nn.Linear(k, dim)
        self.port_embedding = nn.Embedding(max_conn + 1, dim)

    def reset_parameters(self) -> None:
        self.projection.reset_parameters()
        self.port_embedding.reset_parameters()

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        feats = gather_chunks(x, self.choice) + self.projection(self.spectral) + self.port_embedding(self.slots)
        return self.split_elements(feats)


def build_laplacian_injector(
    options: LaplacianInjectorOptions, graph: GraphIndex, dim: int, max_conn: int
) -> LaplacianInjector:
    return LaplacianInjector(graph, dim, max_conn, k=options.k)
