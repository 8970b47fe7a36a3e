"""The neural side's core: graph index tensors, base classes and the G-SSNN model.

Plugins reach these names through the public ``framework`` package. Each name
is imported on first use, so the torch-free options (:mod:`framework.nn.options`)
load without torch: listing plugins and validating a spec stay cheap.
"""

from framework._lazy import lazy_names

#: Each public name and the module that defines it.
_MODULES = {
    "ACTIVATIONS": "framework.nn.backbone",
    "ACTIVATION_NAMES": "framework.nn.options",
    "Backbone": "framework.nn.backbone",
    "GATv2Options": "framework.nn.options",
    "GCNOptions": "framework.nn.options",
    "GINEOptions": "framework.nn.options",
    "GSSNN": "framework.nn.model",
    "GraphIndex": "framework.nn.graph_index",
    "Injector": "framework.nn.injector",
    "LayerStackOptions": "framework.nn.options",
    "SAGEOptions": "framework.nn.options",
    "add_rows": "framework.nn.functional",
    "add_self_loops": "framework.nn.functional",
    "check_activation": "framework.nn.options",
    "chunk_gather_index": "framework.nn.injector",
    "dropout": "framework.nn.functional",
    "gather_chunks": "framework.nn.injector",
    "gather_nodes": "framework.nn.functional",
    "scatter_mean": "framework.nn.functional",
    "scatter_softmax": "framework.nn.functional",
    "scatter_sum": "framework.nn.functional",
    "sincos_code": "framework.nn.injector",
    "under_vmap": "framework.nn.functional",
}

__getattr__, __dir__ = lazy_names(__name__, _MODULES)

__all__ = sorted(_MODULES)
