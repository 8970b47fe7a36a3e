"""Malformed grammars: Lark's errors and convention violations, all at file:line:col."""

from __future__ import annotations

import pytest

from framework import Grammar, GrammarError
from framework.dsl.version_file import GENERATED_MARK

FOOTER = "%import common.WS\n%ignore WS\n"


def error_of(text: str, source: str = "g.lark") -> GrammarError:
    with pytest.raises(GrammarError) as info:
        Grammar.from_text(text, source)
    return info.value


@pytest.mark.parametrize(
    "text, line, column, message",
    [
        # an alternative without alias (on the second line)
        ('e: "a" -> a\n | "(" e ")"\n', 2, 4, "has no '-> alias'"),
        # EBNF operators and groups
        ('e: "a" -> a\n | "(" e* ")" -> many\n', 2, 9, "EBNF operator '*'"),
        ('e: "a" -> a\n | "[" ["b"] "]" -> opt\n', 2, 8, "EBNF operator '['"),
        ('e: "a" -> a\n | ("b" | "c") -> bc\n', 2, 4, "EBNF operator '('"),
        # the same production name twice
        ('e: "a" -> a\n | "b" -> a\n', 2, 11, "'a' is used twice (first at line 1, column 11)"),
        # a terminal with many values cannot be printed
        ('e: "a" -> a\n | NUMBER -> num\n%import common.NUMBER\n', 2, 4, "terminal NUMBER"),
        ('e: "a" -> a\n | BOOL -> b\nBOOL: "t" | "f"\n', 2, 4, "terminal BOOL"),
        # names that are not valid stitch symbols
        ('e: "a" -> a\n | "(" "f" e ")" -> fn_2\n', 2, 21, "not a valid stitch symbol"),
        ('e: "a" -> lam\n', 1, 11, "not a valid stitch symbol"),
        # inlined / conditional rules are not productions
        ('?e: "a" -> a\n', 1, 2, "inlined"),
        ('e: "a" -> a\n | _x -> x\n_x: "b" -> bx\n', 3, 1, "inlined"),
        # a type without a finite program
        ('e: "a" -> a\n | "(" f ")" -> wrap\nf: "[" f "]" -> loop\n', 3, 1, "derives no finite program"),
        # Lark's own errors, positioned by the name they mention
        ('e: "a" -> a\n | "(" g ")" -> wrap\n', 2, 8, "Rule 'g' used but not defined"),
        ('e: "a" -> a\ne: "b" -> b\n', 1, 1, "defined more than once"),
    ],
)
def test_positioned_grammar_errors(text, line, column, message):
    error = error_of(text + FOOTER)
    assert message in str(error)
    assert (error.line, error.column) == (line, column), str(error)
    assert str(error).startswith(f"g.lark:{line}:{column}: ")


def test_lark_syntax_error_is_positioned():
    error = error_of('e: "a" -> a\n | "b -> b\n')
    assert error.line == 2 and str(error).startswith("g.lark:2:")


@pytest.mark.parametrize("module", ["ommon", ".ommon"])
def test_an_import_of_a_grammar_that_does_not_exist_is_positioned(module):
    # Lark opens the named grammar file itself and let FileNotFoundError out (a fuzz find)
    error = error_of(f'e: "a" -> a\n%import {module}.WS\n%ignore WS\n')
    assert (error.line, error.column) == (2, 1)
    assert f"%import {module}.WS: no grammar 'ommon'" in str(error)


def test_lalr_conflict_is_a_grammar_error():
    # Lark resolves shift/reduce conflicts silently; printing would not round-trip
    error = error_of('e: "a" -> a\n | e "+" e -> plus\n' + FOOTER)
    assert "ambiguous grammar" in str(error) and "plus" in str(error)
    assert (error.line, error.column) == (2, 15)


def test_no_rule_at_all():
    assert "no rule found" in str(error_of("%import common.WS\n"))


def test_exit_code_is_usage_error():
    assert error_of('e: "a"\n').exit_code == 2


def test_invention_directive_errors(graph_grammar):
    base = graph_grammar.base_text.rstrip("\n") + "\n\n" + GENERATED_MARK + "\n"
    missing_rule = base + "// @invention inv1 : t -> t = (push #0)\n"
    error = error_of(missing_rule)
    assert "has no rule alternative" in str(error)
    assert error.line == missing_rule.count("\n")
    wrong_type = base + '// @invention inv1 : t t -> t = (push #0)\n%extend t: "(" "inv1" t ")" -> inv1\n'
    assert "declares t t -> t but its rule builds t -> t" in str(error_of(wrong_type))
    bad_json = base + "// @logprobs {identity: 1}\n"
    error = error_of(bad_json)
    assert "bad @logprobs JSON" in str(error) and error.line == bad_json.count("\n")
    unknown = base + "// @frobnicate yes\n"
    assert "unrecognised directive" in str(error_of(unknown))
