"""Options of the DGL backbones: the same keys and defaults as the native ones.

A spec can switch ``backbone = {plugin = "gine", depth = 2}`` to
``{plugin = "dgl-gine", depth = 2}`` without touching the other keys.
"""

from __future__ import annotations

from typing import Any

from attrs import field, frozen
from attrs.validators import and_, ge, gt, instance_of, lt

from framework import check_activation


def _depth() -> Any:
    return field(default=3, validator=[instance_of(int), gt(0)])


def _dropout() -> Any:
    return field(default=0.3, validator=and_(ge(0.0), lt(1.0)))


def _act(default: str) -> Any:
    return field(default=default, validator=check_activation)


@frozen
class DglGINEOptions:
    """Options of ``backbone = {plugin = "dgl-gine", ...}``.

    Attributes:
        depth: number of GINE layers (paper: 3).
        dropout: dropout on each layer's node and edge inputs (paper: 0.3).
        eps: the self-weight :math:`\\epsilon` (paper: 0).
        train_eps: learn ``eps`` instead of fixing it.
        act: activation between layers (paper: ``"none"``).
    """

    depth: int = _depth()
    dropout: float = _dropout()
    eps: float = field(default=0.0, validator=instance_of((int, float)))
    train_eps: bool = field(default=False, validator=instance_of(bool))
    act: str = _act("none")


@frozen
class DglGCNOptions:
    """Options of ``backbone = {plugin = "dgl-gcn", ...}``.

    Attributes:
        depth: number of layers.
        dropout: dropout on each layer's node input.
        act: activation between layers.
    """

    depth: int = _depth()
    dropout: float = _dropout()
    act: str = _act("relu")


@frozen
class DglGATv2Options:
    """Options of ``backbone = {plugin = "dgl-gatv2", ...}``.

    Attributes:
        depth: number of layers.
        dropout: dropout on each layer's node input.
        heads: attention heads; must divide the feature size.
        negative_slope: LeakyReLU slope inside the attention score.
        act: activation between layers.
    """

    depth: int = _depth()
    dropout: float = _dropout()
    heads: int = field(default=4, validator=[instance_of(int), gt(0)])
    negative_slope: float = field(default=0.2, validator=ge(0.0))
    act: str = _act("elu")


@frozen
class DglSAGEOptions:
    """Options of ``backbone = {plugin = "dgl-sage", ...}``.

    Attributes:
        depth: number of layers.
        dropout: dropout on each layer's node input.
        act: activation between layers.
    """

    depth: int = _depth()
    dropout: float = _dropout()
    act: str = _act("relu")
