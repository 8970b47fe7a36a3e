"""Rewrite rules compiled into the production table: parsing, and sharpening loses exactly the redexes."""

from __future__ import annotations

import itertools

import pytest

from framework import Grammar, Program
from framework.dsl.heap_search import HeapSearch
from framework.dsl.pcfg import SizeTable, compile_table, sample_program
from framework.dsl.rules import RuleError, parse_rule, parse_rules, redexes, rewrite, sharpen

GRAPH = Grammar.load_builtin("graph")
ARITH = Grammar.load_builtin("arith")

GRAPH_RULES = parse_rules([
    "(next_port (prev_port ?k)) -> ?k",
    "(func identity ?k) -> ?k",
    "(func (func ?f identity) ?k) -> (func ?f ?k)",
    "^(move ?k) -> ?k",
    "^(next_port (pop ?k)) -> (next_port ?k)",
])
ARITH_RULES = parse_rules(["(neg (neg ?a)) -> ?a", "(not (not ?b)) -> ?b", "(add zero ?a) -> ?a"])


def plain(grammar: Grammar, max_size: int) -> list[tuple[float, Program]]:
    return list(HeapSearch(compile_table(grammar), max_size))


@pytest.mark.parametrize("grammar, rules, max_size", [(GRAPH, GRAPH_RULES, 7), (ARITH, ARITH_RULES, 6)])
def test_sharpened_enumeration_is_the_plain_one_without_the_redexes(grammar, rules, max_size):
    everything = plain(grammar, max_size)
    expected = [(lp, p) for lp, p in everything if not redexes(p, rules)]
    sharpened = list(HeapSearch(sharpen(compile_table(grammar), rules), max_size))
    # the same programs, each once, at the same probabilities in the same order (ties aside)
    assert [lp for lp, _ in sharpened] == [lp for lp, _ in expected]
    assert len({p for _, p in sharpened}) == len(sharpened)
    assert {p for _, p in sharpened} == {p for _, p in expected}
    assert len(expected) < len(everything)  # the rules did prune something


def test_anchored_rules_hold_only_at_the_root():
    table = sharpen(compile_table(GRAPH), parse_rules(["^(move ?k) -> ?k"]))
    found = {p for _, p in HeapSearch(table, 4)}
    assert Program("move", (Program("identity"),)) not in found
    assert Program("push", (Program("move", (Program("identity"),)),)) in found


def test_a_grammar_the_rules_do_not_speak_about_is_left_as_it_is():
    table = compile_table(ARITH)
    assert sharpen(table, GRAPH_RULES) is table
    assert sharpen(table, ()) is table


def test_samples_from_a_sharpened_table_contain_no_redex():
    import random

    sizes = SizeTable(sharpen(compile_table(GRAPH), GRAPH_RULES), 12)
    rng = random.Random(0)
    for _ in range(300):
        assert not redexes(sample_program(sizes, rng), GRAPH_RULES)


def test_rewrite_replaces_the_instance_at_a_path():
    rule = parse_rule("(func (func ?f identity) ?k) -> (func ?f ?k)")
    program = GRAPH.parse("(push (func (func (add identity) identity) (connect identity)))")
    assert redexes(program, [rule]) == [((0,), rule)]
    assert GRAPH.print(rewrite(program, (0,), rule)) == "(push (func (add identity) (connect identity)))"


@pytest.mark.parametrize("text, message", [
    ("(a ?x)", "expected 'lhs -> rhs'"),
    ("?x -> ?x", "more than a variable"),
    ("(f (a ?x) (b ?y)) -> ?x", "two fixed children"),
    ("(f ?x ?x) -> ?x", "occurs twice"),
    ("(f ?x) -> ?y", "only on the right"),
    ("(f ?x) -> (g ?x)", "fewer productions"),
    ("(f ?x -> ?x", "unexpected end of input"),
])
def test_malformed_rules_are_rejected_with_the_rule_quoted(text, message):
    with pytest.raises(RuleError, match=message) as info:
        parse_rule(text)
    assert repr(text) in str(info.value) or "rule" in str(info.value)


def test_rule_paths():
    rule = parse_rule("(if_positions_equal ?f (push identity) ?h ?e ?k) -> (if_positions_equal ?f identity ?h ?e ?k)")
    assert rule.path == (("if_positions_equal", 1), ("push", 0))
    assert rule.last == "identity"
    assert list(itertools.islice(HeapSearch(sharpen(compile_table(GRAPH), [rule]), 6), 3))
