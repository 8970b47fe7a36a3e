"""The grammar-independent s-expression reader (invention bodies, archives)."""

from __future__ import annotations

import pytest

from framework import Program, ProgramSyntaxError
from framework.dsl.sexp import Atom, SList, read, read_program


def test_read_positions():
    node = read("(a\n  (b c))")
    assert isinstance(node, SList) and (node.line, node.column) == (1, 1)
    inner = node.items[1]
    assert isinstance(inner, SList) and (inner.line, inner.column) == (2, 3)
    assert inner.items[1] == Atom("c", 2, 6)


def test_read_program_with_holes():
    assert read_program("(push (add (connect #0)))") == Program(
        "push", (Program("add", (Program("connect", (Program("#0"),)),)),)
    )


@pytest.mark.parametrize(
    "text, message",
    [("", "empty input"), ("(a b", "unexpected end of input"), ("a b", "after the end"),
     ("((a) b)", "must start with a production name"), ("{x}a", "unexpected annotation")],
)
def test_errors(text, message):
    with pytest.raises(ProgramSyntaxError, match=message):
        read_program(text)
