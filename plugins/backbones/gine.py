"""GINE: the G-SSNN paper's backbone (Hu et al. 2020, "Strategies for Pre-training GNNs").

Symbolic Synthesis of Neural Networks (arXiv 2303.03340) uses three GINE
layers with a ``Linear(D, D)`` update and no activation between layers.

Parameter layout (kept flat so other implementations, e.g. ``dgl-gine``, can
load the same weights): layer ``l`` owns exactly ``layers.{l}.linear.weight``
``[D, D]`` and ``layers.{l}.linear.bias`` ``[D]``; ``eps`` is a buffer (or a
parameter ``layers.{l}.eps`` when ``train_eps``).
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from framework import Backbone, GINEOptions, add_rows, gather_nodes


class GINEConv(nn.Module):
    r"""One GINE layer.

    .. math::
        h_i' = \mathrm{Linear}\Big((1 + \epsilon)\, h_i
               + \sum_{j \to i} \mathrm{ReLU}(h_j + e_{ji})\Big)

    Args:
        dim: feature size ``D``.
        eps: :math:`\epsilon` (default: 0.0).
        train_eps: learn :math:`\epsilon` (default: False).

    Shapes:
        x ``[B, N, D]``, edge_index ``[2, M]``, edge_attr ``[B, M, D]`` -> ``[B, N, D]``.
    """

    def __init__(self, dim: int, eps: float = 0.0, train_eps: bool = False) -> None:
        super().__init__()
        self.dim, self.initial_eps = dim, eps
        self.linear = nn.Linear(dim, dim)
        if train_eps:
            self.eps = nn.Parameter(torch.tensor([eps]))
        else:
            self.register_buffer("eps", torch.tensor([eps]))

    def reset_parameters(self) -> None:
        self.linear.reset_parameters()
        self.eps.data.fill_(self.initial_eps)

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor, edge_attr: torch.Tensor) -> torch.Tensor:
        return self.linear(self._aggregate(x, edge_index, edge_attr))

    def pooled(
        self,
        x: torch.Tensor,
        edge_index: torch.Tensor,
        edge_attr: torch.Tensor,
        mean: Callable[[torch.Tensor], torch.Tensor],
    ) -> torch.Tensor:
        """``mean(forward(...))`` ``[B, D]``, averaged before the linear map (they commute): B rows, not B x N."""
        return self.linear(mean(self._aggregate(x, edge_index, edge_attr)))

    def _aggregate(self, x: torch.Tensor, edge_index: torch.Tensor, edge_attr: torch.Tensor) -> torch.Tensor:
        """``(1 + eps) x_i + sum_{j -> i} relu(x_j + e_ji)``: ``[B, N, D]``."""
        messages = (gather_nodes(x, edge_index[0]) + edge_attr).relu_()
        self_term = (1 + self.eps) * x
        # Added onto the self term in place (a fresh tensor that no backward reads): the sum
        # of messages is never materialised on its own, nor the self term copied.
        return add_rows(self_term, edge_index[1], messages.to(self_term.dtype))

    def __repr__(self) -> str:
        return f"GINEConv({self.dim}, {self.dim})"


class GINE(Backbone):
    """A stack of :class:`GINEConv` layers (the paper's: depth 3, dropout 0.3, no activation)."""

    supports_edge_feats = True

    def make_layer(self, dim: int, eps: float = 0.0, train_eps: bool = False) -> nn.Module:
        return GINEConv(dim, eps=eps, train_eps=train_eps)


def build_gine(options: GINEOptions, dim: int) -> GINE:
    return GINE(
        dim, options.depth, options.dropout, options.act, eps=options.eps, train_eps=options.train_eps
    )
