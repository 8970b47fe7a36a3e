"""GNN backbones wrapping ``dgl.nn.pytorch`` layers: ``dgl-gine``, ``dgl-gcn``, ``dgl-gatv2``, ``dgl-sage``.

Each has the native backbone's call signature, options and update rule (see
each module for the exact correspondence and the one difference: DGL's GATv2
takes no edge features), so a spec switches between ``gine`` and ``dgl-gine``
by name alone, and ``tests/dgl_env`` uses DGL as an independent oracle for the
native layers.

They are always registered, so ``framework plugins`` lists them, but torch
and DGL are imported only when one is built. Where ``import dgl`` fails (the
main venv: DGL 2.1.0 needs torch 2.2.x), building one raises a
:class:`framework.UsageError` that gives the import error and points to
``scripts/dgl-env`` (docs/dgl.md). The PyPI DGL build is CPU-only.
"""

from __future__ import annotations

from framework import GATv2Options, GCNOptions, GINEOptions, LazyFactory, PluginInfo, SAGEOptions, hookimpl

_NEEDS = " (needs DGL: scripts/dgl-env)"


@hookimpl
def register_backbones() -> list[PluginInfo]:
    return [
        PluginInfo("dgl-gine", "backbone", LazyFactory(f"{__name__}.gine:build_dgl_gine"), GINEOptions,
                   "GINE via dgl.nn.GINEConv" + _NEEDS),
        PluginInfo("dgl-gcn", "backbone", LazyFactory(f"{__name__}.gcn:build_dgl_gcn"), GCNOptions,
                   "GCN via dgl.nn.GraphConv" + _NEEDS),
        PluginInfo("dgl-gatv2", "backbone", LazyFactory(f"{__name__}.gatv2:build_dgl_gatv2"), GATv2Options,
                   "GATv2 via dgl.nn.GATv2Conv, no edge feats" + _NEEDS),
        PluginInfo("dgl-sage", "backbone", LazyFactory(f"{__name__}.sage:build_dgl_sage"), SAGEOptions,
                   "GraphSAGE via dgl.nn.SAGEConv" + _NEEDS),
    ]
