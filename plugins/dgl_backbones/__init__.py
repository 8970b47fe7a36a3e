"""GNN backbones wrapping ``dgl.nn.pytorch`` layers: ``dgl-gine``, ``dgl-gcn``, ``dgl-gatv2``, ``dgl-sage``.

Each has the native backbone's call signature, options and update rule (see
each module for the exact correspondence and the one difference: DGL's GATv2
takes no edge features), so a spec switches between ``gine`` and ``dgl-gine``
by name alone, and ``tests/dgl_env`` uses DGL as an independent oracle for the
native layers.

They are always registered, so ``framework plugins`` lists them, but DGL is
imported only when one is built. Where ``import dgl`` fails (the main venv:
DGL 2.1.0 needs torch 2.2.x), building one raises a
:class:`framework.UsageError` that gives the import error and points to
``scripts/dgl-env`` (docs/dgl.md). The PyPI DGL build is CPU-only.
"""

from __future__ import annotations

from framework import GATv2Options, GCNOptions, GINEOptions, PluginInfo, SAGEOptions, hookimpl
from framework_plugins.dgl_backbones._loader import dgl_import_error, require_dgl
from framework_plugins.dgl_backbones.gatv2 import DglGATv2, DglGATv2Conv, build_dgl_gatv2
from framework_plugins.dgl_backbones.gcn import DglGCN, build_dgl_gcn
from framework_plugins.dgl_backbones.gine import DglGINE, DglGINEConv, build_dgl_gine, from_native_gine_state
from framework_plugins.dgl_backbones.sage import DglSAGE, build_dgl_sage

__all__ = [
    "DglGATv2",
    "DglGATv2Conv",
    "DglGCN",
    "DglGINE",
    "DglGINEConv",
    "DglSAGE",
    "dgl_import_error",
    "from_native_gine_state",
    "require_dgl",
]
classes = ["DglGATv2", "DglGCN", "DglGINE", "DglSAGE"]

_NEEDS = " (needs DGL: scripts/dgl-env)"


@hookimpl
def register_backbones() -> list[PluginInfo]:
    return [
        PluginInfo("dgl-gine", "backbone", build_dgl_gine, GINEOptions, "GINE via dgl.nn.GINEConv" + _NEEDS),
        PluginInfo("dgl-gcn", "backbone", build_dgl_gcn, GCNOptions, "GCN via dgl.nn.GraphConv" + _NEEDS),
        PluginInfo(
            "dgl-gatv2", "backbone", build_dgl_gatv2, GATv2Options, "GATv2 via dgl.nn.GATv2Conv, no edge feats" + _NEEDS
        ),
        PluginInfo("dgl-sage", "backbone", build_dgl_sage, SAGEOptions, "GraphSAGE via dgl.nn.SAGEConv" + _NEEDS),
    ]
