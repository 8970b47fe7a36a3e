"""Import of the seed's lambda syntax (inline inventions, de Bruijn indices)."""

from __future__ import annotations

import pytest

from framework import ProgramSyntaxError, mass
from framework.dsl.lambda_import import import_original
from framework.dsl.sexp import read_program as P


def test_every_conformance_record_normalises_to_its_program(graph_grammar, records):
    assert len(records) == 69
    for record in records:
        program = import_original(record["original_program"], graph_grammar)
        assert program == graph_grammar.parse(record["program"]), record["original_program"]
        assert mass(program, graph_grammar) == record["mass"]


@pytest.mark.parametrize(
    "text, program",
    [
        ("identity", "identity"),
        ("({fn_0}(lam (push (add (connect $0)))) identity)", "(push (add (connect identity)))"),
        # lambda as well as lam, several arguments, curried application
        ("((lambda (lambda (func $1 $0))) (move identity) identity)", "(func (move identity) identity)"),
        ("(((lam (lam (func $0 $1))) identity) (pop identity))", "(func (pop identity) identity)"),
        # an unapplied primitive passed to an invention (eta-reduced), as in the archives
        ("{fn_3}(add ({fn_2}(lam (next_port ($0 identity))) connect))", "(add (next_port (connect identity)))"),
    ],
)
def test_normalisation(graph_grammar, text, program):
    assert import_original(text, graph_grammar) == P(program)


@pytest.mark.parametrize(
    "text, line, column, message",
    [
        ("(push (add identity)", 1, 21, "unexpected end of input"),
        ("(push identity))", 1, 16, "unexpected ')' after the end"),
        ("(push\n  (jump identity))", 2, 4, "unknown primitive 'jump'; valid: identity"),
        ("(lam (push $1))", 1, 12, "unbound variable $1"),
        ("(push $x)", 1, 7, "bad variable '$x'"),
        ("(push ())", 1, 7, "empty application"),
        ("(lam identity)", 1, 1, "a lambda remains"),
        ("(push (connect))", 1, 8, "'connect' takes 1 argument(s), got 0"),
        ("(lam)", 1, 1, "exactly one body"),
        ("(push lam)", 1, 7, "must open a list"),
        ("{fn_1}", 1, 1, "annotation without an expression"),
        ("((lam ($0 $0)) (lam ($0 $0)))", 1, 1, "does it terminate"),
    ],
)
def test_positioned_errors(graph_grammar, text, line, column, message):
    with pytest.raises(ProgramSyntaxError) as info:
        import_original(text, graph_grammar, source="archive.txt")
    assert message in str(info.value)
    assert (info.value.line, info.value.column) == (line, column), str(info.value)
    assert str(info.value).startswith(f"archive.txt:{line}:{column}: ")


def test_ill_typed_result_is_an_error(arith_grammar):
    with pytest.raises(ProgramSyntaxError, match="ill-typed after normalisation"):
        import_original("(not x)", arith_grammar)
    assert import_original("((lam (add $0 $0)) x)", arith_grammar) == P("(add x x)")
