"""GATv2 (Brody et al. 2022, "How Attentive are Graph Attention Networks?") with edge features.

Multi-head attention over each node's incoming messages plus a self-loop;
head outputs are concatenated, so ``heads`` must divide ``D``.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from framework import Backbone, GATv2Options, UsageError, add_self_loops, gather_nodes, scatter_softmax, scatter_sum


class GATv2Conv(nn.Module):
    r"""One GATv2 layer.

    .. math::
        s_{ji} = a^\top \mathrm{LeakyReLU}(W_s h_j + W_t h_i + W_e e_{ji}), \quad
        \alpha_{ji} = \operatorname{softmax}_{j \to i}(s_{ji}), \quad
        h_i' = \sum_{j \to i} \alpha_{ji} W_s h_j + b

    per head (``D / heads`` channels each, concatenated). Self-loops carry no
    edge term.

    Args:
        dim: ``D``.
        heads: attention heads (default: 4); must divide ``dim``.
        negative_slope: LeakyReLU slope (default: 0.2).

    Shapes:
        x ``[B, N, D]``, edge_index ``[2, M]``, edge_attr ``[B, M, D]`` or
        None -> ``[B, N, D]``.
    """

    def __init__(self, dim: int, heads: int = 4, negative_slope: float = 0.2) -> None:
        super().__init__()
        if dim % heads != 0:
            raise UsageError(f"gatv2: heads ({heads}) must divide the feature size ({dim})")
        self.dim, self.heads, self.negative_slope = dim, heads, negative_slope
        self.source = nn.Linear(dim, dim, bias=False)
        self.target = nn.Linear(dim, dim, bias=False)
        self.edge = nn.Linear(dim, dim, bias=False)
        self.attention = nn.Parameter(torch.empty(heads, dim // heads))
        self.bias = nn.Parameter(torch.empty(dim))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for linear in (self.source, self.target, self.edge):
            linear.reset_parameters()
        nn.init.xavier_uniform_(self.attention)
        nn.init.zeros_(self.bias)

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor, edge_attr: torch.Tensor | None = None) -> torch.Tensor:
        batch, n, _ = x.shape
        m = edge_index.shape[1]
        src, dst = add_self_loops(edge_index, n)
        hs, ht = self.source(x), self.target(x)
        pre = gather_nodes(hs, src) + gather_nodes(ht, dst)
        if edge_attr is not None:
            pre = pre + F.pad(self.edge(edge_attr), (0, 0, 0, n))  # zero edge term on self-loops
        pre = F.leaky_relu(pre, self.negative_slope).view(batch, m + n, self.heads, -1)
        alpha = scatter_softmax((pre * self.attention).sum(-1), dst, n)  # [B, M + N, heads]
        values = gather_nodes(hs, src).view(batch, m + n, self.heads, -1) * alpha[..., None]
        return scatter_sum(values.reshape(batch, m + n, self.dim), dst, n) + self.bias

    def __repr__(self) -> str:
        return f"GATv2Conv({self.dim}, {self.dim}, heads={self.heads})"


class GATv2(Backbone):
    """A stack of :class:`GATv2Conv` layers."""

    supports_edge_feats = True

    def make_layer(self, dim: int, heads: int = 4, negative_slope: float = 0.2) -> nn.Module:
        return GATv2Conv(dim, heads=heads, negative_slope=negative_slope)


def build_gatv2(options: GATv2Options, dim: int) -> GATv2:
    return GATv2(
        dim, options.depth, options.dropout, options.act, heads=options.heads, negative_slope=options.negative_slope
    )
