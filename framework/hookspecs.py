"""The plugin contract: every hook the framework calls, documented hook by hook.

Hooks are for two things only:

* **Registration** -- called once while the plugin manager is built. Each
  ``register_<kind>s`` hook returns the plugins of that kind a module offers,
  as :class:`framework.PluginInfo` records (a name, a factory and the attrs
  class of its options). The spec then picks plugins by name.
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

    A domain gives programs their meaning: its factory builds an object with
    ``evaluate(program) -> output | Rejection`` (step-bounded), ``key(output)``
    for deduplication and ``to_graph(output) -> PortGraph`` for the neural side,
    plus the default grammar of the domain.

    Called once, while the plugin manager is built.

    :return: an iterable of :class:`~framework.PluginInfo` of kind ``"domain"``.
    """


@hookspec
def register_synthesizers() -> Iterable[PluginInfo]:
    """Return the program synthesizers this plugin provides.

    A synthesizer's factory builds an object with
    ``propose(grammar, population, budget, rng) -> Iterator[list[Program]]``.

    Called once, while the plugin manager is built.

    :return: an iterable of :class:`~framework.PluginInfo` of kind ``"synthesizer"``.
    """


@hookspec
def register_library_learners() -> Iterable[PluginInfo]:
    """Return the library learners this plugin provides.

    A library learner's factory builds an object with
    ``compress(grammar, programs) -> (new grammar, rewritten programs)``;
    rewriting must never change a program's meaning.

    Called once, while the plugin manager is built.

    :return: an iterable of :class:`~framework.PluginInfo` of kind ``"library_learner"``.
    """


@hookspec
def register_injectors() -> Iterable[PluginInfo]:
    """Return the feature injectors this plugin provides.

    An injector's factory, ``factory(options, graph: GraphIndex, dim, max_conn)``,
    builds a :class:`framework.Injector` that maps an encoder output ``x[B, D]``
    to node features ``[B, N, D]`` and one feature row per directed message
    ``[B, M, D]``; its ``edge_index`` buffer says which messages the backbone runs.

    Called once, while the plugin manager is built.

    :return: an iterable of :class:`~framework.PluginInfo` of kind ``"injector"``.
    """


@hookspec
def register_backbones() -> Iterable[PluginInfo]:
    """Return the GNN backbones this plugin provides.

    A backbone's factory, ``factory(options, dim)``, builds a
    :class:`framework.Backbone` with
    ``forward(node_feats [B, N, D], edge_index [2, M], edge_feats [B, M, D]) -> node_states [B, N, D]``.

    Called once, while the plugin manager is built; never inside training.

    :return: an iterable of :class:`~framework.PluginInfo` of kind ``"backbone"``.
    """


@hookspec
def register_encoders() -> Iterable[PluginInfo]:
    """Return the input encoders this plugin provides.

    An encoder's factory, ``factory(options, input_shape, out_dim)``, builds a
    ``torch.nn.Module`` mapping a batch of task inputs to vectors ``[B, out_dim]``.

    Called once, while the plugin manager is built.

    :return: an iterable of :class:`~framework.PluginInfo` of kind ``"encoder"``.
    """


@hookspec
def register_tasks() -> Iterable[PluginInfo]:
    """Return the learning tasks this plugin provides.

    A task's factory builds an object that yields train / select / eval
    tensors, together with the loss and the metric to report.

    Called once, while the plugin manager is built.

    :return: an iterable of :class:`~framework.PluginInfo` of kind ``"task"``.
    """


@hookspec
def register_selectors() -> Iterable[PluginInfo]:
    """Return the selectors this plugin provides.

    A selector's factory builds an object that ranks trained candidates from
    their scores (the engine keeps the top ``population.keep``).

    Called once, while the plugin manager is built.

    :return: an iterable of :class:`~framework.PluginInfo` of kind ``"selector"``.
    """


@hookspec
def register_executors() -> Iterable[PluginInfo]:
    """Return the executors this plugin provides.

    An executor's factory builds an object that trains a list of candidates
    (one after another, population-batched, or fanned out to workers).

    Called once, while the plugin manager is built.

    :return: an iterable of :class:`~framework.PluginInfo` of kind ``"executor"``.
    """


# ---------------------------------------------------------------------------
# Events: called once per generation and once per run
# ---------------------------------------------------------------------------


@hookspec
def on_generation_end(event: GenerationEnd) -> None:
    """Announce that a generation finished and its artifacts are persisted.

    Called once per generation, after selection, library learning and the
    checkpoint; every registered implementation is called.

    :param event: the generation index, the run directory, the surviving
        candidates with their scores and the grammar version in force.
    """


@hookspec
def on_run_end(event: RunEnd) -> None:
    """Announce that a run finished.

    Called once, after the last generation and the final summary are written;
    every registered implementation is called.

    :param event: the run directory and the final summary.
    """
