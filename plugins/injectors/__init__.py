"""Feature injectors: encoder vector -> node and per-message edge features.

Each is built by ``factory(options, graph: GraphIndex, dim, max_conn)`` and
follows the :class:`framework.Injector` contract.
"""

from __future__ import annotations

from framework import NoOptions, PluginInfo, hookimpl
from framework_plugins.injectors.gssnn import GSSNNInjector, GSSNNInjectorOptions, build_gssnn_injector
from framework_plugins.injectors.laplacian import (
    LaplacianInjector,
    LaplacianInjectorOptions,
    build_laplacian_injector,
)
from framework_plugins.injectors.learned import LearnedInjector, build_learned_injector
from framework_plugins.injectors.none import BroadcastInjector, build_broadcast_injector

__all__ = ["BroadcastInjector", "GSSNNInjector", "LaplacianInjector", "LearnedInjector"]
classes = __all__


@hookimpl
def register_injectors() -> list[PluginInfo]:
    return [
        PluginInfo(
            "gssnn", "injector", build_gssnn_injector, GSSNNInjectorOptions,
            "the paper's sin-cos positions plus tiled encoder chunks (faithful = original's quirks)",
        ),
        PluginInfo(
            "learned", "injector", build_learned_injector, NoOptions, "learned id and port embeddings plus chunks"
        ),
        PluginInfo(
            "laplacian", "injector", build_laplacian_injector, LaplacianInjectorOptions,
            "Laplacian-eigenvector positions plus chunks",
        ),
        PluginInfo(
            "none", "injector", build_broadcast_injector, NoOptions,
            "control: encoder vector on every node, zero edges",
        ),
    ]
