r"""``dgl-gcn``: GCN layers from DGL's ``GraphConv`` (Kipf & Welling 2017).

.. math::
    h_i' = W \sum_{j \in \mathcal{N}(i) \cup \{i\}} \frac{h_j}{\sqrt{\hat d_i \hat d_j}} + b

``GraphConv(D, D, norm="both")`` on the graph with a self-loop per node, which
is the native ``gcn``'s rule. Ignores edge features.
"""

from __future__ import annotations

from torch import nn

from framework import Backbone, GCNOptions
from framework_plugins.dgl_backbones._adapter import DglConv
from framework_plugins.dgl_backbones._loader import require_dgl


class DglGCN(Backbone):
    """A stack of DGL ``GraphConv`` layers with self-loops and symmetric normalisation.

    Shapes:
        node_feats ``[B, N, D]``, edge_index ``[2, M]`` -> ``[B, N, D]``.
    """

    supports_edge_feats = False

    def make_layer(self, dim: int) -> nn.Module:
        dgl = require_dgl("dgl-gcn")
        return DglConv(dgl.nn.pytorch.GraphConv(dim, dim, norm="both", allow_zero_in_degree=True), self_loops=True)


def build_dgl_gcn(options: GCNOptions, dim: int) -> DglGCN:
    return DglGCN(dim, options.depth, options.dropout, options.act)
