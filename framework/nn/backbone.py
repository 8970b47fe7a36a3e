"""The base class of GNN backbones: depth, dropout and activation around layers.

Modelled on PyG's ``BasicGNN``: a backbone is a stack of ``depth`` identical
message-passing layers; a subclass only says how to build one layer
(:meth:`Backbone.make_layer`) and whether its layers read edge features
(``supports_edge_feats``). The call signature is the same for every backbone,
native or wrapped (DGL), so the model never needs to know which one it holds.
"""

from __future__ import annotations

from typing import Any, Callable, ClassVar

import torch
from torch import nn
from torch.nn import functional as F

from framework.nn.functional import dropout_masks
from framework.nn.options import ACTIVATION_NAMES, check_activation

#: A readout over nodes: ``[B, N, D] -> [B, D]``.
NodeMean = Callable[[torch.Tensor], torch.Tensor]


def _mean_over_nodes(h: torch.Tensor) -> torch.Tensor:
    return h.mean(dim=1)


#: The activation of each name backbone options accept (:data:`~framework.nn.options.ACTIVATION_NAMES`).
ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = dict(
    zip(ACTIVATION_NAMES, (lambda h: h, F.relu, F.gelu, F.elu), strict=True)
)


class Backbone(nn.Module):
    """A stack of message-passing layers over a batch of samples on one graph.

    ``forward`` applies, for each layer ``l``: dropout to the node input and
    (if ``supports_edge_feats``) to the fixed edge features, the layer, and
    then the activation ``act`` between layers (not after the last one).
    Edge features are the same tensor for every layer; dropout is drawn anew
    per layer, as in the G-SSNN paper.

    Args:
        dim: feature size ``D`` of nodes, edges and outputs.
        depth: number of layers (default: 3).
        dropout: dropout probability on each layer's inputs (default: 0.0).
        act: name of the activation between layers, a key of
            :data:`ACTIVATIONS` (default: ``"none"``).
        **layer_kwargs: passed to :meth:`make_layer`.

    Shapes:
        node_feats ``[B, N, D]``, edge_index ``[2, M]`` (row 0 source, row 1
        destination, node positions), edge_feats ``[B, M, D]`` (one row per
        directed message) -> node states ``[B, N, D]``.
    """

    #: Whether the layers read edge features; when False they are ignored.
    supports_edge_feats: ClassVar[bool] = False

    def __init__(
        self, dim: int, depth: int = 3, dropout: float = 0.0, act: str = "none", **layer_kwargs: Any
    ) -> None:
        super().__init__()
        check_activation(None, None, act)
        self.dim, self.depth, self.dropout, self.act = dim, depth, dropout, act
        self.layers = nn.ModuleList([self.make_layer(dim, **layer_kwargs) for _ in range(depth)])

    def make_layer(self, dim: int, **kwargs: Any) -> nn.Module:
        """Build one layer: ``layer(x [B,N,D], edge_index [2,M], edge_attr [B,M,D] | None)``."""
        raise NotImplementedError

    def reset_parameters(self) -> None:
        for layer in self.layers:
            layer.reset_parameters()

    def forward(
        self, node_feats: torch.Tensor, edge_index: torch.Tensor, edge_feats: torch.Tensor | None = None
    ) -> torch.Tensor:
        return self._propagate(node_feats, edge_index, edge_feats, pool=None)

    def pooled(
        self,
        node_feats: torch.Tensor,
        edge_index: torch.Tensor,
        edge_feats: torch.Tensor | None = None,
        mean: NodeMean | None = None,
    ) -> torch.Tensor:
        """``mean(forward(...))``: the mean node state ``[B, D]`` (the G-SSNN readout).

        ``mean`` maps ``[B, N, D]`` to ``[B, D]``; by default the mean over all
        nodes (an injector padded for population training passes one that
        skips its ghost nodes). A last layer with a ``pooled`` method (the
        layer's arguments and ``mean``) computes that mean itself, e.g. before
        a final linear map, which commutes with it and then runs on B rows
        instead of B x N. Same dropout draws as :meth:`forward`.
        """
        return self._propagate(node_feats, edge_index, edge_feats, pool=mean or _mean_over_nodes)

    def _propagate(
        self,
        node_feats: torch.Tensor,
        edge_index: torch.Tensor,
        edge_feats: torch.Tensor | None,
        pool: NodeMean | None,
    ) -> torch.Tensor:
        act = ACTIVATIONS[self.act]
        edges = edge_feats if self.supports_edge_feats else None
        masks = None
        if self.training and self.dropout > 0.0:
            # Every layer's masks (node input, then edge input) from one draw, in the order of one draw
            # each, in the node features' dtype (injectors give node and edge features in one dtype).
            shapes = [node_feats.shape] if edges is None else [node_feats.shape, edges.shape]
            masks = iter(dropout_masks(shapes * len(self.layers), self.dropout, node_feats))
        h = node_feats
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            e = edges
            if masks is not None:
                h = h * next(masks)
                e = None if edges is None else edges * next(masks)
            if pool is not None and i == last and hasattr(layer, "pooled"):
                return layer.pooled(h, edge_index, e, pool)
            h = layer(h, edge_index, e)
            if i < last:
                h = act(h)
        return h if pool is None else pool(h)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.dim}, depth={self.depth})"
