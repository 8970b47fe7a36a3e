"""GraphSAGE with mean aggregation (Hamilton et al. 2017, "Inductive Representation Learning on Large Graphs").

Ignores edge features.
"""

from __future__ import annotations

import torch
from torch import nn

from framework import Backbone, SAGEOptions, gather_nodes, scatter_mean


class SAGEConv(nn.Module):
    r"""One GraphSAGE layer.

    .. math::
        h_i' = W_1 h_i + W_2 \operatorname{mean}_{j \to i} h_j

    ``root`` is :math:`W_1` (with bias), ``neighbour`` is :math:`W_2` (no bias).
    A node without incoming messages aggregates zeros.

    Shapes:
        x ``[B, N, D]``, edge_index ``[2, M]`` -> ``[B, N, D]``.
    """

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim
        self.root = nn.Linear(dim, dim)
        self.neighbour = nn.Linear(dim, dim, bias=False)

    def reset_parameters(self) -> None:
        self.root.reset_parameters()
        self.neighbour.reset_parameters()

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor, edge_attr: torch.Tensor | None = None) -> torch.Tensor:
        mean = scatter_mean(gather_nodes(x, edge_index[0]), edge_index[1], x.shape[1])
        return self.root(x) + self.neighbour(mean)

    def __repr__(self) -> str:
        return f"SAGEConv({self.dim}, {self.dim})"


class SAGE(Backbone):
    """A stack of :class:`SAGEConv` layers."""

    supports_edge_feats = False

    def make_layer(self, dim: int) -> nn.Module:
        return SAGEConv(dim)


def build_sage(options: SAGEOptions, dim: int) -> SAGE:
    return SAGE(dim, options.depth, options.dropout, options.act)
