"""The data a task plugin provides: tensors in three splits (protocol: :class:`framework.contracts.Task`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from attrs import frozen

if TYPE_CHECKING:
    import torch


@frozen
class Split:
    """Inputs ``x`` (``[n, *input_shape]``, float32) and binary targets ``y`` (``[n]``, float32 0/1)."""

    x: torch.Tensor
    y: torch.Tensor


@frozen
class TaskData:
    """A task's data: ``train`` fits the networks, ``select`` ranks them, ``eval`` reports.

    ``select`` may hold zero samples when a spec selects on training accuracy.
    """

    train: Split
    select: Split
    eval: Split
    input_shape: tuple[int, ...]
    description: str = ""


def class_balance(split: Split) -> float:
    """The fraction of positive targets in ``split`` (nan when it is empty).

    Reported with every result: an accuracy means little without it.
    """
    n = split.y.numel()
    return float(split.y.sum()) / n if n else float("nan")


def majority_accuracy(split: Split, reference: Split | None = None) -> float:
    """Accuracy on ``split`` of always predicting the majority class of ``reference``.

    ``reference`` defaults to ``split`` itself, giving ``max(p, 1 - p)``;
    pass the training split for the baseline a constant classifier fitted on
    it would reach (the paper's "always negative": 0.583 on its eval split).
    Ties count as positive. nan when either split is empty.
    """
    p, q = class_balance(split), class_balance(reference if reference is not None else split)
    return p if q >= 0.5 else 1.0 - p
