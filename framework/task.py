"""What the engine expects of a task plugin: tensors in three splits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from attrs import frozen

if TYPE_CHECKING:
    from pathlib import Path

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


class Task(Protocol):
    """A task plugin object (built by its factory from the spec's options)."""

    def load(self, cache_dir: Path, seed: int) -> TaskData:
        """Generate (or read from ``cache_dir``) the data, deterministically in ``seed``."""
