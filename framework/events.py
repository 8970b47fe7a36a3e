"""The payloads of the event hooks (``on_generation_end``, ``on_run_end``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from attrs import frozen

from framework.run_state import RunState


@frozen
class GenerationEnd:
    """A generation finished; its artifacts and the checkpoint are on disk."""

    run_dir: Path
    generation: int
    state: RunState


@frozen
class RunEnd:
    """The run finished; ``summary`` is what ``summary.json`` holds."""

    run_dir: Path
    state: RunState
    summary: dict[str, Any]
