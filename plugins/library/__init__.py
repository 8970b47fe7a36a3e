"""Library learners: grow a grammar with inventions learned from good programs.

``stitch`` (``stitch.py``) compresses programs with stitch-core and turns
its abstractions into typed, first-order, deduplicated productions. stitch-core
itself is imported only when a learner compresses, so listing plugins stays
cheap.
"""

from __future__ import annotations

from framework import PluginInfo, hookimpl

from .stitch import StitchLearner, StitchOptions, make_stitch_learner

__all__ = ["StitchLearner", "StitchOptions", "make_stitch_learner"]


@hookimpl
def register_library_learners() -> list[PluginInfo]:
    return [
        PluginInfo(
            "stitch",
            "library_learner",
            make_stitch_learner,
            StitchOptions,
            summary="stitch-core compression: first-order, typed, deduplicated inventions (arXiv 2211.16605)",
        )
    ]
