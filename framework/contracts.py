"""The contract of every plugin kind: what the engine calls on the objects plugins build.

A plugin registers a :class:`~framework.PluginInfo` whose ``factory`` the
engine calls as ``factory(options, *args)`` (``options``: an instance of the
plugin's attrs options class, structured from the spec). The ``*Factory``
aliases below give each kind's arguments; the protocols say what the built
object must offer. Plugins need not inherit from them: any object with these
methods fits (static typing checks it).

One capability is optional and tested at run time: a synthesizer that can
resume where it stopped implements :class:`Resumable`; the engine checks
``isinstance(synthesizer, Resumable)``.

This module imports neither torch nor the engine: listing plugins and
validating a spec stay cheap. Types from those modules are named for type
checkers only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Hashable, Iterator, Protocol, Sequence, TypeAlias, runtime_checkable

from attrs import frozen

if TYPE_CHECKING:
    import random
    from pathlib import Path

    import torch

    from framework.domain import Rejection
    from framework.dsl.grammar import Grammar, Production
    from framework.dsl.program import Program
    from framework.events import GenerationEnd, RunEnd
    from framework.graph import PortGraph
    from framework.nn import Backbone, GraphIndex, Injector
    from framework.networks import Trained
    from framework.probing import ProbeReport, ProbeSubject
    from framework.run_state import Scores
    from framework.task import TaskData


# ---------------------------------------------------------------------------
# Programs: domain, synthesizer, library learner
# ---------------------------------------------------------------------------


class Domain(Protocol):
    """A domain gives programs their meaning (kind ``"domain"``)."""

    #: The grammar a run starts from when the spec names none.
    grammar: Grammar

    def evaluate(self, program: Program, grammar: Grammar) -> Any | Rejection:
        """Run ``program`` (step-bounded; inventions resolved through ``grammar``)."""

    def key(self, output: Any) -> Hashable:
        """A cheap invariant: equivalent outputs have equal keys."""

    def equivalent(self, a: Any, b: Any) -> bool:
        """Exact equivalence check behind :meth:`key`."""

    def to_graph(self, output: Any) -> PortGraph:
        """The graph the neural side is built on."""


class Synthesizer(Protocol):
    """Proposes programs of a grammar (kind ``"synthesizer"``)."""

    def propose(
        self, grammar: Grammar, population: Sequence[Program], budget: int, rng: random.Random
    ) -> Iterator[list[Program]]:
        """Yield batches of programs of ``grammar``, at most ``budget`` in all."""


class Member(Protocol):
    """A population member as exploration sees it: a program and its domain output."""

    program: Program
    output: Any


@runtime_checkable
class Resumable(Protocol):
    """Optional synthesizer capability: a state saved in the checkpoint and restored on resume.

    A synthesizer without it starts afresh every generation (and after a resume).
    """

    def state(self) -> Any:
        """Where the synthesizer stands, as JSON-serialisable data."""

    def restore(self, state: Any) -> None:
        """Continue from a value :meth:`state` returned (in an earlier process)."""


@frozen
class LibraryResult:
    """What one library-learning step produced.

    ``grammar``: the new grammar version (the input grammar itself when
    nothing was learned). ``programs``: the inputs rewritten with the new
    inventions, same order, same meaning. ``inventions``: the new productions.
    ``ratio``: the learner's measure of the inputs' size over the rewritten
    programs' (1.0 when nothing changed).
    """

    grammar: Grammar
    programs: tuple[Program, ...]
    inventions: tuple[Production, ...]
    ratio: float


class LibraryLearner(Protocol):
    """Grows a grammar with inventions learned from good programs (kind ``"library_learner"``).

    Optional: a ``check(program)`` method raising :class:`~framework.ProgramError` for a
    program the learner refuses (``stitch``: one deeper than ``max_depth``); ``framework dsl
    compress`` calls it per input line, so the refusal names the line.
    """

    def compress(self, grammar: Grammar, programs: Sequence[Program]) -> LibraryResult:
        """Learn inventions from ``programs`` and rewrite them; meaning must not change."""


# ---------------------------------------------------------------------------
# Data and training: task, selector, executor
# ---------------------------------------------------------------------------


class Task(Protocol):
    """Provides the data every candidate is trained and scored on (kind ``"task"``).

    Optional: an ``input_shape`` attribute (the shape of one input, known without
    loading the data) lets ``framework validate`` build the model; without it the
    model is first built after the data is loaded.
    """

    def load(self, cache_dir: Path, seed: int) -> TaskData:
        """Generate (or read from ``cache_dir``) the data, deterministically in ``seed``."""


class Selector(Protocol):
    """Ranks trained candidates (kind ``"selector"``); the engine keeps the best ``population.keep``."""

    #: Splits :meth:`score` reads (``"select"``, ...): a run whose task leaves one empty
    #: stops before training. ``()`` for a selector that reads only training figures.
    requires_splits: tuple[str, ...]

    def score(self, scores: Scores) -> float:
        """Higher is better; ties are broken by smaller mass, then older id."""


#: One network to train (or one run of a study), as the engine describes it
#: (an opaque, picklable frozen record).
Job: TypeAlias = Any


class JobRunner(Protocol):
    """What an executor calls per job: picklable, so it can run in another process
    (the engine's :class:`framework.network_trainer.NetworkTrainer`, a study's run runner)."""

    def __call__(self, job: Job) -> Any:
        """The job's result (a network's :class:`framework.networks.Trained`: its scores and
        weights, handed back unchanged so that the engine saves the network)."""

    def lost(self, job: Job, reason: str) -> Any:
        """The result to record for a job whose worker died on every attempt."""


class Executor(Protocol):
    """Trains a generation's networks, or runs a study's runs (kind ``"executor"``)."""

    def run(self, jobs: Sequence[Job], train: JobRunner, on_result: Callable[[Job, Any], None]) -> None:
        """Call ``train(job)`` for every job and ``on_result(job, result)`` in job order as results
        arrive; record ``train.lost(job, reason)`` for a job whose worker died on every attempt."""


class Probe(Protocol):
    """Finds which parts of a saved network matter (kind ``"probe"``, ``framework probe``)."""

    def run(self, subject: ProbeSubject) -> ProbeReport:
        """Measure ``subject.module`` on ``subject.split``; the parts ranked (:func:`framework.rank`)."""


# ---------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------


class Reporter(Protocol):
    """The event hooks a reporter module implements (``@hookimpl``; any subset of them).

    Reporters are plain plugin modules, not built by a factory: the hooks are
    called once per generation and once per run, never per candidate.
    """

    def on_generation_end(self, event: GenerationEnd) -> None:
        """A generation finished and its artifacts and checkpoint are on disk."""

    def on_run_end(self, event: RunEnd) -> None:
        """The run finished; ``event.summary`` is what ``summary.json`` holds."""


# ---------------------------------------------------------------------------
# Factories: ``PluginInfo.factory`` of each kind (options first)
# ---------------------------------------------------------------------------

DomainFactory: TypeAlias = Callable[[Any], Domain]
SynthesizerFactory: TypeAlias = Callable[[Any], Synthesizer]
LibraryLearnerFactory: TypeAlias = Callable[[Any], LibraryLearner]
TaskFactory: TypeAlias = Callable[[Any], Task]
SelectorFactory: TypeAlias = Callable[[Any], Selector]
ExecutorFactory: TypeAlias = Callable[[Any], Executor]
#: ``factory(options, input_shape, out_dim)``: a module mapping task inputs to ``[B, out_dim]``.
EncoderFactory: TypeAlias = Callable[[Any, "tuple[int, ...]", int], "torch.nn.Module"]
#: ``factory(options, graph, dim, max_conn)``: see :class:`framework.nn.Injector`.
InjectorFactory: TypeAlias = Callable[[Any, "GraphIndex", int, int], "Injector"]
#: ``factory(options, dim)``: see :class:`framework.nn.Backbone`.
BackboneFactory: TypeAlias = Callable[[Any, int], "Backbone"]
ProbeFactory: TypeAlias = Callable[[Any], Probe]

__all__ = [
    "BackboneFactory",
    "Domain",
    "DomainFactory",
    "EncoderFactory",
    "Executor",
    "ExecutorFactory",
    "InjectorFactory",
    "Job",
    "JobRunner",
    "LibraryLearner",
    "LibraryLearnerFactory",
    "LibraryResult",
    "Probe",
    "ProbeFactory",
    "Reporter",
    "Resumable",
    "Selector",
    "SelectorFactory",
    "Synthesizer",
    "SynthesizerFactory",
    "Task",
    "TaskFactory",
]
