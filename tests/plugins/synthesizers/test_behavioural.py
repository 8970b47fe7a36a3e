"""The ``behavioural`` synthesizer: new outputs only, budgets, determinism, resumption; the graph small steps."""

from __future__ import annotations

import itertools
import json
import random
from collections import defaultdict

import pytest
from hypothesis import given, settings

from framework import Grammar, Program, Rejection, UsageError, size
from framework.dsl.heap_search import HeapSearch
from framework.dsl.pcfg import compile_table
from framework.explore import explore
from framework.plugins import build_registry
from framework.dsl.sexp import read_program
from framework.testing import programs
from framework_plugins.graph_domain import GraphDomain, GraphDomainOptions
from framework_plugins.synthesizers import BehaviouralOptions, BehaviouralSynthesizer
from framework_plugins.synthesizers.behavioural import _Shape

GRAPH = Grammar.load_builtin("graph")
SIMPLE = GraphDomain(GraphDomainOptions(equivalence="simple"))


NOT_CPS = """
e: "z"              -> z
 | "(" "p" e b ")"  -> p
b: "t"              -> t
%import common.WS
%ignore WS
"""


def run(synthesizer, budget, population=(), domain=SIMPLE, grammar=GRAPH) -> list[Program]:
    synthesizer.attach(domain)
    return [p for batch in synthesizer.propose(grammar, list(population), budget, random.Random(0)) for p in batch]


def test_registered_with_its_options(monkeypatch):
    monkeypatch.setenv("FRAMEWORK_LOAD_PLUGINS", "synthesizers")
    info = build_registry().get("synthesizer", "behavioural").info
    assert info.options is BehaviouralOptions
    assert isinstance(info.factory(info.options()), BehaviouralSynthesizer)


def test_every_proposal_is_grammatical_within_the_cap_and_builds_a_new_output():
    population = [GRAPH.parse("(push (add (connect identity)))")]
    synthesizer = BehaviouralSynthesizer(BehaviouralOptions(max_size=14))
    proposed = run(synthesizer, 20_000, population)
    assert len(proposed) >= 5
    assert proposed[0] != population[0] and repr(proposed[0]).startswith("(push (add (connect")  # grown from the member
    outputs = [SIMPLE.evaluate(p, GRAPH) for p in population]
    for program in proposed:
        GRAPH.check(program)
        assert size(program) <= 14
        output = SIMPLE.evaluate(program, GRAPH)
        assert not isinstance(output, Rejection)
        assert not any(SIMPLE.equivalent(output, o) for o in outputs), program
        outputs.append(output)


def test_the_budget_bounds_every_evaluation():
    synthesizer = BehaviouralSynthesizer()
    run(synthesizer, 1234)
    assert synthesizer.evaluations == 1234
    result = explore(SIMPLE, GRAPH, [("behavioural", BehaviouralSynthesizer())], [], want=10**6,
                     rng=random.Random(0), budget=3000)
    assert result.stats.found == result.stats.proposed > 0


def test_deterministic():
    assert run(BehaviouralSynthesizer(), 5000) == run(BehaviouralSynthesizer(), 5000)


def test_a_restored_synthesizer_goes_on_as_an_uninterrupted_one():
    straight = BehaviouralSynthesizer()
    run(straight, 4000)
    second = run(straight, 4000)
    first = BehaviouralSynthesizer()
    run(first, 4000)
    restored = BehaviouralSynthesizer()
    restored.restore(json.loads(json.dumps(first.state())))
    assert run(restored, 4000) == second
    assert second and not set(second) & set(run(BehaviouralSynthesizer(), 4000))  # it went on, not over


def test_a_new_grammar_starts_afresh():
    synthesizer = BehaviouralSynthesizer()
    first = run(synthesizer, 3000)
    reweighted = GRAPH.with_logprobs({n: -0.1 * (i + 1) for i, n in enumerate(GRAPH.productions)})
    assert run(synthesizer, 3000, grammar=reweighted) == first  # order is by size: weights do not matter


