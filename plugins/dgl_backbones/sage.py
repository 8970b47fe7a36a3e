r"""``dgl-sage``: GraphSAGE layers from DGL's ``SAGEConv`` with mean aggregation (Hamilton et al. 2017).

.. math::
    h_i' = W_1 h_i + W_2 \operatorname{mean}_{j \to i} h_j

``SAGEConv(D, D, "mean")``: ``fc_self`` is :math:`W_1` (with bias),
``fc_neigh`` is :math:`W_2`; the native ``sage``'s rule. Ignores edge features.
"""

from __future__ import annotations

from torch import nn

from framework import Backbone, SAGEOptions
from framework_plugins.dgl_backbones._adapter import DglConv
from framework_plugins.dgl_backbones._loader import require_dgl


class DglSAGE(Backbone):
    """A stack of DGL ``SAGEConv`` (mean) layers.

    Shapes:
        node_feats ``[B, N, D]``, edge_index ``[2, M]`` -> ``[B, N, D]``.
    """

    supports_edge_feats = False

    def make_layer(self, dim: int) -> nn.Module:
        dgl = require_dgl("dgl-sage")
        return DglConv(dgl.nn.pytorch.SAGEConv(dim, dim, "mean"))


def build_dgl_sage(options: SAGEOptions, dim: int) -> DglSAGE:
    return DglSAGE(dim, options.depth, options.dropout, options.act)
