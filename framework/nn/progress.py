"""A rich progress display for training: one bar per candidate, with loss and accuracy.

:func:`framework.train` reports through a plain callback
``progress(step, total, loss, accuracy)``; this module turns such callbacks
into live bars, so training itself never depends on a terminal.
"""

from __future__ import annotations

from types import TracebackType
from typing import Callable

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn


class TrainingProgress:
    """Context manager showing one bar per trained network.

    Example::

        with TrainingProgress() as bars:
            result = train(model, data, options, device=device, seed=0,
                           progress=bars.callback("gen 1 / candidate 3"))
    """

    def __init__(self, console: Console | None = None, transient: bool = False) -> None:
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]:.4f}  acc {task.fields[accuracy]:.3f}"),
            TimeRemainingColumn(),
            console=console,
            transient=transient,
        )

    def __enter__(self) -> TrainingProgress:
        self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._progress.stop()

    def callback(self, description: str) -> Callable[[int, int, float, float], None]:
        """A new bar named ``description`` and the ``progress`` callback that advances it."""
        task = self._progress.add_task(escape(description), total=None, loss=float("nan"), accuracy=float("nan"))

        def report(step: int, total: int, loss: float, accuracy: float) -> None:
            self._progress.update(task, completed=step, total=total, loss=loss, accuracy=accuracy)

        return report
