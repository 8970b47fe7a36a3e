"""The control injector: no per-element information at all.

Every node receives the whole encoder vector and every edge zeros, so the GNN
can only use the graph's topology. Compare against it to see whether the
G-SSNN injection matters.
"""

from __future__ import annotations

import torch

from framework import GraphIndex, Injector, NoOptions


class BroadcastInjector(Injector):
    """Node features ``x`` for every node, edge features zero.

    Shapes:
        x ``[B, D]`` -> node feats ``[B, N, D]``, edge feats ``[B, 2E, D]``.
    """

    element_buffers = ()

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        batch = x.shape[0]
        nodes = x[:, None, :].expand(batch, self.num_nodes, self.dim)
        return nodes, x.new_zeros(batch, self.num_messages, self.dim)


def build_broadcast_injector(options: NoOptions, graph: GraphIndex, dim: int, max_conn: int) -> BroadcastInjector:
    return BroadcastInjector(graph, dim)
