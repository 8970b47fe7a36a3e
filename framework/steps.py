"""The engine's decisions, as functions on plain values.

:mod:`framework.engine` runs the loop (plugins, files, the console); every
choice it makes about the population is one of these functions, so each is
tested directly (``tests/framework/test_steps.py``):

* :func:`after_exploration`: an exploration's finds become new candidates,
  replaced members leave the population;
* :func:`average_repeats`: one candidate's repeated trainings become one score;
* :func:`rank` and :func:`select`: who survives;
* :func:`learn`: library learning and re-weighting turn the survivors into the
  next grammar (refusing a learner result that changes a program's meaning).
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any, Callable, Sequence

from attrs import evolve, frozen

from framework.contracts import LibraryResult
from framework.domain import Rejection
from framework.errors import FrameworkError, PluginFault
from framework.run_state import METRICS, Candidate, Exploration, Scores

if TYPE_CHECKING:
    from framework.dsl.grammar import Grammar
    from framework.explore import ExploreResult
    from framework.spec import LibraryChoice


# -- 1. explore ---------------------------------------------------------------


@frozen
class Explored:
    """The population after an exploration: who stays, who is new, who left."""

    survivors: tuple[Candidate, ...]
    pending: tuple[Candidate, ...]  # new candidates, to train
    discarded: tuple[Candidate, ...]  # everyone ever dropped, replaced members included
    exploration: Exploration


def after_exploration(result: ExploreResult, generation: int, survivors: Sequence[Candidate],
                      discarded: Sequence[Candidate], grammar: Grammar, domain: Any) -> Explored:
    """New candidates ``g<generation>-<i>`` from ``result``: the finds in order, then the
    replacements by member index.

    A smaller program with an equivalent output replaces its member; its network is new
    (ports and ids may differ), so it is trained as a candidate of this generation, with
    the member as its parent.
    """
    replaced = {r.index: r for r in result.replacements}
    fresh = [(found, found.parent) for found in result.found]
    fresh += [(r.new, survivors[i].id) for i, r in sorted(replaced.items())]
    pending = tuple(
        Candidate(
            id=f"g{generation}-{i:03d}",
            program=grammar.print(found.program),
            graph=found.graph,
            mass=found.mass,
            generation=generation,
            synthesizer=found.synthesizer,
            parent=parent,
        )
        for i, (found, parent) in enumerate(fresh)
    )
    stats = result.stats
    return Explored(
        survivors=tuple(c for i, c in enumerate(survivors) if i not in replaced),
        pending=pending,
        discarded=(*discarded, *(c for i, c in enumerate(survivors) if i in replaced)),
        exploration=Exploration(
            proposed=stats.proposed, evaluated=stats.evaluated, new=len(result.found),
            replaced=len(result.replacements), rejected=dict(sorted(stats.rejected.items())),
            duplicates=stats.duplicates, found_by=dict(sorted(stats.found_by.items())),
            stopped=dict(stats.stopped), faults=dict(stats.faults),
        ),
    )


def why_nothing(exploration: Exploration, want: int, domain: str | None = None) -> str:
    """Why an exploration that wanted ``want`` programs found none, in one line (``domain``: the
    domain plugin's name, for its faults)."""
    if want == 0:
        return "the population is full"
    reasons = [f"synthesizer {name!r} {reason}" for name, reason in exploration.stopped.items()]
    if exploration.proposed == 0:
        reasons.append("no synthesizer proposed a program")
    else:
        rejected = ", ".join(f"{count} {reason}" for reason, count in exploration.rejected.items())
        faulted = sum(exploration.faults.values())
        ways = [f"repeats ({exploration.proposed - exploration.evaluated})", f"duplicates ({exploration.duplicates})",
                f"rejected by the domain ({rejected or 0})"] + ([f"failed in the domain ({faulted})"] if faulted else [])
        reasons.append(f"all {exploration.proposed} proposals were {', '.join(ways[:-1])} or {ways[-1]}")
        reasons += [domain_fault(domain, fault, count) for fault, count in exploration.faults.items()]
    return "; ".join(reasons)


def domain_fault(domain: str | None, fault: str, count: int) -> str:
    """One line of the domain's faults: ``domain 'x': evaluate() raised ... (3 programs rejected)``."""
    return f"{plugin_named('domain', domain)}: {fault} ({count} program{'s' if count != 1 else ''} rejected)"


def plugin_named(kind: str, name: str | None) -> str:
    """A plugin as a message names it: ``domain 'graph'`` (``the domain`` when no name is known)."""
    return f"the {kind}" if name is None else f"{kind} {name!r}"


# -- 2. train -----------------------------------------------------------------


def scores_of(result: Any) -> Scores:
    """A training result's figures (``framework.TrainResult``) as :class:`Scores`."""
    return Scores(**{name: getattr(result, name) for name in METRICS}, failed=result.failed)


def failed_scores(reason: str) -> Scores:
    nan = float("nan")
    return Scores(nan, None, nan, nan, None, nan, nan, failed=reason)


def average_repeats(runs: Sequence[Scores]) -> Scores:
    """The mean of each metric over the repeats that did not fail; ``repeats`` counts those.
    When every repeat failed, the first failure stands (``repeats`` counting all)."""
    ok = [s for s in runs if not s.failed]
    if not ok:
        return evolve(runs[0], repeats=len(runs))

    def mean(name: str) -> float | None:
        values = [getattr(s, name) for s in ok]
        return None if values[0] is None else math.fsum(values) / len(values)

    return Scores(**{name: mean(name) for name in METRICS}, repeats=len(ok),
                  eval_accuracies=tuple(s.eval_accuracy for s in ok))


# -- 3. select ----------------------------------------------------------------


def rank(candidates: Sequence[Candidate], score: Callable[[Scores], float]) -> tuple[Candidate, ...]:
    """Every candidate with its ``selection`` score, best first.

    Higher score first; ties go to the smaller mass, then the smaller (older) id.
    A failed or untrained candidate has no score (None) and ranks after all scored ones.

    :raises PluginFault: (kind ``"selector"``) ``score`` raised, or returned
        something other than a finite number.
    """
    def selection(candidate: Candidate) -> float | None:
        if candidate.scores is None or candidate.scores.failed:
            return None
        try:
            value = score(candidate.scores)
        except Exception as exc:  # noqa: BLE001 - the selector's failure, named
            raise PluginFault("selector", f"score() raised {type(exc).__name__}: {exc} "
                                          f"(scoring {candidate.id})") from exc
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise PluginFault("selector", f"score() returned {value!r} for {candidate.id}; "
                                          "it must be a finite number")
        return float(value)

    scored = [evolve(c, selection=selection(c)) for c in candidates]
    return tuple(sorted(scored, key=lambda c: (c.selection is None, -(c.selection or 0.0), c.mass, c.id)))


def select(candidates: Sequence[Candidate], score: Callable[[Scores], float],
           keep: int) -> tuple[tuple[Candidate, ...], tuple[Candidate, ...]]:
    """``(survivors, discarded)``: the ``keep`` best of :func:`rank` and the rest, in rank order.

    Only a scored candidate survives: a failed one (or an untrained one) is discarded even
    when fewer than ``keep`` candidates have a score, so library learning never learns from it.
    """
    ranked = rank(candidates, score)
    kept = sum(1 for c in ranked[:keep] if c.selection is not None)
    return ranked[:kept], ranked[kept:]


# -- 4. learn -----------------------------------------------------------------


@frozen
class Learned:
    """The next grammar and the survivors rewritten in it."""

    grammar: Grammar
    survivors: tuple[Candidate, ...]
    inventions: tuple[str, ...] = ()
    compression_ratio: float | None = None
    library_error: str | None = None  # why the learner's result was ignored, naming the plugin at fault


def learn(grammar: Grammar, survivors: Sequence[Candidate], learner: Any, library: LibraryChoice,
          domain: Any, domain_name: str | None = None) -> Learned:
    """Compress the survivors with ``learner`` (None: library learning off), then re-weight
    the grammar from their programs (``library.reweight``).

    A learner's failure, or a result under which some survivor no longer builds its
    graph, is ignored: the grammar keeps its productions, and ``library_error`` says why,
    naming the plugin at fault (``library_learner 'stitch': ...``, from ``library.plugin``,
    or ``domain 'graph': ...``, from ``domain_name``) as the engine prints it.
    """
    programs = [grammar.parse(c.program) for c in survivors]
    learned = Learned(grammar, tuple(survivors))
    if learner is not None:
        try:
            result = _compressed(learner, grammar, programs)
            check_meaning(domain, result.grammar, result.programs, survivors)
        except PluginFault as fault:
            name = library.plugin if fault.kind == library.kind else domain_name
            learned = evolve(learned, library_error=f"{plugin_named(fault.kind, name)}: {fault}; the grammar "
                                                    "keeps its productions (no inventions this generation)")
        else:
            grammar, programs = result.grammar, list(result.programs)
            learned = evolve(learned, inventions=tuple(p.name for p in result.inventions),
                             compression_ratio=result.ratio)
    if library.reweight:
        from framework.dsl.pcfg import reweight

        grammar = reweight(grammar, programs, smoothing=library.smoothing, max_diff=library.max_diff or None)
    survivors = tuple(evolve(c, program=grammar.print(p)) for c, p in zip(survivors, programs))
    return evolve(learned, grammar=grammar, survivors=survivors)


def _compressed(learner: Any, grammar: Grammar, programs: Sequence[Any]) -> LibraryResult:
    """The learner's result, one rewritten program per survivor; :class:`PluginFault` otherwise."""
    try:
        result = learner.compress(grammar, programs)
    except FrameworkError as exc:  # the learner's own refusal (a program too deep): its message says why
        raise PluginFault("library_learner", str(exc)) from exc
    except Exception as exc:  # noqa: BLE001 - the learner's failure, contained to this generation's learning
        raise PluginFault("library_learner", f"compress() raised {type(exc).__name__}: {exc}") from exc
    if not isinstance(result, LibraryResult):
        raise PluginFault("library_learner", f"compress() returned a {type(result).__name__} where a "
                                             "framework.LibraryResult is expected")
    if len(result.programs) != len(programs):
        raise PluginFault("library_learner", f"compress() returned {len(result.programs)} programs for "
                                             f"{len(programs)}")
    return result


def check_meaning(domain: Any, grammar: Grammar, programs: Sequence[Any], survivors: Sequence[Candidate]) -> None:
    """Library learning must not change what a program builds; refuse a result that does
    (:class:`PluginFault` of the learner), or one the domain fails to check (of the domain)."""
    for candidate, program in zip(survivors, programs, strict=True):
        method = "evaluate"  # the domain method running, should it raise
        try:
            output = domain.evaluate(program, grammar)
            method = "to_graph"
            changed = isinstance(output, Rejection) or domain.to_graph(output) != candidate.graph
        except Exception as exc:  # noqa: BLE001 - the domain's failure: the result cannot be checked
            raise PluginFault("domain", f"{method}() raised {type(exc).__name__}: {exc} on {candidate.id}'s "
                                        "rewritten program, so the library learner's result could not be checked "
                                        "and was ignored") from exc
        if changed:
            raise PluginFault("library_learner", f"its result changes the meaning of {candidate.id} "
                                                 f"({candidate.program}), so it was ignored")
