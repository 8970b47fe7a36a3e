"""Learned positions: embeddings of creation id and port, plus the G-SSNN chunk.

The ablation of the paper's fixed sin-cos code: the same chunk-and-tile choice
of encoder entries (gssnn.md), but the positional part is learned per graph.
"""

from __future__ import annotations

import torch
from torch import nn

from framework import GraphIndex, Injector, NoOptions, chunk_gather_index, gather_chunks


class LearnedInjector(Injector):
    """Element features ``id_emb(id) + port_emb(slot) + chunk(id)``.

    Nodes use slot 0, an edge at port ``p`` slot ``p + 1``. The id table has
    one row per creation id of this graph (``N + E``), the port table
    ``max_conn + 1`` rows.

    Shapes:
        x ``[B, D]`` -> node feats ``[B, N, D]``, edge feats ``[B, 2E, D]``.
    """

    element_buffers = ("ids", "slots", "choice")

    def __init__(self, graph: GraphIndex, dim: int, max_conn: int) -> None:
        super().__init__(graph, dim)
        ids = torch.cat([graph.node_ids, graph.edge_ids])
        self.register_buffer("ids", ids)
        self.register_buffer("slots", torch.cat([torch.zeros_like(graph.node_ids), graph.edge_ports + 1]))
        self.register_buffer("choice", chunk_gather_index(ids, graph.num_elements, dim))
        self.id_embedding = nn.Embedding(graph.num_elements, dim)
        self.port_embedding = nn.Embedding(max_conn + 1, dim)

    def reset_parameters(self) -> None:
        self.id_embedding.reset_parameters()
        self.port_embedding.reset_parameters()

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        feats = gather_chunks(x, self.choice) + self.id_embedding(self.ids) + self.port_embedding(self.slots)
        return self.split_elements(feats)


def build_learned_injector(options: NoOptions, graph: GraphIndex, dim: int, max_conn: int) -> LearnedInjector:
    return LearnedInjector(graph, dim, max_conn)
