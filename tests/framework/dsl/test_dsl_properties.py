"""Properties over generated programs, for two different grammars (with and without inventions)."""

from __future__ import annotations

import lark
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

from framework import Grammar, log_probability, mass, nodes, size
from framework.dsl.sexp import read_program as P
from framework.testing import programs


def _versions() -> dict[str, Grammar]:
    graph = Grammar.load_builtin("graph")
    graph1 = graph.with_inventions([graph.make_invention("inv1_0", P("(push (add (connect #0)))"))])
    graph2 = graph1.with_inventions(
        [graph1.make_invention("inv2_0", P("(if_positions_equal #0 identity (inv1_0 #1) #1 identity)"))]
    )
    arith = Grammar.load_builtin("arith")
    arith1 = arith.with_inventions([
        arith.make_invention("dbl", P("(add #0 #0)")),
        arith.make_invention("xor", P("(and (not (and #0 #1)) (not (and (not #0) (not #1))))")),
    ])
    return {"graph": graph, "graph+inventions": graph2, "arith": arith, "arith+inventions": arith1}


GRAMMARS = _versions()


@pytest.mark.parametrize("name", list(GRAMMARS))
def test_parse_print_round_trip(name):
    grammar = GRAMMARS[name]

    @given(programs(grammar, max_size=30))
    def check(program):
        text = grammar.print(program)
        assert grammar.parse(text) == program
        assert grammar.print(grammar.parse(text)) == text

    check()


@pytest.mark.parametrize("name", ["graph+inventions", "arith+inventions"])
def test_expansion_preserves_type_and_mass(name):
    grammar = GRAMMARS[name]

    @given(programs(grammar, max_size=25))
    def check(program):
        expanded = grammar.expand(program)
        grammar.check(expanded)
        assert not any(grammar.is_invention(n.production) for n in nodes(expanded))
        assert mass(program, grammar) == size(expanded) >= size(program)
        assert grammar.expand(expanded) == expanded

    check()


def test_saved_version_round_trips_programs(tmp_path):
    grammar = GRAMMARS["arith+inventions"]
    grammar.save(tmp_path / "v.lark")
    loaded = Grammar.load(tmp_path / "v.lark")

    @given(programs(grammar, max_size=20))
    def check(program):
        assert loaded.parse(grammar.print(program)) == program
        assert log_probability(program, loaded) == log_probability(program, grammar)

    check()


@pytest.mark.parametrize("name", ["graph", "arith"])
def test_every_string_of_the_lark_grammar_parses(name):
    grammar = GRAMMARS[name]
    lark_grammar = lark.Lark(grammar.base_text, parser="lalr", start=grammar.start)

    # from_lark draws are slow (~0.15 s each on recursive grammars): few examples suffice here
    @settings(max_examples=10, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(from_lark(lark_grammar, start=grammar.start, explicit={"WS": st.just(" ")}))
    def check(text):
        program = grammar.parse(text)
        grammar.check(program)
        assert grammar.parse(grammar.print(program)) == program

    check()

