"""Exploration with the real graph domain: dedupe, replacement by smaller mass, budget, counts."""

from __future__ import annotations

import random

import pytest
from attrs import evolve, frozen

from framework import Grammar, Program, Rejection, mass
from framework.dsl.pcfg import reweight
from framework.explore import explore
from framework_plugins.graph_domain import GraphDomain, GraphDomainOptions
from framework_plugins.synthesizers import (
    EnumerativeOptions,
    EnumerativeSynthesizer,
    StochasticOptions,
    StochasticSynthesizer,
)

GRAPH = Grammar.load_builtin("graph")
DOMAIN = GraphDomain(GraphDomainOptions(equivalence="ported"))
#: Weights learned from one seed-like program: enumeration reaches new graphs
#: within a few thousand programs (under uniform weights it needs millions).
SEEDED = reweight(GRAPH, [GRAPH.parse("(push (add (connect (next_port (push (add (connect identity)))))))")],
                  smoothing=0.3)


@frozen
class Member:
    program: Program
    output: object


class FixedList:
    """A synthesizer that proposes a given list of programs, in one batch per program."""

    def __init__(self, texts: list[str]) -> None:
        self.programs = [GRAPH.parse(t) for t in texts]

    def propose(self, grammar, population, budget, rng):
        for program in self.programs[:budget]:
            yield [program]


def member(text: str) -> Member:
    program = GRAPH.parse(text)
    output = DOMAIN.evaluate(program, GRAPH)
    assert not isinstance(output, Rejection), output
    return Member(program, output)


def check_counts(result) -> None:
    s = result.stats
    assert s.proposed == s.repeats + s.evaluated
    assert s.evaluated == sum(s.rejected.values()) + s.duplicates + s.found
    assert s.found == len(result.found) and s.replaced == len(result.replacements)
    assert sum(s.proposed_by.values()) == s.proposed
    assert sum(s.found_by.values()) == s.found


def test_finds_distinct_outputs_new_to_the_population():
    population = [member("(push (add (connect identity)))")]
    result = explore(DOMAIN, SEEDED, [("enumerative", EnumerativeSynthesizer())], population,
                     want=8, rng=random.Random(0), budget=50_000)
    assert len(result.found) == 8
    outputs = [population[0].output] + [f.output for f in result.found]
    for i, a in enumerate(outputs):
        for b in outputs[i + 1:]:
            assert not DOMAIN.equivalent(a, b)
    for find in result.found:
        assert DOMAIN.evaluate(find.program, SEEDED) == find.output
        assert find.key == DOMAIN.key(find.output)
        assert find.mass == mass(find.program, SEEDED)
        assert find.synthesizer == "enumerative"
    assert result.stats.rejected  # most small graph programs build no connected graph
    check_counts(result)


def test_a_smaller_equivalent_program_replaces_a_member_only_when_asked():
    big = member("(next_port (prev_port (push (add (connect identity)))))")
    synthesizer = FixedList(["(push (add (connect identity)))", "(push (add (connect (move identity))))"])
    result = explore(DOMAIN, GRAPH, [("list", synthesizer)], [big], want=5, rng=random.Random(0), budget=10)
    assert result.found == ()
    (replacement,) = result.replacements
    assert replacement.index == 0 and replacement.old == big.program
    assert GRAPH.print(replacement.new.program) == "(push (add (connect identity)))"
    assert replacement.new.mass == 4
    check_counts(result)
    kept = explore(DOMAIN, GRAPH, [("list", synthesizer)], [big], want=5, rng=random.Random(0),
                   budget=10, replace_smaller=False)
    assert kept.replacements == () and kept.stats.duplicates == 2


def test_an_equivalent_program_of_equal_mass_replaces_nothing():
    big = member("(next_port (prev_port (push (add (connect identity)))))")  # mass 6
    same_mass = ["(prev_port (next_port (push (add (connect identity)))))",
                 "(push (add (next_port (prev_port (connect identity)))))"]
    assert all(mass(GRAPH.parse(t), GRAPH) == 6 for t in same_mass)
    result = explore(DOMAIN, GRAPH, [("list", FixedList(same_mass))], [big], want=5, rng=random.Random(0),
                     budget=10)
    assert result.found == () and result.replacements == ()
    assert result.stats.duplicates == 2
    check_counts(result)
    # ... and among new programs: the first find of mass 6 stays
    found = explore(DOMAIN, GRAPH, [("list", FixedList([big_text := GRAPH.print(big.program), *same_mass]))], [],
                    want=5, rng=random.Random(0), budget=10)
    assert [GRAPH.print(f.program) for f in found.found] == [big_text]


