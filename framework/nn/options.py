"""Options of the built-in GNN backbones, shared by the native (``gine``, ...) and the
DGL (``dgl-gine``, ...) plugins: a spec switches between them by the name alone.

Torch-free, so that listing plugins and validating a spec do not import torch.
"""

from __future__ import annotations

from typing import Any

from attrs import field, frozen
from attrs.validators import and_, ge, gt, instance_of, lt

from framework.errors import OptionError

__all__ = [
    "ACTIVATION_NAMES",
    "GATv2Options",
    "GCNOptions",
    "GINEOptions",
    "LayerStackOptions",
    "SAGEOptions",
    "check_activation",
]

#: Activation names backbone options accept; :data:`framework.nn.ACTIVATIONS` maps each to its function.
ACTIVATION_NAMES = ("none", "relu", "gelu", "elu")


def check_activation(_instance: Any, _attribute: Any, value: str) -> None:
    """attrs validator for an ``act`` option: one of :data:`ACTIVATION_NAMES`."""
    if value not in ACTIVATION_NAMES:
        raise OptionError(f"unknown activation {value!r}; choose one of: {', '.join(ACTIVATION_NAMES)}", _attribute)


@frozen
class LayerStackOptions:
    """What every built-in backbone takes: its depth, dropout and activation.

    Attributes:
        depth: number of layers.
        dropout: dropout on each layer's inputs (node, and edge where used).
        act: activation between layers.
    """

    depth: int = field(default=3, validator=[instance_of(int), gt(0)])
    dropout: float = field(default=0.3, validator=and_(ge(0.0), lt(1.0)))
    act: str = field(default="relu", validator=check_activation)


@frozen
class GINEOptions(LayerStackOptions):
    """Options of ``backbone = {plugin = "gine", ...}`` (paper: depth 3, dropout 0.3).

    Attributes:
        eps: the self-weight :math:`\\epsilon` (paper: 0).
        train_eps: learn ``eps`` instead of fixing it.
        act: activation between layers (paper: ``"none"``).
    """

    eps: float = field(default=0.0, validator=instance_of((int, float)))
    train_eps: bool = False
    act: str = field(default="none", validator=check_activation)


@frozen
class GCNOptions(LayerStackOptions):
    """Options of ``backbone = {plugin = "gcn", ...}``."""


@frozen
class SAGEOptions(LayerStackOptions):
    """Options of ``backbone = {plugin = "sage", ...}``."""


@frozen
class GATv2Options(LayerStackOptions):
    """Options of ``backbone = {plugin = "gatv2", ...}``.

    Attributes:
        heads: attention heads; must divide the feature size.
        negative_slope: LeakyReLU slope inside the attention score.
        act: activation between layers.
    """

    heads: int = field(default=4, validator=[instance_of(int), gt(0)])
    negative_slope: float = field(default=0.2, validator=ge(0.0))
    act: str = field(default="elu", validator=check_activation)
