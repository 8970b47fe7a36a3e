"""Probes: which parts of a trained network it relies on (``framework probe``, docs/artifacts.md).

Each is built by ``factory(options)`` and has ``run(subject) -> ProbeReport``
(:class:`framework.ProbeSubject`, :class:`framework.ProbeReport`).
"""

from __future__ import annotations

from framework import LazyFactory, PluginInfo, hookimpl
from framework_plugins.probes.options import AblationOptions, SubnetworkOptions


@hookimpl
def register_probes() -> list[PluginInfo]:
    return [
        PluginInfo("ablation", "probe", LazyFactory(f"{__name__}.ablation:AblationProbe"), AblationOptions,
                   "knock out each node, edge, feature chunk, the positional code and each production's subgraph"),
        PluginInfo("subnetwork", "probe", LazyFactory(f"{__name__}.subnetwork:SubnetworkProbe"),
                   SubnetworkOptions,
                   "Break It Down: a sparse weight mask keeping one target while removing another"),
    ]
