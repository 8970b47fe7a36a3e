"""The neural side's core: graph index tensors, base classes and the G-SSNN model.

Plugins reach these names through the public ``framework`` package.
"""

from framework.nn.backbone import ACTIVATIONS, Backbone, check_activation
from framework.nn.functional import (
    add_self_loops,
    gather_nodes,
    scatter_mean,
    scatter_softmax,
    scatter_sum,
)
from framework.nn.graph_index import GraphIndex

__all__ = [
    "ACTIVATIONS",
    "Backbone",
    "GraphIndex",
    "add_self_loops",
    "check_activation",
    "gather_nodes",
    "scatter_mean",
    "scatter_softmax",
    "scatter_sum",
]
