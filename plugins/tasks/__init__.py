"""Built-in tasks: ``raven`` (the G-SSNN paper's data, on raven-gen) and ``synthetic`` (seconds on a CPU).

A task's factory takes its options and returns an object with
``load(cache_dir, seed) -> TaskData`` (``train`` / ``select`` / ``eval``
splits). raven-gen (GPL-3.0, the optional ``raven`` extra) is imported only
when the ``raven`` task generates puzzles, never when plugins are listed.
torch too is imported inside the functions that need it: listing plugins
stays cheap, and so does starting each process that generates puzzles (a
spawned worker imports this package).
"""

from __future__ import annotations

from framework import PluginInfo, hookimpl

from .raven import RavenOptions, RavenTask
from .synthetic import SyntheticOptions, SyntheticTask

__all__ = ["RavenOptions", "RavenTask", "SyntheticOptions", "SyntheticTask"]


@hookimpl
def register_tasks() -> list[PluginInfo]:
    return [
        PluginInfo(
            "raven",
            "task",
            RavenTask,
            RavenOptions,
            summary="Raven's-matrix images from raven-gen, labelled by their rules (paper: constant_color)",
        ),
        PluginInfo(
            "synthetic",
            "task",
            SyntheticTask,
            SyntheticOptions,
            summary="tiny noisy images with one mark; learnable in seconds on a CPU (tests, quickstart)",
        ),
    ]
