"""The ``enumerative`` synthesizer: heap-search order, resumption per grammar, budgets."""

from __future__ import annotations

import itertools
import random

import pytest

from framework import Grammar
from framework.dsl.heap_search import HeapSearch
from framework.dsl.pcfg import compile_table
from framework.plugins import build_plugin, build_registry
from framework_plugins.synthesizers import EnumerativeOptions, EnumerativeSynthesizer

GRAPH = Grammar.load_builtin("graph")


def heap_order(grammar: Grammar, count: int, max_size: int = 20) -> list:
    return [p for _, p in itertools.islice(HeapSearch(compile_table(grammar), max_size), count)]


def flatten(batches) -> list:
    return [p for batch in batches for p in batch]


def test_both_synthesizers_are_registered_with_their_options(monkeypatch):
    monkeypatch.setenv("FRAMEWORK_LOAD_PLUGINS", "synthesizers")  # the entry point of this package
    registry = build_registry()
    assert {"enumerative", "stochastic"} <= set(registry.names("synthesizer"))
    info = registry.get("synthesizer", "enumerative").info
    assert info.options is EnumerativeOptions
    synthesizer = build_plugin(registry, "synthesizer", "enumerative")
    assert flatten(synthesizer.propose(GRAPH, [], 5, random.Random(0))) == heap_order(GRAPH, 5)


def test_resumes_across_calls_on_the_same_grammar_and_restarts_on_a_new_one():
    synthesizer = EnumerativeSynthesizer(EnumerativeOptions(batch_size=30))
    first = flatten(synthesizer.propose(GRAPH, [], 100, random.Random(0)))
    second = flatten(synthesizer.propose(GRAPH.with_logprobs(dict(GRAPH.logprobs)), [], 100, random.Random(1)))
    assert first + second == heap_order(GRAPH, 200)
    skewed = GRAPH.with_logprobs({n: -0.3 * i for i, n in enumerate(GRAPH.productions)})
    third = flatten(synthesizer.propose(skewed, [], 50, random.Random(0)))
    assert third == heap_order(skewed, 50)


def test_batches_budget_and_exhaustion():
    synthesizer = EnumerativeSynthesizer(EnumerativeOptions(max_size=2, batch_size=3))
    batches = list(synthesizer.propose(GRAPH, [], 100, random.Random(0)))
    assert [len(b) for b in batches] == [3, 3, 2]  # identity and the 7 unary chains
    assert list(synthesizer.propose(GRAPH, [], 100, random.Random(0))) == []
    budgeted = EnumerativeSynthesizer(EnumerativeOptions(batch_size=4))
    assert [len(b) for b in budgeted.propose(GRAPH, [], 10, random.Random(0))] == [4, 4, 2]


def test_time_limit_stops_after_the_batch_that_overran():
    synthesizer = EnumerativeSynthesizer(EnumerativeOptions(batch_size=10, time_limit=1e-9))
    assert [len(b) for b in synthesizer.propose(GRAPH, [], 1000, random.Random(0))] == [10]


def test_options_are_validated():
    with pytest.raises(ValueError):
        EnumerativeOptions(max_size=0)
    with pytest.raises(ValueError):
        EnumerativeOptions(max_size=10_000)
    with pytest.raises(ValueError):
        EnumerativeOptions(time_limit=0)


def test_state_and_restore_continue_a_checkpointed_enumeration():
    import json

    first = EnumerativeSynthesizer(EnumerativeOptions(batch_size=40))
    assert first.state() == {}
    flatten(first.propose(GRAPH, [], 150, random.Random(0)))
    state = json.loads(json.dumps(first.state()))
    assert state["position"] == 150
    expected = flatten(first.propose(GRAPH, [], 100, random.Random(0)))

    resumed = EnumerativeSynthesizer(EnumerativeOptions(batch_size=40))
    resumed.restore(state)
    assert flatten(resumed.propose(GRAPH, [], 100, random.Random(0))) == expected

    other = GRAPH.with_logprobs({n: -0.3 * i for i, n in enumerate(GRAPH.productions)})
    fresh = EnumerativeSynthesizer()
    fresh.restore(state)  # a checkpoint of another grammar: start from the top
    assert flatten(fresh.propose(other, [], 20, random.Random(0))) == heap_order(other, 20)
