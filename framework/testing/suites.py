"""Contract suites of the plugin kinds that need no torch: domain, synthesizer, library learner,
task, selector, executor.

Each ``check_<kind>(factory, options, ...)`` builds the plugin the way the
engine does (``factory(options, ...)``) and checks its protocol
(:mod:`framework.contracts`) with Hypothesis; a broken plugin fails with a
:class:`ContractError` that says what to fix. Call one from a test::

    from framework.testing import check_synthesizer

    def test_my_synthesizer_keeps_its_contract():
        check_synthesizer(MySynthesizer, MyOptions(), Grammar.load_builtin("graph"))
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any, Callable, Sequence

from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from framework.contracts import LibraryResult, Population, Proposal, Resumable, Scored, UsesDomain
from framework.domain import Rejection
from framework.dsl.errors import ProgramError
from framework.dsl.grammar import Grammar
from framework.dsl.program import Program
from framework.graph import PortGraph


class ContractError(AssertionError):
    """A plugin broke its kind's contract; the message says what and how to fix it."""


def fail_unless(condition: bool, kind: str, problem: str, fix: str) -> None:
    """Raise :class:`ContractError` (``"<kind> contract: <problem>; <fix>"``) unless ``condition``."""
    if not condition:
        raise ContractError(f"{kind} contract: {problem}; {fix}")


