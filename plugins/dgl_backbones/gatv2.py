r"""``dgl-gatv2``: GATv2 attention layers from DGL's ``GATv2Conv`` (Brody et al. 2022).

.. math::
    s_{ji} = a^\top \mathrm{LeakyReLU}(W_s h_j + W_t h_i), \quad
    \alpha_{ji} = \operatorname{softmax}_{j \to i}(s_{ji}), \quad
    h_i' = \sum_{j \to i} \alpha_{ji} W_s h_j + b

per head (``D / heads`` channels each, concatenated), over each node's incoming
messages plus a self-loop: ``GATv2Conv(D, D / heads, heads, bias=False)`` and
an output bias :math:`b`. This is the native ``gatv2``'s rule without its
edge term: DGL's ``GATv2Conv`` takes no edge features, so this backbone
ignores them.
"""

from __future__ import annotations

import torch
from torch import nn

from framework import Backbone, GATv2Options, UsageError
from framework_plugins.dgl_backbones._adapter import DglConv
from framework_plugins.dgl_backbones._loader import require_dgl


class DglGATv2Conv(DglConv):
    """DGL's ``GATv2Conv`` on the graph with self-loops, heads concatenated, plus an output bias.

    Args:
        dim: feature size ``D``.
        heads: attention heads (default: 4); must divide ``dim``.
        negative_slope: LeakyReLU slope (default: 0.2).
    """

    def __init__(self, dim: int, heads: int = 4, negative_slope: float = 0.2) -> None:
        if dim % heads != 0:
            raise UsageError(f"dgl-gatv2: heads ({heads}) must divide the feature size ({dim})")
        dgl = require_dgl("dgl-gatv2")
        conv = dgl.nn.pytorch.GATv2Conv(
            dim, dim // heads, heads, negative_slope=negative_slope, allow_zero_in_degree=True, bias=False
        )
        super().__init__(conv, self_loops=True)
        self.bias = nn.Parameter(torch.zeros(dim))

    def reset_parameters(self) -> None:
        super().reset_parameters()
        nn.init.zeros_(self.bias)

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor, edge_attr: torch.Tensor | None = None) -> torch.Tensor:
        return super().forward(x, edge_index) + self.bias


class DglGATv2(Backbone):
    """A stack of :class:`DglGATv2Conv` layers.

    Shapes:
        node_feats ``[B, N, D]``, edge_index ``[2, M]`` -> ``[B, N, D]``.
    """

    supports_edge_feats = False

    def make_layer(self, dim: int, heads: int = 4, negative_slope: float = 0.2) -> nn.Module:
        return DglGATv2Conv(dim, heads=heads, negative_slope=negative_slope)


def build_dgl_gatv2(options: GATv2Options, dim: int) -> DglGATv2:
    return DglGATv2(
        dim, options.depth, options.dropout, options.act, heads=options.heads, negative_slope=options.negative_slope
    )
