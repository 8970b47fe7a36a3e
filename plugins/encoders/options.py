"""Options of the built-in encoders, torch-free so that validating a spec does not import torch."""

from __future__ import annotations

from attrs import field, frozen
from attrs.validators import and_, deep_iterable, ge, gt, instance_of, lt

from framework import OptionError

_positive = [instance_of(int), gt(0)]


@frozen
class CNNOptions:
    """Options of ``encoder = {plugin = "cnn", ...}``.

    Attributes:
        channels: output channels of each strided conv, in order.
    """

    channels: tuple[int, ...] = field(
        default=(32, 64, 128),
        converter=tuple,
        validator=deep_iterable(member_validator=[instance_of(int), gt(0)]),
    )

    @channels.validator
    def _not_empty(self, attribute: object, value: tuple[int, ...]) -> None:
        if not value:
            raise OptionError("channels must name at least one conv layer", attribute)


@frozen
class MLPOptions:
    """Options of ``encoder = {plugin = "mlp", ...}``.

    Attributes:
        hidden: hidden layer sizes, in order (empty: a single linear map).
        dropout: dropout after each hidden layer.
    """

    hidden: tuple[int, ...] = field(
        default=(256, 256),
        converter=tuple,
        validator=deep_iterable(member_validator=[instance_of(int), gt(0)]),
    )
    dropout: float = field(default=0.0, validator=and_(ge(0.0), lt(1.0)))


@frozen
class PixelShuffleViTOptions:
    """Options of ``encoder = {plugin = "pixelshuffle-vit", ...}`` (defaults: the paper's).

    Attributes:
        unshuffle: PixelUnshuffle factor; must divide the image's height and width.
        width: token width of the convs and the transformer; divisible by 4.
        conv_depth: number of residual conv blocks.
        depth: transformer layers.
        heads: attention heads.
        head_dim: width of each attention head.
        mlp_dim: hidden width of the transformer's MLP.
        final_norm: normalise the tokens once more after the last
            transformer block, as later vit-pytorch versions do (2 x width
            parameters more; no longer the original's function).
    """

    unshuffle: int = field(default=16, validator=_positive)
    width: int = field(default=256, validator=_positive)
    conv_depth: int = field(default=3, validator=[instance_of(int), ge(0)])
    depth: int = field(default=2, validator=_positive)
    heads: int = field(default=4, validator=_positive)
    head_dim: int = field(default=128, validator=_positive)
    mlp_dim: int = field(default=512, validator=_positive)
    final_norm: bool = False

    @width.validator
    def _width_for_sincos(self, attribute: object, value: int) -> None:
        if value % 4 or value < 8:
            raise OptionError(f"width must be a multiple of 4 and at least 8 (2-D sin-cos code), got {value}", attribute)
