"""The contract of every plugin kind: what the engine calls on the objects plugins build.

A plugin registers a :class:`~framework.PluginInfo` whose ``factory`` the
engine calls as ``factory(options, *args)`` (``options``: an instance of the
plugin's attrs options class, structured from the spec). The ``*Factory``
aliases below give each kind's arguments; the protocols say what the built
object must offer. Plugins need not inherit from them: any object with these
methods fits (static typing checks it).

Some capabilities are optional and tested at run time (``isinstance``): a
synthesizer that can resume where it stopped implements :class:`Resumable`;
one that reads the domain before proposing, :class:`UsesDomain`; a domain
that declares meaning-preserving rewrites, :class:`HasRewriteRules`; one
that exposes a continuation-passing DSL's small steps, :class:`HasContinuations`.

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
    """A domain gives programs their meaning (kind ``"domain"``).

    An output (what :meth:`evaluate` returns when it is no ``Rejection``) may be any
    Python value: the engine never pickles, saves, hashes or compares it with ``==``,
    nor sends it to an executor's workers. It is kept in the main process for one
    generation's exploration; the checkpoint holds the program text and
    ``to_graph(output)``, and outputs are re-evaluated from the programs every generation
    and on resume (so :meth:`evaluate` must be deterministic). Duplicates are found by
    bucketing outputs in a ``dict`` by :meth:`key`, then :meth:`equivalent` within a
    bucket.
    """

    #: The grammar a run starts from when the spec names none.
    grammar: Grammar

    def evaluate(self, program: Program, grammar: Grammar) -> Any | Rejection:
        """Run ``program`` (step-bounded; inventions resolved through ``grammar``)."""

    def key(self, output: Any) -> Hashable:
        """A cheap invariant: hashable (a ``dict`` key: equal by ``==`` and ``hash``), and
        equal for equivalent outputs."""

    def equivalent(self, a: Any, b: Any) -> bool:
        """Exact equivalence check behind :meth:`key` (called only on outputs with equal keys;
        an equivalence relation): equivalent outputs are duplicates, one of them kept."""

    def to_graph(self, output: Any) -> PortGraph:
        """The graph the neural side is built on: a function of ``output`` (a library
        learner's rewrite is kept only if its graph ``==`` the stored one)."""


@frozen
class Scored:
    """A population member as a synthesizer sees it: its program, candidate id and selection score.

    ``score`` is the selector's score (higher is better); None for a member
    that has none (its training failed, or it was given, not trained).
    """

    program: Program
    id: str | None = None
    score: float | None = None


class Population(tuple):  # type: ignore[type-arg]
    """What :meth:`Synthesizer.propose` receives: the population's programs, best first.

    A tuple of :class:`~framework.Program` (so a synthesizer that only reads
    programs iterates it as it is), with :attr:`scored` beside it: the same
    members, same order, as :class:`Scored` (id and selection score).
    """

    scored: tuple[Scored, ...]

    def __new__(cls, scored: Sequence[Scored] = ()) -> Population:
        population = super().__new__(cls, tuple(member.program for member in scored))
        population.scored = tuple(scored)
        return population


@frozen
class Proposal:
    """A program with the population member it was made from (``parent``: that member's id).

    A synthesizer may yield a ``Proposal`` in place of a bare ``Program``
    anywhere in a batch; the engine records the parent on the candidate.
    """

    program: Program
    parent: str | None = None


class Synthesizer(Protocol):
    """Proposes programs of a grammar (kind ``"synthesizer"``).

    The engine builds it once per run and calls :meth:`propose` once per
    generation. Optionally :class:`Resumable` (``state()``/``restore()``).
    """

    def propose(
        self, grammar: Grammar, population: Population, budget: int, rng: random.Random
    ) -> Iterator[list[Program | Proposal]]:
        """Yield batches (lists) of programs of ``grammar``, at most ``budget`` in all.

        ``population``: the current members, best first (:class:`Population`:
        programs, and ``population.scored`` with ids and selection scores).
        Each item of a batch is a well-typed :class:`~framework.Program` of
        ``grammar``'s start type, or a :class:`Proposal` naming its parent.
        Anything else (a batch that is not a list, a string, an ill-typed
        program, an exception, overrunning ``explore_seconds``) stops this
        synthesizer for the generation, the reason recorded; the others go on.
        """


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


@runtime_checkable
class UsesDomain(Protocol):
    """Optional synthesizer capability: it reads the domain (its rewrite rules, its semantics).

    :func:`framework.explore` calls :meth:`attach` once per call, before any ``propose``.
    """

    def attach(self, domain: Domain) -> None:
        """Take what the synthesizer needs from ``domain``."""


@runtime_checkable
class HasRewriteRules(Protocol):
    """Optional domain capability: meaning-preserving rewrites over its productions.

    Rules are texts such as ``"(next_port (prev_port ?k)) -> ?k"`` (syntax in
    :mod:`framework.dsl.rules`); synthesizers that prune compile them into the
    grammar. A domain without them loses nothing: its programs are simply not
    pruned.
    """

    def rewrite_rules(self) -> Sequence[str]:
        """The rules, each of which must never change a program's output."""


class Continuations(Protocol):
    """A continuation-passing DSL's small-step semantics, for search by behaviour.

    In such a DSL (the graph DSL is one) every production of the start type
    but the terminators takes, as its **last** argument, the program to run
    next. A program prefix, its continuation left open, then has a
    behaviour of its own: the machine state it leaves where the continuation
    would start. Two prefixes leaving states with equal :meth:`key` give
    equal outputs under every completion, so a search needs to keep only one
    of them.
    """

    def initial(self) -> Any:
        """The state the empty prefix leaves (the program's start state)."""

    def is_step(self, production: str) -> bool:
        """Whether ``production`` is a small step: its last argument is what runs next, and
        what it does depends on the state alone (not, say, on the whole program, as a
        recursive call's does)."""

    def step(self, state: Any, production: str, arguments: tuple[Program, ...]) -> Any | Rejection:
        """Run ``production`` from ``state`` with ``arguments`` (every child but the continuation).

        Returns the state where the continuation would start, or a
        :class:`Rejection` (for example when the step budget runs out).
        """

    def key(self, state: Any) -> Hashable:
        """Exact: equal keys mean equal outputs for every continuation."""

    def output_key(self, state: Any) -> Hashable:
        """Cheap and exact: equal output keys mean the program closed here outputs the same."""

    def close(self, state: Any, terminator: str) -> Any | Rejection:
        """The output of the prefix closed by the nullary production ``terminator``."""


@runtime_checkable
class HasContinuations(Protocol):
    """Optional domain capability: its DSL is continuation-passing and exposes its small steps."""

    def continuations(self, grammar: Grammar) -> Continuations:
        """The semantics under ``grammar`` (inventions resolved through it)."""


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
#: ``factory(options, graph, dim, max_conn)``: see :class:`framework.nn.Injector`. ``graph`` is on
#: the CPU (the network is built there, then moved with ``model.to(device)``): keep the tensors
#: derived from it as buffers (``register_buffer``) so that they move with the module.
InjectorFactory: TypeAlias = Callable[[Any, "GraphIndex", int, int], "Injector"]
#: ``factory(options, dim)``: see :class:`framework.nn.Backbone`.
BackboneFactory: TypeAlias = Callable[[Any, int], "Backbone"]
ProbeFactory: TypeAlias = Callable[[Any], Probe]

__all__ = [
    "BackboneFactory",
    "Continuations",
    "Domain",
    "DomainFactory",
    "EncoderFactory",
    "Executor",
    "ExecutorFactory",
    "HasContinuations",
    "HasRewriteRules",
    "InjectorFactory",
    "Job",
    "JobRunner",
    "LibraryLearner",
    "LibraryLearnerFactory",
    "LibraryResult",
    "Population",
    "Probe",
    "ProbeFactory",
    "Proposal",
    "Reporter",
    "Resumable",
    "Scored",
    "Selector",
    "SelectorFactory",
    "Synthesizer",
    "SynthesizerFactory",
    "Task",
    "TaskFactory",
    "UsesDomain",
]
