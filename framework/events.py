"""The payloads of the event hooks (``on_generation_end``, ``on_run_end``)."""

from __future__ import annotations

from typing import Any

from attrs import frozen

from framework.run_dir import RunDir
from framework.run_state import RunState


@frozen
class GenerationEnd:
    """A generation finished; its artifacts and the checkpoint are on disk.

    ``run_dir`` names every path of the run directory (``run_dir.population(generation)``,
    ``run_dir.plot(generation)``, ...). ``state`` is the run state after the generation;
    when ``framework report`` re-announces a finished run it is the final state.
    """

    run_dir: RunDir
    generation: int
    state: RunState


@frozen
class RunEnd:
    """The run finished; ``summary`` is what ``summary.json`` holds."""

    run_dir: RunDir
    state: RunState
    summary: dict[str, Any]
