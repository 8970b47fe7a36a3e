"""list.lark: a small DSL with structural recursion, evaluated by the example domain in list_domain.py."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from framework import Grammar, Rejection
from framework.dsl.heap_search import HeapSearch
from framework.dsl.pcfg import compile_table
from framework.testing import programs

from tests.framework.dsl.list_domain import apply
from tests.framework.dsl.test_heap_search import brute_force

LIST = Grammar.load_builtin("list")


@pytest.mark.parametrize("text, expected", [
    ("(if_nil nil (cons (succ head) self))", lambda xs: tuple(x + 1 for x in xs)),
    ("(if_nil nil (cons head (cons head self)))", lambda xs: tuple(y for x in xs for y in (x, x))),
    ("(if_nil (cons zero nil) (cons (add head head) self))", lambda xs: (*(2 * x for x in xs), 0)),
])
@pytest.mark.parametrize("n", range(0, 7))
def test_recursive_programs_compute_on_lists_of_every_length(text, expected, n):
    xs = tuple(range(3, 3 + n))
    assert apply(LIST.parse(text), xs) == expected(xs)


def test_recursion_past_the_base_case_is_rejected():
    assert apply(LIST.parse("(cons head self)"), (1, 2)) == Rejection("no base case", "head of the empty list")
    assert apply(LIST.parse("(if_nil self nil)"), ()) == Rejection("no base case", "self on the empty list")


def test_enumeration_is_complete_and_duplicate_free():
    found = [p for _, p in HeapSearch(compile_table(LIST), 6)]
    assert len(set(found)) == len(found) and set(found) == brute_force(LIST, 6)


@settings(max_examples=100, deadline=None)
@given(programs(LIST, max_size=15))
def test_round_trip_and_bounded_evaluation(program):
    assert LIST.parse(LIST.print(program)) == program
    result = apply(program, (1, 2, 3), step_budget=500)
    assert isinstance(result, tuple) or result.reason in {"no base case", "budget exceeded"}
