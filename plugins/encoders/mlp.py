"""A multilayer perceptron over the flattened input: the encoder for small, non-image tasks."""

from __future__ import annotations

import math

from attrs import field, frozen
from attrs.validators import and_, deep_iterable, ge, gt, instance_of, lt
from torch import nn


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


def build_mlp(options: MLPOptions, input_shape: tuple[int, ...], out_dim: int) -> MLPEncoder:
    return MLPEncoder(tuple(input_shape), out_dim, options.hidden, options.dropout)
