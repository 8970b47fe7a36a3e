"""Options of the built-in probes (no torch here: listing plugins stays cheap)."""

from __future__ import annotations

from typing import Any

from attrs import field, frozen
from attrs.validators import gt, in_, instance_of


@frozen
class AblationOptions:
    """Options of the ``ablation`` probe.

    Attributes:
        chunks: replace an element's encoder entries by their ``"mean"`` over the split, or ``"zero"``.
        shuffles: random permutations the positional code is shuffled by (effects averaged).
        resamples: bootstrap resamples behind each interval.
    """

    chunks: str = field(default="mean", validator=in_(("mean", "zero")))
    shuffles: int = field(default=8, validator=[instance_of(int), gt(0)])
    resamples: int = field(default=1000, validator=[instance_of(int), gt(1)])


@frozen
class SubnetworkOptions:
    """Options of the ``subnetwork`` probe.

    Attributes:
        other: the second target, a task table (``{plugin = "synthetic", pattern = "orientation"}``).
        weights: mask the graph ``"head"`` (injector, backbone, linear head) or the ``"encoder"``.
        steps: optimisation steps per mask.
        lr: Adam's learning rate on the mask scores.
        sparsity: weight of the mask-size penalty.
        beta: final temperature of the mask (annealed from 1).
    """

    other: dict[str, Any] = field(factory=dict)
    weights: str = field(default="head", validator=in_(("head", "encoder")))
    steps: int = field(default=300, validator=[instance_of(int), gt(0)])
    lr: float = field(default=0.1, validator=gt(0.0))
    sparsity: float = field(default=0.5, validator=gt(0.0))
    beta: float = field(default=200.0, validator=gt(1.0))
