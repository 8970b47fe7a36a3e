"""Programs to stitch's text and back (plugins/library/sexpr.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from framework import FrameworkError, Grammar, Program
from framework_plugins.library.sexpr import parse_sexpr, to_sexpr

GRAPH = Grammar.load_builtin("graph")
ARITH = Grammar.load_builtin("arith")


def signatures(grammar: Grammar) -> dict:
    return {name: (p.nonterminal, p.arguments) for name, p in grammar.productions.items()}


def of_arity(n: int, inner: st.SearchStrategy[Program]) -> st.SearchStrategy[Program]:
    names = [p.name for p in GRAPH.productions.values() if p.arity == n]
    return st.builds(lambda name, children: Program(name, tuple(children)),
                     st.sampled_from(names), st.lists(inner, min_size=n, max_size=n))


programs = st.recursive(
    st.just(Program("identity")),
    lambda inner: st.one_of(of_arity(1, inner), of_arity(2, inner), of_arity(5, inner)),
    max_leaves=20,
)


def as_lists(program: Program):
    """The nested-list form a first-order program parses to."""
    if not program.children:
        return program.production
    return [program.production, *map(as_lists, program.children)]


@given(programs)
def test_text_is_the_s_expression_and_parses_back(program):
    text = to_sexpr(program, signatures(GRAPH), "t")
    assert text == repr(program)
    assert parse_sexpr(text) == as_lists(program)


@pytest.mark.parametrize(
    "program",
    ["(push)", "(jump identity)", "(identity identity)", "(func identity)"],
)
def test_programs_outside_the_grammar_have_no_text(program):
    def build(term):
        return Program(term) if isinstance(term, str) else Program(term[0], tuple(map(build, term[1:])))

    assert to_sexpr(build(parse_sexpr(program)), signatures(GRAPH), "t") is None


def test_types_are_checked():
    sig = signatures(ARITH)
    good = ARITH.parse("if(lt(x, 1), x, 0)")
    assert to_sexpr(good, sig, "int") == "(if (lt x one) x zero)"
    assert to_sexpr(good, sig, "bool") is None
    assert to_sexpr(Program("if", (Program("x"), Program("x"), Program("x"))), sig, "int") is None


def test_deep_chains_do_not_hit_the_recursion_limit():
    program = Program("identity")
    for _ in range(5000):
        program = Program("push", (program,))
    text = to_sexpr(program, signatures(GRAPH), "t")
    assert text.count("(push ") == 5000 and text.endswith("identity" + ")" * 5000)


def test_curried_applications_are_flattened():
    assert parse_sexpr("((func (#1 identity)) k)") == ["func", ["#1", "identity"], "k"]
    assert parse_sexpr("  fn_1 ") == "fn_1"


@pytest.mark.parametrize("text", ["(push identity", "push)", "()", "a b", ""])
def test_malformed_text_is_a_framework_error(text):
    with pytest.raises(FrameworkError, match="stitch returned"):
        parse_sexpr(text)
