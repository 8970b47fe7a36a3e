"""The plugin contract: every hook the framework calls, documented hook by hook.

Hooks are for two things only:

* **Registration** -- called once while the plugin manager is built. Each
  ``register_<kind>s`` hook returns the plugins of that kind a module offers,
  as :class:`framework.PluginInfo` records (a name, a factory and the attrs
  class of its options). The spec then picks plugins by name. What each
  kind's factory takes and what the object it builds must offer is a
  protocol of :mod:`framework.contracts`, named in each hook below.
* **Events** -- called once per generation and once per run, so reporters can
  write metrics, plots and drawings.

Hooks are never called per program, per candidate or per batch: a hook call
costs microseconds and the inner loops run millions of times. Programs,
batches and candidates travel as plain Python calls on the objects the
registered factories build.

An implementation may accept any subset of a hook's arguments (pluggy's
opt-in arguments), so hooks can gain arguments without breaking plugins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

import pluggy

if TYPE_CHECKING:
    from framework._registry import PluginInfo
    from framework.events import GenerationEnd, RunEnd

PROJECT_NAME = "framework"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


# ---------------------------------------------------------------------------
# Registration: called once while the plugin manager is built
# ---------------------------------------------------------------------------


@hookspec
def register_domains() -> Iterable[PluginInfo]:
    """Return the domains this plugin provides.

    A domain gives programs their meaning: ``factory(options)`` builds a
    :class:`framework.contracts.Domain`, with ``evaluate(program, grammar) ->
    output | Rejection`` (step-bounded), ``key(output)`` and ``equivalent(a, b)``
    for deduplication, ``to_graph(output) -> PortGraph`` for the neural side,
    and the domain's default ``grammar``.

    Called once, while the plugin manager is built.

    :return: an iterable of :class:`~framework.PluginInfo` of kind ``"domain"``.
    """


@hookspec
def register_synthesizers() -> Iterable[PluginInfo]:
    """Return the program synthesizers this plugin provides.

    ``factory(options)`` builds a :class:`framework.contracts.Synthesizer`:
    ``propose(grammar, population, budget, rng) -> Iterator[list[Program | Proposal]]``,
    called once per generation with the scored population best first
    (:class:`framework.contracts.Population`).
    One that also implements :class:`framework.contracts.Resumable`
    (``state()``, ``restore(state)``) continues where it stopped after a resume.

    Called once, while the plugin manager is built.

    :return: an iterable of :class:`~framework.PluginInfo` of kind ``"synthesizer"``.
    """


@hookspec
def register_library_learners() -> Iterable[PluginInfo]:
    """Return the library learners this plugin provides.

    ``factory(options)`` builds a :class:`framework.contracts.LibraryLearner`:
    ``compress(grammar, programs) -> LibraryResult`` (the new grammar, the
    rewritten programs, the inventions, a compression ratio); rewriting must
    never change a program's meaning.

    Called once, while the plugin manager is built.

    :return: an iterable of :class:`~framework.PluginInfo` of kind ``"library_learner"``.
    """


@hookspec
def register_injectors() -> Iterable[PluginInfo]:
    """Return the feature injectors this plugin provides.

    An injector's factory (:data:`framework.contracts.InjectorFactory`),
    ``factory(options, graph: GraphIndex, dim, max_conn)``,
    builds a :class:`framework.Injector` that maps an encoder output ``x[B, D]``
    to node features ``[B, N, D]`` and one feature row per directed message
    ``[B, M, D]``; its ``edge_index`` buffer says which messages the backbone runs.

    Called once, while the plugin manager is built.

    :return: an iterable of :class:`~framework.PluginInfo` of kind ``"injector"``.
    """


@hookspec
def register_backbones() -> Iterable[PluginInfo]:
    """Return the GNN backbones this plugin provides.

    A backbone's factory (:data:`framework.contracts.BackboneFactory`),
    ``factory(options, dim)``, builds a
    :class:`framework.Backbone` with
    ``forward(node_feats [B, N, D], edge_index [2, M], edge_feats [B, M, D]) -> node_states [B, N, D]``.

    Called once, while the plugin manager is built; never inside training.

    :return: an iterable of :class:`~framework.PluginInfo` of kind ``"backbone"``.
    """


@hookspec
def register_encoders() -> Iterable[PluginInfo]:
    """Return the input encoders this plugin provides.

    An encoder's factory (:data:`framework.contracts.EncoderFactory`),
    ``factory(options, input_shape, out_dim)``, builds a
    ``torch.nn.Module`` mapping a batch of task inputs to vectors ``[B, out_dim]``.

    Called once, while the plugin manager is built.

    :return: an iterable of :class:`~framework.PluginInfo` of kind ``"encoder"``.
    """


@hookspec
def register_tasks() -> Iterable[PluginInfo]:
    """Return the learning tasks this plugin provides.

    ``factory(options)`` builds a :class:`framework.contracts.Task`:
    ``load(cache_dir, seed) -> TaskData``, the train / select / eval splits.

    Called once, while the plugin manager is built.

    :return: an iterable of :class:`~framework.PluginInfo` of kind ``"task"``.
    """


@hookspec
def register_selectors() -> Iterable[PluginInfo]:
    """Return the selectors this plugin provides.

    ``factory(options)`` builds a :class:`framework.contracts.Selector`:
    ``score(scores) -> float`` ranks trained candidates (the engine keeps the
    top ``population.keep``); ``requires_splits`` names the splits it reads.

    Called once, while the plugin manager is built.

    :return: an iterable of :class:`~framework.PluginInfo` of kind ``"selector"``.
    """


@hookspec
def register_executors() -> Iterable[PluginInfo]:
    """Return the executors this plugin provides.

    ``factory(options)`` builds a :class:`framework.contracts.Executor`:
    ``run(jobs, train, on_result)`` runs ``train(job)`` for every job (one
    after another, population-batched, or fanned out to worker processes) and
    calls ``on_result(job, result)`` in job order as results arrive. ``train``
    is picklable (a run's ``NetworkTrainer``, or a study's run runner); for a
    job whose worker died on every attempt, the executor records
    ``train.lost(job, reason)``.

    Called once, while the plugin manager is built.

    :return: an iterable of :class:`~framework.PluginInfo` of kind ``"executor"``.
    """


@hookspec
def register_probes() -> Iterable[PluginInfo]:
    """Return the probes this plugin provides (``framework probe --method NAME``).

    A probe's factory, ``factory(options)``, builds a :class:`framework.contracts.Probe`:
    ``run(subject: ProbeSubject) -> ProbeReport`` (:mod:`framework.probing`), which
    parts of a saved network it relies on.

    Called once, while the plugin manager is built.

    :return: an iterable of :class:`~framework.PluginInfo` of kind ``"probe"``.
    """


# ---------------------------------------------------------------------------
# Events: called once per generation and once per run
# ---------------------------------------------------------------------------


@hookspec
def on_generation_end(event: GenerationEnd) -> None:
    """Announce that a generation finished and its artifacts are persisted.

    Reporters implement it (:class:`framework.contracts.Reporter`).

    Called once per generation, after selection, library learning and the
    checkpoint, and again for every recorded generation by ``framework report``;
    every registered implementation is called.

    :param event: a :class:`framework.GenerationEnd`: ``run_dir`` (a
        :class:`framework.run_dir.RunDir`, every path of the run directory),
        ``generation``, and ``state`` (the run state after that generation; the
        final state when ``framework report`` re-announces).
    """


@hookspec
def on_run_end(event: RunEnd) -> None:
    """Announce that a run finished.

    Reporters implement it (:class:`framework.contracts.Reporter`).

    Called once, after the last generation and the final summary are written,
    and again by ``framework report`` for a finished run; every registered
    implementation is called.

    :param event: a :class:`framework.RunEnd`: ``run_dir`` (a
        :class:`framework.run_dir.RunDir`), ``state`` and ``summary`` (what
        ``summary.json`` holds).
    """
