"""The ``stochastic`` synthesizer: grammatical mutants and crossovers, determinism, rates."""

from __future__ import annotations

import functools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from framework import Grammar, Population, Program, ProgramError, Scored, size
from framework.testing import programs
from framework_plugins.synthesizers import (
    StochasticOptions,
    StochasticSynthesizer,
    crossover,
    mutate,
)

GRAPH = Grammar.load_builtin("graph")
ARITH = Grammar.load_builtin("arith")
MAX_SIZE = 12


@functools.lru_cache(maxsize=None)
def _tables(grammar: Grammar):
    return StochasticSynthesizer(StochasticOptions(max_size=MAX_SIZE)).compile(grammar)


@pytest.mark.parametrize("grammar", [GRAPH, ARITH], ids=["graph", "arith"])
@settings(max_examples=25)
@given(data=st.data(), seed=st.integers(0, 2**32))
def test_mutation_gives_grammatical_programs_within_the_cap(grammar, data, seed):
    parent = data.draw(programs(grammar, max_size=MAX_SIZE))
    child = mutate(parent, _tables(grammar), random.Random(seed), MAX_SIZE)
    grammar.check(child)
    assert size(child) <= MAX_SIZE


@pytest.mark.parametrize("grammar", [GRAPH, ARITH], ids=["graph", "arith"])
@settings(max_examples=25)
@given(data=st.data(), seed=st.integers(0, 2**32))
def test_crossover_gives_grammatical_programs_within_the_cap(grammar, data, seed):
    first = data.draw(programs(grammar, max_size=MAX_SIZE))
    second = data.draw(programs(grammar, max_size=MAX_SIZE))
    child = crossover(first, second, _tables(grammar), random.Random(seed), MAX_SIZE)
    if child is None:
        return
    grammar.check(child)
    assert size(child) <= MAX_SIZE
    assert child != first


def test_crossover_grafts_a_subtree_of_the_second_parent():
    first = ARITH.parse("add(x, neg(1))")
    second = ARITH.parse("if(true, 0, 0)")
    children = {crossover(first, second, _tables(ARITH), random.Random(s), MAX_SIZE) for s in range(200)}
    # non-root int nodes of `first`: x, neg(1), 1; int subtrees of `second`: if(...), 0
    expected = {
        ARITH.parse(text) for text in (
            "add(if(true, 0, 0), neg(1))", "add(0, neg(1))",
            "add(x, if(true, 0, 0))", "add(x, 0)",
            "add(x, neg(if(true, 0, 0)))", "add(x, neg(0))",
        )
    }
    assert children == expected


def test_crossover_without_a_compatible_pair_is_none():
    assert crossover(ARITH.parse("x"), ARITH.parse("1"), _tables(ARITH), random.Random(0), MAX_SIZE) is None


def test_mutation_of_an_oversized_program_falls_back_to_a_fresh_sample():
    big = ARITH.parse("add(" * 10 + "x" + ", x)" * 10)
    assert size(big) == 21
    child = mutate(big, _tables(ARITH), random.Random(0), MAX_SIZE)
    assert size(child) <= MAX_SIZE


def test_unknown_production_in_a_parent_is_a_precise_error():
    with pytest.raises(ProgramError, match="'jump' is not in the grammar"):
        mutate(Program("jump"), _tables(GRAPH), random.Random(0), MAX_SIZE)


def _population(*programs: Program) -> Population:
    return Population([Scored(p, f"g0-{i:03d}", 1.0 - i / 10) for i, p in enumerate(programs)])


def _proposals(options: StochasticOptions, population, seed: int, budget: int = 300) -> list[Program]:
    synthesizer = StochasticSynthesizer(options)
    return [p.program for batch in synthesizer.propose(GRAPH, population, budget, random.Random(seed)) for p in batch]


def test_propose_is_deterministic_batched_and_respects_the_budget():
    population = _population(GRAPH.parse("(push (add (connect identity)))"), GRAPH.parse("(func (push identity) identity)"))
    options = StochasticOptions(batch_size=64)
    batches = list(StochasticSynthesizer(options).propose(GRAPH, population, 150, random.Random(5)))
    assert [len(b) for b in batches] == [64, 64, 22]
    assert _proposals(options, population, 5) == _proposals(options, population, 5)
    assert _proposals(options, population, 5) != _proposals(options, population, 6)
    for program in _proposals(options, population, 5):
        GRAPH.check(program)
        assert size(program) <= options.max_size


def test_rates_shape_what_is_proposed():
    parent = GRAPH.parse("(push (add (connect (next_port (push (add (connect identity)))))))")
    only_samples = _proposals(StochasticOptions(mutation_rate=0.0, crossover_rate=0.0), _population(parent), 1)
    only_mutants = _proposals(StochasticOptions(mutation_rate=1.0, crossover_rate=0.0), _population(parent), 1)

    def shares_a_prefix(program: Program) -> bool:
        return program.production == "push" and program.children[0].production == "add"

    # a mutant keeps the parent outside the replaced subtree: most start like it
    assert sum(map(shares_a_prefix, only_mutants)) > 0.5 * len(only_mutants)
    assert sum(map(shares_a_prefix, only_samples)) < 0.1 * len(only_samples)


def test_options_are_validated():
    with pytest.raises(ValueError, match="mutation_rate \\+ crossover_rate"):
        StochasticOptions(mutation_rate=0.7, crossover_rate=0.5)
    with pytest.raises(ValueError):
        StochasticOptions(temperature=0.0)
    with pytest.raises(ValueError):
        StochasticOptions(temperature=float("inf"))
    with pytest.raises(ValueError):
        StochasticOptions(max_size=0)


def test_mutants_and_crossovers_name_their_parent_and_samples_none():
    first, second = GRAPH.parse("(push (add (connect identity)))"), GRAPH.parse("(func (push identity) identity)")
    population = _population(first, second)
    for rates, parents in (((0.0, 0.0), {None}), ((1.0, 0.0), {"g0-000", "g0-001"}), ((0.0, 1.0), {"g0-000", "g0-001"})):
        options = StochasticOptions(mutation_rate=rates[0], crossover_rate=rates[1])
        batches = StochasticSynthesizer(options).propose(GRAPH, population, 200, random.Random(2))
        assert {p.parent for batch in batches for p in batch} == parents, rates
