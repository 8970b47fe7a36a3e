"""Native torch GNN backbones, one per module (PyG's ``nn/conv`` layout).

Every backbone subclasses :class:`framework.Backbone` and is built by
``factory(options, dim)``. Each module imports torch when its backbone is
first built; the options are the core's torch-free ones (``framework.GINEOptions``, ...).
"""

from __future__ import annotations

from framework import GATv2Options, GCNOptions, GINEOptions, LazyFactory, PluginInfo, SAGEOptions, hookimpl


@hookimpl
def register_backbones() -> list[PluginInfo]:
    return [
        PluginInfo("gine", "backbone", LazyFactory(f"{__name__}.gine:build_gine"), GINEOptions,
                   "GINE layers, the G-SSNN paper's backbone"),
        PluginInfo("gcn", "backbone", LazyFactory(f"{__name__}.gcn:build_gcn"), GCNOptions,
                   "GCN layers (no edge features)"),
        PluginInfo("gatv2", "backbone", LazyFactory(f"{__name__}.gatv2:build_gatv2"), GATv2Options,
                   "GATv2 attention layers with edge features"),
        PluginInfo("sage", "backbone", LazyFactory(f"{__name__}.sage:build_sage"), SAGEOptions,
                   "GraphSAGE mean-aggregation layers (no edge features)"),
    ]
