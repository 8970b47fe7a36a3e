"""The spec's ``[training]`` table: how each candidate network is trained.

Torch-free, so that validating a spec does not import torch; :mod:`framework.training`
runs the recipe.
"""

from __future__ import annotations

from typing import Literal

from attrs import field, frozen
from attrs.validators import and_, ge, gt, in_, instance_of, lt

_positive_int = [instance_of(int), gt(0)]


@frozen
class TrainingOptions:
    """How each candidate is trained (the spec's ``[training]`` table; defaults: the paper's).

    Attributes:
        epochs: passes over the training split.
        batch_size: samples per optimiser step (the last batch of an epoch may be smaller).
        lr: Adam learning rate.
        plateau_factor: ReduceLROnPlateau: multiply the learning rate by this on a plateau.
        plateau_patience: ReduceLROnPlateau: steps without improvement before reducing.
        plateau_cooldown: ReduceLROnPlateau: steps to wait after a reduction.
        plateau_threshold: ReduceLROnPlateau: relative improvement that counts.
        scheduler: ``"plateau"`` (stepped on every batch's loss, as in the paper)
            or ``"none"`` (constant learning rate).
        amp: bf16 autocast: ``true``, ``false``, or ``"auto"`` (on exactly when
            training on CUDA). Autocast is never used on CPU.
        eval_batch_size: batch size when measuring accuracy (no gradients).
        shuffle: reshuffle the training split every epoch.
    """

    epochs: int = field(default=16, validator=_positive_int)
    batch_size: int = field(default=8, validator=_positive_int)
    lr: float = field(default=1e-3, validator=gt(0.0))
    plateau_factor: float = field(default=0.5, validator=and_(gt(0.0), lt(1.0)))
    plateau_patience: int = field(default=50, validator=[instance_of(int), ge(0)])
    plateau_cooldown: int = field(default=15, validator=[instance_of(int), ge(0)])
    plateau_threshold: float = field(default=1e-4, validator=ge(0.0))
    scheduler: Literal["plateau", "none"] = field(default="plateau", validator=in_(("plateau", "none")))
    amp: Literal["auto", True, False] = field(default="auto", validator=in_(("auto", True, False)))
    eval_batch_size: int = field(default=256, validator=_positive_int)
    shuffle: bool = True
