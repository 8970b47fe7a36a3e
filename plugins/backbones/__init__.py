"""Native torch GNN backbones, one per module (PyG's ``nn/conv`` layout).

Every backbone subclasses :class:`framework.Backbone` and is built by
``factory(options, dim)``.
"""

from __future__ import annotations

from framework import PluginInfo, hookimpl
from framework_plugins.backbones.gatv2 import GATv2, GATv2Conv, GATv2Options, build_gatv2
from framework_plugins.backbones.gcn import GCN, GCNConv, GCNOptions, build_gcn
from framework_plugins.backbones.gine import GINE, GINEConv, GINEOptions, build_gine
from framework_plugins.backbones.sage import SAGE, SAGEConv, SAGEOptions, build_sage

__all__ = ["GATv2", "GATv2Conv", "GCN", "GCNConv", "GINE", "GINEConv", "SAGE", "SAGEConv"]
classes = __all__


@hookimpl
def register_backbones() -> list[PluginInfo]:
    return [
        PluginInfo("gine", "backbone", build_gine, GINEOptions, "GINE layers, the G-SSNN paper's backbone"),
        PluginInfo("gcn", "backbone", build_gcn, GCNOptions, "GCN layers (no edge features)"),
        PluginInfo("gatv2", "backbone", build_gatv2, GATv2Options, "GATv2 attention layers with edge features"),
        PluginInfo("sage", "backbone", build_sage, SAGEOptions, "GraphSAGE mean-aggregation layers (no edge features)"),
    ]
