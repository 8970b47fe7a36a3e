"""Everything a run needs to resume, as plain frozen records that serialise to JSON.

A run's checkpoint is one ``RunState`` written atomically after every trained
candidate; every other artifact is a function of it, so a killed run resumed
from its checkpoint ends with the same files as one that never stopped.
"""

from __future__ import annotations

from typing import Any, Mapping

import cattrs
from attrs import field, fields, frozen

from framework.graph import PortGraph
from framework.run_dir import grammar_name

STATE_VERSION = 1


@frozen
class Scores:
    """What training measured for one network (averaged over repeats)."""

    train_accuracy: float
    select_accuracy: float | None
    eval_accuracy: float
    train_f1: float
    select_f1: float | None
    eval_f1: float
    final_loss: float
    repeats: int = 1
    failed: str | None = None
    #: each repeat's eval accuracy (those that did not fail), for the candidate's interval
    eval_accuracies: tuple[float, ...] = ()


#: The trainer's figures a candidate keeps (averaged over repeats): every field of
#: :class:`Scores` but the bookkeeping ones.
METRICS = tuple(a.name for a in fields(Scores) if a.name not in ("repeats", "failed", "eval_accuracies"))


@frozen
class Candidate:
    """A program with its output graph, scores and lineage.

    ``program`` is the text in the newest grammar version (library learning
    rewrites survivors without changing their meaning); ``mass`` counts base
    productions and does not change.
    """

    id: str
    program: str
    graph: PortGraph
    mass: int
    generation: int
    synthesizer: str
    parent: str | None = None
    scores: Scores | None = None
    selection: float | None = None


@frozen
class Exploration:
    """Where a generation's exploration budget went (``framework.ExploreStats``, less timing).

    ``rejected`` counts by the domain's reason code, ``found_by`` by synthesizer;
    ``stopped`` says which synthesizers were stopped early, and why; ``faults``, where the
    domain raised.
    """

    proposed: int = 0
    evaluated: int = 0
    new: int = 0
    replaced: int = 0
    rejected: Mapping[str, int] = field(factory=dict)
    duplicates: int = 0
    found_by: Mapping[str, int] = field(factory=dict)
    #: synthesizer name -> why it was stopped in this generation (raised, broke the contract, overran)
    stopped: Mapping[str, str] = field(factory=dict)
    #: the domain's failures (``"evaluate() raised KeyError: 'x'"``, by method and exception type)
    #: -> programs rejected for them
    faults: Mapping[str, int] = field(factory=dict)


@frozen
class GenerationRecord:
    """What one finished generation produced (for the summary and plots)."""

    generation: int
    grammar: str  # file name of the grammar version the generation explored with
    candidates: tuple[str, ...]  # ids trained this generation
    survivors: tuple[str, ...]
    inventions: tuple[str, ...] = ()
    compression_ratio: float | None = None
    explored: Exploration = Exploration()
    #: why the library learner's result was ignored this generation (None: it was not)
    library_error: str | None = None


@frozen
class RunState:
    """A run between two steps: which generation, in which phase, with what population.

    ``phase`` is ``"explore"`` (the generation's new candidates are not drawn
    yet), ``"train"`` (``pending`` holds them, some maybe trained) or
    ``"done"`` (the run finished).
    """

    spec_hash: str
    generation: int = 0
    phase: str = "explore"
    grammar: str = grammar_name(0)
    survivors: tuple[Candidate, ...] = ()
    pending: tuple[Candidate, ...] = ()
    discarded: tuple[Candidate, ...] = ()
    baseline: tuple[Scores, ...] = ()
    history: tuple[GenerationRecord, ...] = ()
    #: each synthesizer's ``state()`` after the last exploration (None: stateless)
    synthesizer_states: tuple[Any, ...] = ()
    #: how many generations the reporters have drawn (``on_generation_end`` returned)
    reported: int = 0
    version: int = STATE_VERSION


_converter = cattrs.Converter()
_converter.register_unstructure_hook(PortGraph, lambda g: g.to_json())
_converter.register_structure_hook(PortGraph, lambda d, _: PortGraph.from_json(d))


def state_to_json(state: RunState) -> dict[str, Any]:
    return _converter.unstructure(state)


def state_from_json(data: dict[str, Any]) -> RunState:
    return _converter.structure(data, RunState)


def candidate_to_json(candidate: Candidate) -> dict[str, Any]:
    return _converter.unstructure(candidate)


def scores_to_json(scores: Scores) -> dict[str, Any]:
    return _converter.unstructure(scores)


def scores_from_json(data: dict[str, Any]) -> Scores:
    return _converter.structure(data, Scores)


def exploration_to_json(exploration: Exploration) -> dict[str, Any]:
    return _converter.unstructure(exploration)


