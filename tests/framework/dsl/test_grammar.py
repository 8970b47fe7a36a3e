"""Grammar: production table, parse/print, weights, inventions and saved versions."""

from __future__ import annotations

import math

import pytest

from framework import Grammar, GrammarError, Production, Program, ProgramError, ProgramSyntaxError
from framework.dsl.version_file import GENERATED_MARK
from framework.dsl.sexp import read_program

GRAPH_PRODUCTIONS = ("identity", "next_port", "prev_port", "move", "add", "push", "pop",
                     "connect", "func", "if_positions_equal")


def P(text: str) -> Program:
    return read_program(text)


def test_graph_production_table(graph_grammar):
    g = graph_grammar
    assert g.start == "t" and g.nonterminals == ("t",)
    assert tuple(g.productions) == GRAPH_PRODUCTIONS
    assert [p.arity for p in g.by_nonterminal("t")] == [0, 1, 1, 1, 1, 1, 1, 1, 2, 5]
    assert g.productions["func"] == Production("func", "t", ("t", "t"))
    assert all(type(p.nonterminal) is str for p in g.productions.values())
    assert not any(g.is_invention(n) for n in g.productions)


def test_arith_has_two_types(arith_grammar):
    g = arith_grammar
    assert g.start == "int" and g.nonterminals == ("int", "bool")
    assert g.productions["if"].arguments == ("bool", "int", "int")
    assert [p.name for p in g.by_nonterminal("bool")] == ["true", "false", "lt", "eq", "not", "and"]
    with pytest.raises(ProgramError, match="valid: int, bool"):
        g.by_nonterminal("float")


def test_uniform_logprobs_normalised_per_nonterminal(arith_grammar):
    g = arith_grammar
    for nt in g.nonterminals:
        names = [p.name for p in g.by_nonterminal(nt)]
        assert math.isclose(sum(math.exp(g.logprobs[n]) for n in names), 1.0)
        assert len({g.logprobs[n] for n in names}) == 1


@pytest.mark.parametrize(
    "text, printed",
    [
        ("(push (add (connect identity)))", "(push (add (connect identity)))"),
        ("( func  (push identity)\n identity )", "(func (push identity) identity)"),
        ("(if_positions_equal identity (move identity) identity identity (pop identity))",
         "(if_positions_equal identity (move identity) identity identity (pop identity))"),
    ],
)
def test_graph_parse_print(graph_grammar, text, printed):
    program = graph_grammar.parse(text)
    assert graph_grammar.print(program) == printed
    assert graph_grammar.parse(printed) == program


def test_arith_parse_print_layout(arith_grammar):
    program = arith_grammar.parse("if(lt(x,1),add( x , x ),neg(0))")
    assert program == P("(if (lt x one) (add x x) (neg zero))")
    assert arith_grammar.print(program) == "if(lt(x, 1), add(x, x), neg(0))"


def test_parse_error_has_position_and_expected_tokens(graph_grammar):
    with pytest.raises(ProgramSyntaxError) as info:
        graph_grammar.parse("(push\n  (add x))", source="prog.txt")
    error = info.value
    assert (error.line, error.column) == (2, 8)
    assert error.expected == ('"("', '"identity"')
    assert str(error).startswith("prog.txt:2:8: unexpected character 'x'")


def test_parse_error_at_end_of_input(graph_grammar):
    with pytest.raises(ProgramSyntaxError) as info:
        graph_grammar.parse("(push (add identity)")
    assert (info.value.line, info.value.column) == (1, 21)
    assert info.value.expected == ('")"',)


def test_parse_error_unknown_keyword(arith_grammar):
    with pytest.raises(ProgramSyntaxError, match=r"<program>:1:5: unexpected") as info:
        arith_grammar.parse("add(y, 1)")
    assert '"x"' in info.value.expected and '"add"' in info.value.expected


