"""Native torch GNN backbones, one per module (PyG's ``nn/conv`` layout).

Every backbone subclasses :class:`framework.Backbone` and is built by
``factory(options, dim)``.
"""

from __future__ import annotations

from framework import PluginInfo, hookimpl
from framework_plugins.backbones.gine import GINE, GINEConv, GINEOptions, build_gine

__all__ = ["GINE", "GINEConv"]
classes = __all__


@hookimpl
def register_backbones() -> list[PluginInfo]:
    return [
        PluginInfo("gine", "backbone", build_gine, GINEOptions, "GINE layers, the G-SSNN paper's backbone"),
    ]
