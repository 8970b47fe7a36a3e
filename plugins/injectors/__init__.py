"""Feature injectors: encoder vector -> node and per-message edge features.

Each is built by ``factory(options, graph: GraphIndex, dim, max_conn)`` and
follows the :class:`framework.Injector` contract. The injectors import torch
when first built; their options (``options``) do not.
"""

from __future__ import annotations

from framework import LazyFactory, NoOptions, PluginInfo, hookimpl
from framework_plugins.injectors.options import GSSNNInjectorOptions, LaplacianInjectorOptions


@hookimpl
def register_injectors() -> list[PluginInfo]:
    return [
        PluginInfo(
            "gssnn", "injector", LazyFactory(f"{__name__}.gssnn:build_gssnn_injector"), GSSNNInjectorOptions,
            "the paper's sin-cos positions plus tiled encoder chunks (faithful = original's quirks)",
        ),
        PluginInfo(
            "learned", "injector", LazyFactory(f"{__name__}.learned:build_learned_injector"), NoOptions,
            "learned id and port embeddings plus chunks",
        ),
        PluginInfo(
            "laplacian", "injector", LazyFactory(f"{__name__}.laplacian:build_laplacian_injector"),
            LaplacianInjectorOptions, "Laplacian-eigenvector positions plus chunks",
        ),
        PluginInfo(
            "none", "injector", LazyFactory(f"{__name__}.none:build_broadcast_injector"), NoOptions,
            "control: encoder vector on every node, zero edges",
        ),
    ]