def test_a_smaller_equivalent_program_replaces_an_earlier_find():
    synthesizer = FixedList(["(push (add (connect (move identity))))", "(push (add (connect identity)))"])
    result = explore(DOMAIN, GRAPH, [("list", synthesizer)], [], want=5, rng=random.Random(0), budget=10)
    assert [GRAPH.print(f.program) for f in result.found] == ["(push (add (connect identity)))"]
    assert result.replacements == ()
    check_counts(result)


def test_repeated_programs_are_not_evaluated_twice():
    text = "(push (add (connect identity)))"
    result = explore(DOMAIN, GRAPH, [("list", FixedList([text, text, "identity"]))], [member(text)],
                     want=5, rng=random.Random(0), budget=10)
    assert result.stats.repeats == 2 and result.stats.evaluated == 1
    assert result.stats.rejected == {"single node": 1}
    check_counts(result)


def test_budget_round_robin_progress_and_determinism():
    def run(seed: int):
        seen = []
        synthesizers = [
            ("enumerative", EnumerativeSynthesizer(EnumerativeOptions(batch_size=50))),
            ("stochastic", StochasticSynthesizer(StochasticOptions(batch_size=50))),
        ]
        population = [member("(push (add (connect identity)))")]
        result = explore(DOMAIN, SEEDED, synthesizers, population, want=1000, rng=random.Random(seed),
                         budget=420, progress=seen.append)
        return result, seen

    result, seen = run(3)
    assert result.stats.proposed == 420
    assert result.stats.proposed_by == {"enumerative": 220, "stochastic": 200}  # batches alternate
    assert [s.proposed for s in seen] == [50 * i for i in range(1, 9)] + [420]
    assert result.stats.found_by.get("stochastic", 0) > 0
    check_counts(result)
    again, _ = run(3)
    assert [f.program for f in again.found] == [f.program for f in result.found]
    assert result.stats.programs_per_second > 0


def test_rejects_negative_wants():
    with pytest.raises(ValueError):
        explore(DOMAIN, GRAPH, [], [], want=-1, rng=random.Random(0), budget=1)


def test_excluded_outputs_are_duplicates_and_never_replaced():
    domain = GraphDomain(GraphDomainOptions(equivalence="ported"))
    grammar = domain.grammar
    small = grammar.parse("(push (add (connect identity)))")
    big = grammar.parse("(push (add (next_port (prev_port (connect identity)))))")
    assert domain.equivalent(domain.evaluate(small, grammar), domain.evaluate(big, grammar))

    class Fixed:
        def propose(self, grammar, population, budget, rng):
            yield [small]

    result = explore(domain, grammar, [("fixed", Fixed())], [], want=5, rng=random.Random(0), budget=10,
                     exclude=[domain.evaluate(big, grammar)])
    assert result.found == () and result.replacements == ()
    assert result.stats.duplicates == 1


class StrictKey(GraphDomain):
    """A domain whose key and equivalent are specified for outputs only: a Rejection is refused."""

    def key(self, output):
        if isinstance(output, Rejection):
            raise TypeError(f"key() of {output!r}")
        return super().key(output)

    def equivalent(self, a, b):
        if isinstance(a, Rejection) or isinstance(b, Rejection):
            raise TypeError(f"equivalent() of {a!r}, {b!r}")
        return super().equivalent(a, b)


def test_rejected_members_and_excluded_outputs_are_never_keyed_and_match_nothing():
    # the engine evaluates survivors and discarded candidates again each generation: under a
    # domain that now rejects them, those are Rejections, which are no outputs to key or compare
    domain = StrictKey(GraphDomainOptions(equivalence="ported"))
    rejected = Member(GRAPH.parse("(push identity)"), Rejection("single node"))
    texts = ["(push (add (connect identity)))", "(push (add (connect (move identity))))", "identity"]

    def run(population, exclude):
        return explore(domain, GRAPH, [("list", FixedList(texts))], population, want=5, rng=random.Random(0),
                       budget=10, exclude=exclude)

    with_rejections = run([member("(push (add (connect identity)))"), rejected], [Rejection("not connected")])
    plain = run([member("(push (add (connect identity)))")], [])
    assert with_rejections.stats.faults == {}
    assert with_rejections.found == plain.found and with_rejections.replacements == plain.replacements
    assert evolve(with_rejections.stats, seconds=0) == evolve(plain.stats, seconds=0)