def examples(count: int) -> settings:
    """Hypothesis settings of a suite: ``count`` examples, no deadline (plugins may be slow), and no
    shrinking: the first failure is reported at once, its message says what to fix."""
    return settings(max_examples=count, deadline=None, database=None, report_multiple_bugs=False,
                    phases=(Phase.explicit, Phase.generate),
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


def check_domain(factory: Callable[..., Any], options: Any, max_size: int = 12, count: int = 30,
                 known: Sequence[str] = ()) -> None:
    """A domain: ``evaluate`` is deterministic and never raises (a program without meaning is a
    :class:`~framework.Rejection`), ``key``/``equivalent`` agree, ``to_graph`` gives a valid PortGraph.

    Programs come from :func:`framework.testing.programs` over the domain's own grammar, after
    the ``known`` program texts: give some the domain does not reject, since random programs
    of a strict domain may all be rejected.
    """
    from framework.testing import port_graph_violations, programs

    domain = factory(options)
    grammar = domain.grammar
    fail_unless(isinstance(grammar, Grammar), "domain", f"grammar is {type(grammar).__name__}",
                "set self.grammar to a framework.Grammar (Grammar.load_builtin(...) or Grammar.from_text(...))")

    def called(method: str, program: Program, *args: Any) -> Any:
        try:
            return getattr(domain, method)(*args)
        except Exception as exc:  # noqa: BLE001 - reported as the contract it breaks
            raise ContractError(f"domain contract: {method} raised {type(exc).__name__} ({exc}) on "
                                f"{grammar.print(program)!r}; return framework.Rejection(reason) for a program "
                                "without meaning, never raise (a run rejects the program and counts the fault)") from None

    @examples(count)
    @given(programs(grammar, max_size=max_size))
    def holds(program: Program) -> None:
        output = called("evaluate", program, program, grammar)
        if isinstance(output, Rejection):
            return
        again = domain.evaluate(program, grammar)
        fail_unless(not isinstance(again, Rejection) and domain.equivalent(output, again), "domain",
                    f"evaluating {grammar.print(program)!r} twice gave different outputs",
                    "evaluate must be deterministic (seed any randomness from the program)")
        key = domain.key(output)
        hash(key)
        fail_unless(key == domain.key(again), "domain", "equivalent outputs have different keys",
                    "key(output) must be an invariant of equivalence")
        graph = called("to_graph", program, output)
        fail_unless(isinstance(graph, PortGraph), "domain", f"to_graph returned {type(graph).__name__}",
                    "return a framework.PortGraph (docs/authoring.md shows a builder)")
        problems = port_graph_violations(graph)
        fail_unless(not problems, "domain", f"to_graph of {grammar.print(program)!r} is invalid: "
                    f"{'; '.join(problems)}", "store every edge under both endpoints, ports in 0..max_conn-1")

    for text in reversed(known):  # decorators apply inside out: the first known program runs first
        holds = example(grammar.parse(text))(holds)
    holds()


def check_synthesizer(factory: Callable[..., Any], options: Any, grammar: Grammar, budget: int = 16,
                      population: Sequence[Program | Scored] = (), count: int = 10, domain: Any = None) -> None:
    """A synthesizer: batches are lists of well-typed programs of ``grammar`` (or
    :class:`~framework.Proposal` values naming a member of the population as parent), at most ``budget``
    in all, the same under the same seed; a :class:`Resumable` one continues identically after
    ``state()``/``restore()``. A :class:`~framework.contracts.UsesDomain` synthesizer is attached to
    ``domain`` first.

    ``population`` is the members, best first, handed to ``propose`` as the
    engine hands them: a :class:`~framework.Population` passes through as it
    is; otherwise each :class:`~framework.contracts.Scored` keeps its id and
    score (``None`` included: an unscored member) and a bare program becomes
    ``Scored(program, "m<i>", -i)`` (``i`` its position). A ``Proposal``'s
    ``parent`` must be ``None`` or the id of one of these members.
    """
    members = population if isinstance(population, Population) else Population(
        [item if isinstance(item, Scored) else Scored(item, f"m{i}", float(-i)) for i, item in enumerate(population)])
    ids = {member.id for member in members.scored if member.id is not None}

    def build() -> Any:
        synthesizer = factory(options)
        if isinstance(synthesizer, UsesDomain):
            fail_unless(domain is not None, "synthesizer", "it needs a domain (UsesDomain)",
                        "pass domain= to check_synthesizer")
            synthesizer.attach(domain)
        return synthesizer

    def parent_of(item: Any) -> Any:
        """The program of a proposed item, its parent checked against the members' ids."""
        if not isinstance(item, Proposal):
            return item
        fail_unless(item.parent is None or item.parent in ids, "synthesizer",
                    f"a Proposal names parent {item.parent!r}, which is not a member id of the population "
                    f"(ids: {', '.join(sorted(ids)) or 'none'})",
                    "set parent to the id of the member it was made from (population.scored[i].id), "
                    "or to None for a program made from no member")
        return item.program

    def proposals(synthesizer: Any, seed: int, limit: int = budget) -> list[Program]:
        stream = synthesizer.propose(grammar, members, limit, random.Random(seed))
        fail_unless(hasattr(stream, "__iter__"), "synthesizer", f"propose returned {type(stream).__name__}",
                    "propose must yield batches (write it as a generator: `yield [program, ...]`)")
        out: list[Program] = []
        for batches, batch in enumerate(stream):
            fail_unless(isinstance(batch, list), "synthesizer",
                        f"a batch is {type(batch).__name__} {batch!r:.60}",
                        "yield lists of framework.Program (a single program goes in a list: [program])")
            batch = [parent_of(item) for item in batch]
            for program in batch:
                fail_unless(isinstance(program, Program), "synthesizer",
                            f"a proposal is {type(program).__name__} {program!r:.60}",
                            "yield framework.Program values (grammar.parse(text) turns text into one)")
                try:
                    grammar.check(program)
                except (ProgramError, KeyError) as exc:
                    raise ContractError(f"synthesizer contract: proposal {program!r:.80} is not in the grammar: "
                                        f"{exc}; build programs from grammar.by_nonterminal(type) productions, "
                                        "with one child per argument of the right type") from None
            out.extend(batch)
            if len(out) >= limit or batches > 10 * limit:
                break
        fail_unless(len(out) <= limit, "synthesizer", f"{len(out)} programs proposed for a budget of {limit}",
                    "stop once budget programs are proposed")
        return out

    @examples(count)
    @given(st.integers(0, 2**31 - 1))
    def holds(seed: int) -> None:
        first = proposals(build(), seed)
        fail_unless(first == proposals(build(), seed), "synthesizer",
                    "two synthesizers proposed different programs under the same seed",
                    "draw every random choice from the rng argument")
        resumable = build()
        if isinstance(resumable, Resumable):
            proposals(resumable, seed, budget // 2)
            saved = json.loads(json.dumps(resumable.state()))
            fresh = build()
            fresh.restore(saved)
            fail_unless(proposals(fresh, seed + 1) == proposals(resumable, seed + 1), "synthesizer",
                        "after restore(state()) the synthesizer proposes differently",
                        "state() must capture everything propose() depends on")

    holds()


def check_library_learner(factory: Callable[..., Any], options: Any, grammar: Grammar,
                          programs: Sequence[Program], domain: Any = None) -> None:
    """A library learner: a :class:`LibraryResult` whose programs are the inputs, rewritten, in order,
    with the same meaning (checked through ``domain.evaluate`` when a domain is given, else by
    expanding every invention).
    """
    result = factory(options).compress(grammar, list(programs))
    fail_unless(isinstance(result, LibraryResult), "library_learner", f"compress returned {type(result).__name__}",
                "return framework.LibraryResult(grammar, programs, inventions, ratio)")
    fail_unless(len(result.programs) == len(programs), "library_learner",
                f"{len(programs)} programs in, {len(result.programs)} out",
                "rewrite every input program, in the same order")
    fail_unless(math.isfinite(result.ratio) and result.ratio > 0, "library_learner",
                f"ratio {result.ratio!r}", "report a finite, positive compression ratio")
    for invention in result.inventions:
        fail_unless(result.grammar.is_invention(invention.name), "library_learner",
                    f"invention {invention.name!r} is not in the returned grammar",
                    "return grammar.with_inventions(inventions)")
    for before, after in zip(programs, result.programs):
        result.grammar.check(after)
        if domain is not None:
            old, new = domain.evaluate(before, grammar), domain.evaluate(after, result.grammar)
            same = isinstance(old, Rejection) == isinstance(new, Rejection) and (
                isinstance(old, Rejection) or domain.equivalent(old, new))
        else:
            same = result.grammar.expand(after) == grammar.expand(before)
        fail_unless(same, "library_learner", f"rewriting {grammar.print(before)!r} changed its meaning",
                    "a rewritten program must mean what its input meant")


def check_task(factory: Callable[..., Any], options: Any, cache_dir: Path, seed: int = 0) -> None:
    """A task: ``load`` gives a TaskData with matching shapes, 0/1 float targets, the same under a seed."""
    import torch

    from framework.task import TaskData

    data = factory(options).load(Path(cache_dir), seed)
    fail_unless(isinstance(data, TaskData), "task", f"load returned {type(data).__name__}",
                "return framework.TaskData(train, select, eval, input_shape)")
    for name in ("train", "select", "eval"):
        split = getattr(data, name)
        fail_unless(tuple(split.x.shape[1:]) == tuple(data.input_shape), "task",
                    f"{name}.x has shape {tuple(split.x.shape)}, input_shape is {data.input_shape}",
                    "x must be [n, *input_shape]")
        fail_unless(split.y.shape == (split.x.shape[0],), "task", f"{name}.y has shape {tuple(split.y.shape)}",
                    "y must hold one target per sample")
        fail_unless(bool(((split.y == 0) | (split.y == 1)).all()), "task", f"{name}.y is not 0/1",
                    "targets are binary floats")
        fail_unless(bool(torch.isfinite(split.x).all()), "task", f"{name}.x is not finite", "check the inputs")
    again = factory(options).load(Path(cache_dir), seed)
    fail_unless(all(torch.equal(getattr(data, s).x, getattr(again, s).x) for s in ("train", "select", "eval")),
                "task", "two loads under the same seed differ", "derive every random draw from seed")


def scores() -> st.SearchStrategy[Any]:
    """:class:`framework.Scores` with accuracies and F1 in [0, 1] and a finite loss."""
    from framework.run_state import Scores

    unit = st.floats(0, 1)
    return st.builds(Scores, train_accuracy=unit, select_accuracy=st.none() | unit, eval_accuracy=unit,
                     train_f1=unit, select_f1=st.none() | unit, eval_f1=unit,
                     final_loss=st.floats(0, 100), repeats=st.integers(1, 5))


def check_selector(factory: Callable[..., Any], options: Any, count: int = 50) -> None:
    """A selector: ``requires_splits`` is a tuple of split names; ``score`` is a finite float, deterministic."""
    selector = factory(options)
    splits = getattr(selector, "requires_splits", None)
    fail_unless(isinstance(splits, tuple) and set(splits) <= {"train", "select", "eval"}, "selector",
                f"requires_splits is {splits!r}", 'declare requires_splits = ("select",) or () as a class attribute')

    @examples(count)
    @given(scores())
    def holds(value: Any) -> None:
        if "select" in splits and value.select_accuracy is None:
            return
        score = selector.score(value)
        fail_unless(isinstance(score, (int, float)) and math.isfinite(score), "selector",
                    f"score returned {score!r} for {value}", "return a finite float (higher is better)")
        fail_unless(score == selector.score(value), "selector", "score is not deterministic",
                    "score must depend only on the scores")

    holds()


class EchoTrainer:
    """A picklable stand-in for the engine's trainer: ``train(job)`` is ``"scores of <job>"``."""

    def __call__(self, job: Any) -> str:
        return f"scores of {job}"

    def lost(self, job: Any, reason: str) -> str:
        return f"lost {job}: {reason}"


def check_executor(factory: Callable[..., Any], options: Any, jobs: int = 5) -> None:
    """An executor: ``run`` trains every job once (``train`` is picklable, as the engine's is) and
    reports each result, in job order."""
    heard: list[tuple[Any, Any]] = []
    factory(options).run(list(range(jobs)), EchoTrainer(), lambda job, s: heard.append((job, s)))
    fail_unless(heard == [(j, f"scores of {j}") for j in range(jobs)], "executor",
                f"on_result heard {heard!r}", "call on_result(job, train(job)) once per job, in job order")
