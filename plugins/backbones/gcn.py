"""GCN (Kipf & Welling 2017, "Semi-Supervised Classification with Graph Convolutional Networks").

Ignores edge features: a topology-only baseline for the G-SSNN head.
"""

from __future__ import annotations

import torch
from torch import nn

from framework import Backbone, GCNOptions, add_self_loops, gather_nodes, scatter_sum


class GCNConv(nn.Module):
    r"""One GCN layer with self-loops and symmetric normalisation.

    .. math::
        h_i' = W \sum_{j \in \mathcal{N}(i) \cup \{i\}} \frac{h_j}{\sqrt{\hat d_i \hat d_j}} + b

    where :math:`\hat d` counts incoming messages plus the self-loop.

    Shapes:
        x ``[B, N, D]``, edge_index ``[2, M]`` -> ``[B, N, D]``.
    """

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim
        self.linear = nn.Linear(dim, dim)

    def reset_parameters(self) -> None:
        self.linear.reset_parameters()

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor, edge_attr: torch.Tensor | None = None) -> torch.Tensor:
        n = x.shape[1]
        src, dst = add_self_loops(edge_index, n)
        inv_sqrt = torch.bincount(dst, minlength=n).to(x.dtype).rsqrt()
        weight = (inv_sqrt[src] * inv_sqrt[dst])[None, :, None]
        h = x @ self.linear.weight.T
        return scatter_sum(gather_nodes(h, src) * weight, dst, n) + self.linear.bias

    def __repr__(self) -> str:
        return f"GCNConv({self.dim}, {self.dim})"


class GCN(Backbone):
    """A stack of :class:`GCNConv` layers."""

    supports_edge_feats = False

    def make_layer(self, dim: int) -> nn.Module:
        return GCNConv(dim)


def build_gcn(options: GCNOptions, dim: int) -> GCN:
    return GCN(dim, options.depth, options.dropout, options.act)
