"""Built-in synthesizers: ``enumerative`` (heap search), ``stochastic`` (sampling, mutation, crossover), ``behavioural``.

Both build programs directly as :class:`framework.Program` trees from the
grammar's compiled production table; neither touches text or Lark. See
``docs/synthesizers.md`` for their options and for writing a new one.
"""

from __future__ import annotations

from framework import PluginInfo, hookimpl

from .behavioural import BehaviouralOptions, BehaviouralSynthesizer
from .enumerative import EnumerativeOptions, EnumerativeSynthesizer
from .stochastic import SamplingTables, StochasticOptions, StochasticSynthesizer, crossover, mutate

__all__ = [
    "BehaviouralOptions",
    "BehaviouralSynthesizer",
    "EnumerativeOptions",
    "EnumerativeSynthesizer",
    "SamplingTables",
    "StochasticOptions",
    "StochasticSynthesizer",
    "crossover",
    "mutate",
]


@hookimpl
def register_synthesizers() -> list[PluginInfo]:
    return [
        PluginInfo(
            "enumerative",
            "synthesizer",
            EnumerativeSynthesizer,
            EnumerativeOptions,
            summary="heap search: every program up to max_size once, most probable first (AAAI 2022)",
        ),
        PluginInfo(
            "stochastic",
            "synthesizer",
            StochasticSynthesizer,
            StochasticOptions,
            summary="PCFG sampling at a temperature, subtree mutation and crossover",
        ),
        PluginInfo(
            "behavioural",
            "synthesizer",
            BehaviouralSynthesizer,
            BehaviouralOptions,
            summary="search by behaviour (continuation-passing DSLs): one program per distinct output",
        ),
    ]
