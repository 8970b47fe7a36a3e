"""The neural side's core: graph index tensors, base classes and the G-SSNN model.

Plugins reach these names through the public ``framework`` package.
"""

from framework.nn.backbone import ACTIVATIONS, Backbone, check_activation
from framework.nn.functional import (
    add_self_loops,
    dropout,
    gather_nodes,
    scatter_mean,
    scatter_softmax,
    scatter_sum,
)
from framework.nn.graph_index import GraphIndex
from framework.nn.injector import (
    Injector,
    chunk_gather_index,
    gather_chunks,
    sincos_code,
)
from framework.nn.model import GSSNN
from framework.nn.options import GATv2Options, GCNOptions, GINEOptions, LayerStackOptions, SAGEOptions

__all__ = [
    "ACTIVATIONS",
    "Backbone",
    "GATv2Options",
    "GCNOptions",
    "GINEOptions",
    "GSSNN",
    "GraphIndex",
    "Injector",
    "LayerStackOptions",
    "SAGEOptions",
    "add_self_loops",
    "check_activation",
    "chunk_gather_index",
    "dropout",
    "gather_chunks",
    "gather_nodes",
    "scatter_mean",
    "scatter_softmax",
    "scatter_sum",
    "sincos_code",
]