def test_print_rejects_ill_formed_programs(graph_grammar):
    with pytest.raises(ProgramError, match="unknown production 'jump'; valid: identity"):
        graph_grammar.print(P("(push (jump identity))"))
    with pytest.raises(ProgramError, match="'func' takes 2 argument"):
        graph_grammar.print(P("(func identity)"))


def test_check_types(arith_grammar):
    arith_grammar.check(P("(if true x one)"))
    with pytest.raises(ProgramError, match="'x' builds a 'int' where a 'bool' is expected"):
        arith_grammar.check(P("(if x x one)"))
    arith_grammar.check(P("(not true)"), "bool")


def test_with_logprobs_normalises_and_validates(graph_grammar):
    weights = {n: 0.0 for n in GRAPH_PRODUCTIONS} | {"identity": math.log(11.0)}
    g = graph_grammar.with_logprobs(weights)
    assert math.isclose(math.exp(g.logprobs["identity"]), 0.55)
    assert math.isclose(math.exp(g.logprobs["push"]), 0.05)
    assert g.with_logprobs(g.logprobs).logprobs == g.logprobs  # idempotent, bit for bit
    assert graph_grammar.logprobs["identity"] == -math.log(10)  # the original is untouched
    with pytest.raises(GrammarError, match="missing push"):
        graph_grammar.with_logprobs({n: 0.0 for n in GRAPH_PRODUCTIONS if n != "push"})
    with pytest.raises(GrammarError, match="unknown jump"):
        graph_grammar.with_logprobs(weights | {"jump": 0.0})
    with pytest.raises(GrammarError, match="probability 0"):
        graph_grammar.with_logprobs({n: -math.inf for n in GRAPH_PRODUCTIONS})


def _with_two_inventions(g: Grammar) -> Grammar:
    g1 = g.with_inventions([g.make_invention("inv1_0", P("(push (add (connect #0)))"))])
    return g1.with_inventions([g1.make_invention("inv2_0", P("(func (inv1_0 #1) (inv1_0 #0))"))])


def test_inventions_parse_print_expand(graph_grammar):
    g = _with_two_inventions(graph_grammar)
    assert [p.name for p in g.inventions] == ["inv1_0", "inv2_0"]
    assert g.productions["inv2_0"] == Production("inv2_0", "t", ("t", "t"),
                                                 P("(func (inv1_0 #1) (inv1_0 #0))"))
    assert g.is_invention("inv1_0") and not g.is_invention("push")
    program = g.parse("(inv2_0 (next_port identity) (inv1_0 identity))")
    assert g.print(program) == "(inv2_0 (next_port identity) (inv1_0 identity))"
    assert g.expand(program) == P(
        "(func (push (add (connect (push (add (connect identity)))))) "
        "(push (add (connect (next_port identity)))))"
    )
    assert g.expand(P("(move identity)")) == P("(move identity)")
    # inventions are new productions: weights are uniform over 12 productions again
    assert math.isclose(g.logprobs["identity"], -math.log(12))


def test_make_invention_infers_types(arith_grammar):
    inv = arith_grammar.make_invention("pick", P("(if (lt #1 #0) #0 #2)"))
    assert inv == Production("pick", "int", ("int", "int", "int"), P("(if (lt #1 #0) #0 #2)"))
    with pytest.raises(ProgramError, match="hole #0 is used as both"):
        arith_grammar.make_invention("bad", P("(if #0 #0 x)"))
    with pytest.raises(ProgramError, match="without gaps"):
        arith_grammar.make_invention("gap", P("(add #0 #2)"))


