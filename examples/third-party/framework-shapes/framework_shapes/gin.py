"""The `gin-sum` backbone's layers (imports torch).

GIN (Xu, Hu, Leskovec, Jegelka, "How Powerful are Graph Neural Networks?",
ICLR 2019): `h_i' = MLP((1 + eps) h_i + sum_{j -> i} h_j)`, the MLP two
linear maps with a ReLU between. The readout is the **sum** of the node
states (`pooled`), GIN's injective readout, not the framework's default mean.
"""

import torch

from framework import Backbone, gather_nodes, scatter_sum


class GINLayer(torch.nn.Module):
    def __init__(self, dim, train_eps=False):
        super().__init__()
        self.mlp = torch.nn.Sequential(torch.nn.Linear(dim, dim), torch.nn.ReLU(), torch.nn.Linear(dim, dim))
        eps = torch.zeros(1)
        if train_eps:
            self.eps = torch.nn.Parameter(eps)
        else:
            self.register_buffer("eps", eps)

    def reset_parameters(self):
        for module in self.mlp:
            if isinstance(module, torch.nn.Linear):
                module.reset_parameters()
        self.eps.data.zero_()

    def forward(self, x, edge_index, edge_attr=None):
        summed = scatter_sum(gather_nodes(x, edge_index[0]), edge_index[1], x.shape[1])
        return self.mlp((1 + self.eps) * x + summed)


class GINSum(Backbone):
    supports_edge_feats = False

    def make_layer(self, dim, train_eps=False):
        return GINLayer(dim, train_eps)

    def pooled(self, node_feats, edge_index, edge_feats=None):
        """The sum of the node states `[B, D]` (the model's readout calls this)."""
        return self(node_feats, edge_index, edge_feats).sum(dim=1)


def build(options, dim):
    """`factory(options, dim)`: node states `[B, N, D]` in, `[B, N, D]` out."""
    return GINSum(dim, depth=options.depth, dropout=options.dropout, act=options.act, train_eps=options.train_eps)
