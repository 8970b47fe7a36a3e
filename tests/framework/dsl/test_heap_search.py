"""Heap search: order, uniqueness, completeness against brute-force derivation."""

from __future__ import annotations

import itertools
import math
from functools import lru_cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from framework.dsl.grammar import Grammar
from framework.dsl.heap_search import HeapSearch
from framework.dsl.pcfg import compile_table
from framework.dsl.program import Program, log_probability, size

GRAPH = Grammar.load_builtin("graph")
ARITH = Grammar.load_builtin("arith")


def brute_force(grammar: Grammar, max_size: int, nonterminal: str | None = None) -> set[Program]:
    """Every program of ``nonterminal`` with at most ``max_size`` nodes, by plain derivation."""

    @lru_cache(maxsize=None)
    def exactly(nt: str, n: int) -> tuple[Program, ...]:
        out = []
        for production in grammar.by_nonterminal(nt):
            if grammar.logprobs[production.name] == -math.inf:
                continue
            for children in splits(production.arguments, n - 1):
                out.append(Program(production.name, children))
        return tuple(out)

    def splits(arguments: tuple[str, ...], budget: int):
        if not arguments:
            if budget == 0:
                yield ()
            return
        for part in range(1, budget + 1):
            for head in exactly(arguments[0], part):
                for rest in splits(arguments[1:], budget - part):
                    yield (head, *rest)

    nt = nonterminal or grammar.start
    return {p for n in range(1, max_size + 1) for p in exactly(nt, n)}


def check_enumeration(grammar: Grammar, max_size: int, nonterminal: str | None = None) -> None:
    pairs = list(HeapSearch(compile_table(grammar), max_size, nonterminal))
    programs = [p for _, p in pairs]
    logprobs = [lp for lp, _ in pairs]
    assert len(set(programs)) == len(programs), "a program came out twice"
    assert all(a >= b for a, b in zip(logprobs, logprobs[1:])), "order is not non-increasing"
    assert set(programs) == brute_force(grammar, max_size, nonterminal)
    for lp, program in pairs:
        assert lp == pytest.approx(log_probability(program, grammar), abs=1e-9)
        assert size(program) <= max_size


def test_first_programs_of_graph_in_order():
    first = [GRAPH.print(p) for _, p in itertools.islice(HeapSearch(compile_table(GRAPH), 10), 9)]
    assert first == [
        "identity",
        "(next_port identity)", "(prev_port identity)", "(move identity)", "(add identity)",
        "(push identity)", "(pop identity)", "(connect identity)",
        "(next_port (next_port identity))",
    ]


@pytest.mark.parametrize(("name", "max_size"), [("graph", 5), ("arith", 6)])
def test_equals_brute_force_on_shipped_grammars(name, max_size):
    check_enumeration(Grammar.load_builtin(name), max_size)


def test_equals_brute_force_for_a_non_start_nonterminal():
    check_enumeration(ARITH, 5, nonterminal="bool")


@settings(max_examples=15)
@given(st.sampled_from([GRAPH, ARITH]), st.data())
def test_equals_brute_force_under_any_weights(grammar, data):
    weights = {
        name: data.draw(st.floats(-6.0, 0.0), label=name) for name in grammar.productions
    }
    check_enumeration(grammar.with_logprobs(weights), 4)


def test_equals_brute_force_with_inventions_and_a_zero_weight_rule():
    body = Program("push", (Program("add", (Program("connect", (Program("#0"),)),)),))
    grammar = GRAPH.with_inventions([
        GRAPH.make_invention("pac", body),
        GRAPH.make_invention("twice", Program("func", (Program("#0"), Program("#0")))),
    ])
    weights = {n: (-math.inf if n == "move" else -0.2 * i) for i, n in enumerate(grammar.productions)}
    grammar = grammar.with_logprobs(weights)
    check_enumeration(grammar, 4)
    names = {node.production for _, p in HeapSearch(compile_table(grammar), 4) for node in _nodes(p)}
    assert {"pac", "twice"} <= names and "move" not in names


def _nodes(program: Program):
    stack = [program]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.children)


def test_deterministic_and_lazy_for_a_large_size_limit():
    table = compile_table(GRAPH.with_logprobs({n: -0.1 * i for i, n in enumerate(GRAPH.productions)}))
    first = list(itertools.islice(HeapSearch(table, 250), 3000))
    second = list(itertools.islice(HeapSearch(table, 250), 3000))
    assert first == second
    assert len({p for _, p in first}) == 3000


def test_stops_when_everything_within_the_size_is_yielded():
    search = HeapSearch(compile_table(GRAPH), 2)
    assert len(list(search)) == 1 + 7
    assert search.yielded == 8
    assert list(search) == []


def test_a_class_reached_first_from_inside_a_deeper_class_keeps_its_first_program():
    # neg is unlikely, so (neg (neg zero)) of size 3 asks for class (int, 2)'s first
    # program before the top level reaches that class (a regression: it skipped it)
    weights = {name: 0.0 for name in ARITH.productions}
    weights["neg"] = -2.0
    check_enumeration(ARITH.with_logprobs(weights), 4)
