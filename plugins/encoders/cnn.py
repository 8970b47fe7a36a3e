"""A plain convolutional encoder: strided 3x3 convs, global average pooling, a linear head.

A cheaper alternative to ``pixelshuffle-vit`` for images of any size.
"""

from __future__ import annotations

from torch import nn

from framework import UsageError
from framework_plugins.encoders.options import CNNOptions


class CNNEncoder(nn.Sequential):
    """``[Conv3x3(stride 2) -> GELU] x len(channels)``, mean over pixels, ``Linear(channels[-1], out)``.

    Args:
        input_shape: ``(C, H, W)``, or ``(H, W)`` for one channel.
        out_dim: output size.
        channels: output channels of each conv (default: (32, 64, 128)).

    Shapes:
        ``[B, *input_shape] -> [B, out_dim]``.
    """

    def __init__(self, input_shape: tuple[int, ...], out_dim: int, channels: tuple[int, ...] = (32, 64, 128)) -> None:
        if len(input_shape) not in (2, 3):
            raise UsageError(f"the cnn encoder needs image inputs (C, H, W) or (H, W), got shape {tuple(input_shape)}")
        layers: list[nn.Module] = [nn.Unflatten(1, (1, input_shape[0]))] if len(input_shape) == 2 else []
        previous = 1 if len(input_shape) == 2 else input_shape[0]
        for out_channels in channels:
            layers += [nn.Conv2d(previous, out_channels, kernel_size=3, stride=2, padding=1), nn.GELU()]
            previous = out_channels
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(previous, out_dim)]
        super().__init__(*layers)


def build_cnn(options: CNNOptions, input_shape: tuple[int, ...], out_dim: int) -> CNNEncoder:
    return CNNEncoder(tuple(input_shape), out_dim, options.channels)