def test_with_inventions_validates_bodies(graph_grammar):
    with pytest.raises(GrammarError, match="body uses 'inv9'"):
        graph_grammar.with_inventions([Production("inv1", "t", ("t",), P("(inv9 #0)"))])
    with pytest.raises(GrammarError, match="hole #1 stands where"):
        graph_grammar.with_inventions([Production("inv1", "t", ("t",), P("(push #1)"))])
    with pytest.raises(GrammarError, match="ill-typed at 'func'"):
        graph_grammar.with_inventions([Production("inv1", "t", ("t",), P("(func #0)"))])
    with pytest.raises(GrammarError, match="not a valid stitch symbol"):
        graph_grammar.with_inventions([Production("fn_3", "t", ("t",), P("(push #0)"))])
    with pytest.raises(GrammarError, match="already a production"):
        graph_grammar.with_inventions([Production("push", "t", ("t",), P("(pop #0)"))])
    with pytest.raises(GrammarError, match="not a Lark rule name"):
        graph_grammar.with_inventions([Production("Inv1", "t", ("t",), P("(pop #0)"))])
    with pytest.raises(GrammarError, match=r"unknown: u"):
        graph_grammar.with_inventions([Production("inv1", "t", ("u",), P("(pop #0)"))])
    with pytest.raises(GrammarError, match="needs a body"):
        graph_grammar.with_inventions([Production("inv1", "t", ("t",))])


def test_saved_version_restores_syntax_inventions_weights(graph_grammar, tmp_path):
    g = _with_two_inventions(graph_grammar)
    g = g.with_logprobs({n: float(i) for i, n in enumerate(g.productions)})
    path = tmp_path / "versions" / "g2.lark"
    g.save(path)
    text = path.read_text()
    assert text.startswith(graph_grammar.base_text.rstrip("\n"))
    assert GENERATED_MARK in text and "%extend t:" in text
    loaded = Grammar.load(path)
    assert loaded == g and hash(loaded) == hash(g)
    assert dict(loaded.logprobs) == dict(g.logprobs)
    assert loaded.source == str(path)
    assert loaded.parse("(inv2_0 identity identity)") == P("(inv2_0 identity identity)")
    assert list(tmp_path.joinpath("versions").iterdir()) == [path]  # no temp file left behind
    # a saved version is plain, valid Lark: lark itself compiles it
    import lark

    lark.Lark(text, parser="lalr", start="t")
    # saving the loaded version again gives the same file
    loaded.save(tmp_path / "again.lark")
    assert (tmp_path / "again.lark").read_text() == text


def test_saved_arith_version_with_inventions(arith_grammar, tmp_path):
    g = arith_grammar.with_inventions([
        arith_grammar.make_invention("dbl", P("(add #0 #0)")),
        arith_grammar.make_invention("both", P("(and #0 (not #1))")),
    ])
    g.save(tmp_path / "arith.lark")
    loaded = Grammar.load(tmp_path / "arith.lark")
    assert loaded == g
    program = loaded.parse("if((both true lt(x, 1)), (dbl x), 0)")
    assert loaded.expand(program) == P("(if (and true (not (lt x one))) (add x x) zero)")


def test_load_builtin_unknown_name():
    with pytest.raises(GrammarError, match="valid: arith, graph"):
        Grammar.load_builtin("nope")


def test_load_missing_file(tmp_path):
    with pytest.raises(GrammarError, match="cannot read grammar"):
        Grammar.load(tmp_path / "missing.lark")


@pytest.mark.parametrize(("name", "body"), [
    ("graph", "(push (add (connect #0)))"),
    ("arith", None),
])
def test_a_version_made_without_lark_equals_its_compiled_text(name, body):
    """with_inventions derives the new version directly; compiling its saved text must agree."""
    from hypothesis import given, settings
    from framework.testing import programs

    grammar = Grammar.load_builtin(name)
    if body is None:  # arith: an invention over the first production with arguments
        first = next(p for p in grammar.productions.values() if p.arguments)
        body_program = Program(first.name, tuple(Program(f"#{i}") for i in range(first.arity)))
    else:
        body_program = read_program(body)
    derived = grammar.with_inventions([grammar.make_invention("inv_0", body_program)])
    compiled = Grammar.from_text(derived.to_text())
    assert derived == compiled and derived.to_text() == compiled.to_text()

    @settings(max_examples=30, deadline=None)
    @given(programs(derived, max_size=12))
    def agree(program):
        text = derived.print(program)
        assert text == compiled.print(program)
        assert derived.parse(text) == program

    agree()