def test_the_domain_step_budget_is_respected():
    tight = GraphDomain(GraphDomainOptions(step_budget=6))
    proposed = run(BehaviouralSynthesizer(), 5000, domain=tight)
    assert proposed
    assert all(not isinstance(tight.evaluate(p, GRAPH), Rejection) for p in proposed)


def test_a_domain_without_small_steps_or_a_grammar_that_is_not_continuation_passing_is_refused():
    class Opaque:
        pass

    with pytest.raises(UsageError, match="needs a domain with continuations"):
        BehaviouralSynthesizer().attach(Opaque())
    with pytest.raises(UsageError, match="continuation-passing grammar"):
        run(BehaviouralSynthesizer(), 10, grammar=Grammar.from_text(NOT_CPS))
    with pytest.raises(UsageError, match="through framework.explore"):
        next(BehaviouralSynthesizer().propose(GRAPH, [], 10, random.Random(0)))


def test_inventions_are_steps_only_when_their_last_hole_is_the_continuation():
    grammar = GRAPH.with_inventions([
        GRAPH.make_invention("inv_0", read_program("(push (add (connect #0)))")),
        GRAPH.make_invention("inv_1", read_program("(func #0 identity)")),
    ])
    shape = _Shape(grammar, BehaviouralOptions(), SIMPLE.continuations(grammar))
    names = {p.name for p in shape.steps}
    assert "inv_0" in names and "inv_1" not in names
    proposed = run(BehaviouralSynthesizer(), 2000, grammar=grammar)
    assert proposed[0] == grammar.parse("(inv_0 identity)")  # the smallest program building an edge


# ---- the graph domain's small steps --------------------------------------------------------


def fold(domain, program, grammar=GRAPH):
    semantics = domain.continuations(grammar)
    chain = _Shape(grammar, BehaviouralOptions(), domain.continuations(grammar)).decompose(program)
    state = semantics.initial()
    for name, arguments in chain[0]:
        state = semantics.step(state, name, arguments)
        if isinstance(state, Rejection):
            return state
    return semantics.close(state, chain[1])


@settings(max_examples=200, deadline=None)
@given(programs(GRAPH, max_size=25))
def test_small_steps_agree_with_the_interpreter(program):
    assert fold(SIMPLE, program) == SIMPLE.evaluate(program, GRAPH)


def test_prefixes_with_equal_keys_give_equal_outputs_under_every_continuation():
    semantics = SIMPLE.continuations(GRAPH)
    shape = _Shape(GRAPH, BehaviouralOptions(), semantics)
    groups = defaultdict(list)
    for _, program in HeapSearch(compile_table(GRAPH), 6):
        steps, _ = shape.decompose(program)
        state = semantics.initial()
        for name, arguments in steps:
            state = semantics.step(state, name, arguments)
        groups[semantics.key(state)].append(steps)
    merged = [g for g in groups.values() if len(g) > 1]
    assert len(merged) > 50  # the key does merge prefixes
    continuations = [p for _, p in itertools.islice(HeapSearch(compile_table(GRAPH), 5), 400)]
    for group in merged[:300]:
        for k in continuations[::7]:
            outputs = {repr(SIMPLE.evaluate(_with(steps, k), GRAPH)) for steps in group[:3]}
            assert len(outputs) == 1, (group[:3], k)


def _with(steps, continuation: Program) -> Program:
    program = continuation
    for name, arguments in reversed(steps):
        program = Program(name, (*arguments, program))
    return program


def test_only_what_exploration_took_counts_as_proposed():
    synthesizer = BehaviouralSynthesizer()
    result = explore(SIMPLE, GRAPH, [("behavioural", synthesizer)], [], want=3, rng=random.Random(0), budget=50_000)
    taken = [GRAPH.print(f.program) for f in result.found]
    assert len(taken) == 3
    assert set(synthesizer.state()["proposed"]) <= set(taken)
    assert synthesizer.evaluations < 50_000  # it stopped with exploration
