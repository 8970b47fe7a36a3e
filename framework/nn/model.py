"""Model assembly: encoder -> injector -> backbone -> mean readout -> linear head.

The G-SSNN of one candidate program is this composition with the program's
graph fixed inside the injector. The paper's baseline is the encoder alone,
built with ``out_dim = 1``; both are plain ``nn.Module`` s mapping a batch of
inputs to logits ``[B, out_dim]``, which is all :func:`framework.train` needs.
"""

from __future__ import annotations

import torch
from torch import nn

from framework.nn.backbone import Backbone
from framework.nn.injector import Injector


class GSSNN(nn.Module):
    """A graph-structured head on an encoder (Symbolic Synthesis of Neural Networks, arXiv 2303.03340).

    Args:
        encoder: ``[B, *input_shape] -> [B, dim]``.
        injector: ``[B, dim] -> ([B, N, dim], [B, M, dim])``; its
            ``edge_index`` buffer is the message index the backbone receives.
        backbone: ``(node_feats, edge_index, edge_feats) -> [B, N, dim]``.
        dim: the width ``D`` shared by encoder output, injector and backbone.
        out_dim: logits per sample (default: 1).

    Shapes:
        ``[B, *input_shape] -> [B, out_dim]``.
    """

    def __init__(self, encoder: nn.Module, injector: Injector, backbone: nn.Module, dim: int, out_dim: int = 1) -> None:
        super().__init__()
        self.encoder, self.injector, self.backbone = encoder, injector, backbone
        self.head = nn.Linear(dim, out_dim)

    def graph_head(self, z: torch.Tensor) -> torch.Tensor:
        """Everything after the encoder: ``[B, dim] -> [B, out_dim]``."""
        node_feats, edge_feats = self.injector(z)
        if isinstance(self.backbone, Backbone):  # may average before its last linear map (cheaper)
            return self.head(self.backbone.pooled(node_feats, self.injector.edge_index, edge_feats))
        return self.head(self.backbone(node_feats, self.injector.edge_index, edge_feats).mean(dim=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.graph_head(self.encoder(x))
