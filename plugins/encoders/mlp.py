"""A multilayer perceptron over the flattened input: the encoder for small, non-image tasks."""

from __future__ import annotations

import math

from torch import nn

from framework_plugins.encoders.options import MLPOptions


class MLPEncoder(nn.Sequential):
    """Flatten, then ``[Linear -> GELU -> Dropout]`` per hidden size, then ``Linear(.., out)``.

    Args:
        input_shape: any shape; flattened.
        out_dim: output size.
        hidden: hidden layer sizes (default: (256, 256); empty = a linear map).
        dropout: dropout after each hidden layer (default: 0.0).

    Shapes:
        ``[B, *input_shape] -> [B, out_dim]``.
    """

    def __init__(
        self, input_shape: tuple[int, ...], out_dim: int, hidden: tuple[int, ...] = (256, 256), dropout: float = 0.0
    ) -> None:
        layers: list[nn.Module] = [nn.Flatten()]
        previous = math.prod(input_shape)
        for size in hidden:
            layers += [nn.Linear(previous, size), nn.GELU(), nn.Dropout(dropout)]
            previous = size
        layers.append(nn.Linear(previous, out_dim))
        super().__init__(*layers)


def build_mlp(options: MLPOptions, input_shape: tuple[int, ...], out_dim: int) -> MLPEncoder:
    return MLPEncoder(tuple(input_shape), out_dim, options.hidden, options.dropout)
