r"""``dgl-gine``: the G-SSNN paper's GINE backbone built from DGL's ``GINEConv``.

Same update as the native ``gine`` (Hu et al. 2020; arXiv 2303.03340):

.. math::
    h_i' = \mathrm{Linear}\Big((1 + \epsilon)\, h_i + \sum_{j \to i} \mathrm{ReLU}(h_j + e_{ji})\Big)

computed by ``dgl.nn.pytorch.GINEConv(apply_func=Linear(D, D), init_eps=eps)``.
Its main use is as an independent oracle: ``tests/dgl_env`` loads the native
model's weights here (:func:`from_native_gine_state`) and requires equal
outputs and gradients.
"""

from __future__ import annotations

from typing import Mapping

import torch
from torch import nn

from framework import Backbone, GINEOptions
from framework_plugins.dgl_backbones._adapter import DglConv
from framework_plugins.dgl_backbones._loader import require_dgl


class DglGINEConv(DglConv):
    """DGL's ``GINEConv`` with a ``Linear(D, D)`` update (DGL's layer has no reset of its own).

    Args:
        dim: feature size ``D``.
        eps: initial :math:`\\epsilon` (default: 0.0).
        train_eps: learn :math:`\\epsilon` (default: False).
    """

    def __init__(self, dim: int, eps: float = 0.0, train_eps: bool = False) -> None:
        dgl = require_dgl("dgl-gine")
        super().__init__(dgl.nn.pytorch.GINEConv(apply_func=nn.Linear(dim, dim), init_eps=eps, learn_eps=train_eps))
        self.initial_eps = eps

    def reset_parameters(self) -> None:
        self.conv.apply_func.reset_parameters()
        self.conv.eps.data.fill_(self.initial_eps)


class DglGINE(Backbone):
    """A stack of DGL ``GINEConv`` layers (paper: depth 3, dropout 0.3, no activation).

    Args: as :class:`framework.Backbone`, plus ``eps`` (default 0.0) and
    ``train_eps`` (default False).

    Shapes:
        node_feats ``[B, N, D]``, edge_index ``[2, M]``, edge_feats ``[B, M, D]`` -> ``[B, N, D]``.
    """

    supports_edge_feats = True

    def make_layer(self, dim: int, eps: float = 0.0, train_eps: bool = False) -> nn.Module:
        return DglGINEConv(dim, eps=eps, train_eps=train_eps)


def build_dgl_gine(options: GINEOptions, dim: int) -> DglGINE:
    return DglGINE(dim, options.depth, options.dropout, options.act, eps=options.eps, train_eps=options.train_eps)


def from_native_gine_state(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A native ``gine`` backbone's state dict renamed for :class:`DglGINE`'s ``load_state_dict``.

    Pass the backbone's own state dict, not a whole model's (whose other
    ``*.linear.*`` keys would be renamed too).

    ``layers.{l}.linear.*`` becomes ``layers.{l}.conv.apply_func.*`` and
    ``layers.{l}.eps`` becomes ``layers.{l}.conv.eps``; values are shared, not copied.
    """
    renamed = {}
    for key, value in state.items():
        prefix, _, name = key.rpartition(".")
        if prefix.endswith(".linear"):
            key = f"{prefix.removesuffix('.linear')}.conv.apply_func.{name}"
        elif name == "eps":
            key = f"{prefix}.conv.eps"
        renamed[key] = value
    return renamed
