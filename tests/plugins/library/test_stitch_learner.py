"""The ``stitch`` library learner on real stitch-core runs (plugins/library/stitch.py)."""

from __future__ import annotations


import pytest
import stitch_core
from conformance_data import records as conformance_records

from framework import FrameworkError, Grammar, LibraryResult, PortGraph, ProgramError, hole
from framework import Program as P
from framework.plugins import build_plugin, build_registry
from framework_plugins.graph_domain import GraphDomain
from framework_plugins.library import StitchLearner, StitchOptions
from framework_plugins.library.inventions import Abstraction, _Alias, _Inline, translate
from framework_plugins.library.stitch import stitch_cost

GRAPH = Grammar.load_builtin("graph")
ARITH = Grammar.load_builtin("arith")
FIRST_ORDER = dict(no_curried_metavars=True, no_curried_bodies=True)


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return conformance_records()


@pytest.fixture(scope="module")
def corpus(records) -> list[P]:
    return [GRAPH.parse(record["program"]) for record in records]


@pytest.fixture(scope="module")
def compressed(corpus) -> LibraryResult:
    return StitchLearner().compress(GRAPH, corpus)


def check_preserves(before: Grammar, programs, result: LibraryResult) -> None:
    """Rewritten programs expand to the originals, and every invention is typed as the grammar infers."""
    assert len(result.programs) == len(programs)
    for original, rewritten in zip(programs, result.programs):
        assert result.grammar.expand(rewritten) == before.expand(original)
        result.grammar.check(rewritten)
    for invention in result.inventions:
        assert invention.name not in before.productions
        assert result.grammar.productions[invention.name] == invention
        assert result.grammar.make_invention(invention.name, invention.body) == invention


def test_registered_through_the_entry_point(monkeypatch):
    monkeypatch.setenv("FRAMEWORK_LOAD_PLUGINS", "library")  # not the neural plugins (torch)
    registry = build_registry()
    assert registry.get("library_learner", "stitch").info.options is StitchOptions
    learner = build_plugin(registry, "library_learner", "stitch", {"iterations": 2, "max_arity": 1})
    assert isinstance(learner, StitchLearner) and learner.options.max_arity == 1


@pytest.mark.parametrize(
    "options", [{"iterations": 0}, {"max_arity": -1}, {"threads": 0}, {"structure_penalty": 0}, {"iterations": "3"}]
)
def test_bad_options_are_refused_before_stitch_runs(options):
    with pytest.raises((ValueError, TypeError)):
        StitchOptions(**options)


def test_conformance_corpus(corpus, records, compressed):
    """The seed's 69 programs: stitch's own ratio, meaning kept exactly (recorded graphs)."""
    texts = [record["program"] for record in records]
    raw = stitch_core.compress(texts, iterations=3, max_arity=2, **FIRST_ORDER)
    assert [i.name for i in compressed.inventions] == ["inv_0", "inv_1", "inv_2"]
    assert [i.arguments for i in compressed.inventions] == [("t",), (), ("t",)]
    assert compressed.inventions[2].body == P("next_port", (P("inv_0", (hole(0),)),))  # builds on inv_0
    assert compressed.ratio == pytest.approx(raw.json["compression_ratio"])
    assert sum(map(stitch_cost, corpus)) == raw.json["original_cost"]
    assert sum(map(stitch_cost, compressed.programs)) == raw.json["final_cost"]
    check_preserves(GRAPH, corpus, compressed)
    domain = GraphDomain()
    for record, rewritten in zip(records, compressed.programs):
        assert domain.evaluate(rewritten, compressed.grammar) == PortGraph.from_json(record["output"])


def test_saved_version_restores_inventions(tmp_path, compressed):
    path = tmp_path / "graph.v1.lark"
    compressed.grammar.save(path)
    loaded = Grammar.load(path)
    assert loaded == compressed.grammar
    for program in compressed.programs:
        assert loaded.parse(compressed.grammar.print(program)) == program


def test_second_round_builds_on_existing_inventions(corpus, compressed):
    again = StitchLearner().compress(compressed.grammar, compressed.programs)
    assert again.inventions, "the rewritten corpus still has common structure"
    assert [i.name for i in again.inventions] == [f"inv_{k}" for k in range(3, 3 + len(again.inventions))]
    check_preserves(compressed.grammar, compressed.programs, again)
    assert [again.grammar.expand(p) for p in again.programs] == corpus


def test_rediscovered_inventions_map_onto_existing_ones(corpus, compressed):
    """Base programs compressed again under the learned grammar: same bodies, no duplicates."""
    again = StitchLearner().compress(compressed.grammar, corpus)
    assert again.inventions == ()
    assert again.grammar is compressed.grammar
    assert again.programs == compressed.programs


def test_rediscovery_with_permuted_arguments():
    """An existing inv_0 x k = (func x (push (add k))); stitch numbers the holes the other way round."""
    existing = GRAPH.make_invention("inv_0", P("func", (hole(0), P("push", (P("add", (hole(1),)),)))))
    grammar = GRAPH.with_inventions([existing])
    texts = [
        "(func (move identity) (push (add (connect identity))))",
        "(func (pop (next_port identity)) (push (add (prev_port identity))))",
        "(func (connect identity) (push (add (move (pop identity)))))",
        "(next_port (func (prev_port identity) (push (add identity))))",
    ]
    programs = [GRAPH.parse(text) for text in texts]
    raw = stitch_core.compress(texts, iterations=3, max_arity=2, **FIRST_ORDER)
    assert raw.abstractions[0].body == "(func #1 (push (add #0)))"  # the case under test
    result = StitchLearner().compress(grammar, programs)
    assert "func" not in {i.body.production for i in result.inventions}
    assert result.programs[0] == P("inv_0", (P("move", (P("identity"),)), P("inv_1")))
    check_preserves(grammar, programs, result)


def test_nothing_to_learn_leaves_everything_unchanged():
    learner = StitchLearner()
    assert learner.compress(GRAPH, []) == LibraryResult(GRAPH, (), (), 1.0)
    single = (GRAPH.parse("(push (add (connect (push (add (connect identity))))))"),)
    result = learner.compress(GRAPH, single)  # one program: nothing is used by two tasks
    assert result.grammar is GRAPH and result.programs == single and result.ratio == 1.0


def test_single_task_inventions_on_request():
    program = GRAPH.parse("(push (add (connect (push (add (connect (push (add (connect identity)))))))))")
    result = StitchLearner(StitchOptions(allow_single_task=True)).compress(GRAPH, [program])
    assert result.inventions and result.ratio > 1.0
    check_preserves(GRAPH, [program], result)


def test_programs_outside_the_grammar_are_refused():
    with pytest.raises(ProgramError, match=r"program 1 .*unknown production 'jump'"):
        StitchLearner().compress(GRAPH, [P("identity"), P("jump", (P("identity"),))])
    with pytest.raises(ProgramError, match="program 0"):
        StitchLearner().compress(GRAPH, [P("push")])


def test_stitch_failures_become_framework_errors():
    with pytest.raises(FrameworkError, match="stitch-core failed on 1 programs"):
        StitchLearner()._run(["(push identity"])


def test_typed_holes_in_a_two_type_grammar():
    texts = [
        "if(lt(x, 1), add(x, x), neg(x))",
        "if(lt(add(x, 1), 1), add(x, x), 0)",
        "if(lt(mul(x, x), 1), add(x, x), x)",
        "add(1, if(lt(x, 1), add(x, x), neg(neg(x))))",
    ]
    programs = [ARITH.parse(text) for text in texts]
    result = StitchLearner().compress(ARITH, programs)
    assert result.inventions
    check_preserves(ARITH, programs, result)
    top = result.inventions[0]
    assert top.nonterminal == "int" and set(top.arguments) == {"int"}
    assert ARITH.print(programs[0]) == texts[0]
    assert result.grammar.parse(result.grammar.print(result.programs[0])) == result.programs[0]


def test_curried_abstractions_are_inlined():
    """Without stitch's first-order switches a hole can stand for a function: that is rejected, uses inlined."""
    texts = [
        "(func (push identity) (func (push identity) (add identity)))",
        "(func (pop identity) (func (pop identity) (connect identity)))",
        "(func (move identity) (func (move identity) (next_port identity)))",
    ]
    raw = stitch_core.compress(texts, iterations=3, max_arity=3)
    assert "(#1 identity)" in raw.abstractions[0].body  # curried: the case under test
    abstractions = [Abstraction(a.name, a.body, a.arity) for a in raw.abstractions]
    inventions, programs, resolutions = translate(GRAPH, abstractions, raw.rewritten)
    assert inventions == ()
    assert isinstance(resolutions["fn_0"], _Inline)
    assert [repr(p) for p in programs] == texts


def test_a_hole_of_two_types_is_rejected():
    abstractions = [Abstraction("fn_0", "(if #0 #0 x)", 1), Abstraction("fn_1", "(add #0 (neg x))", 1)]
    inventions, programs, resolutions = translate(ARITH, abstractions, ["(fn_1 (fn_1 x))"])
    assert isinstance(resolutions["fn_0"], _Inline)
    assert resolutions["fn_1"] == _Alias("inv_0", (0,))
    assert [i.arguments for i in inventions] == [("int",)]
    assert programs == (P("inv_0", (P("inv_0", (P("x"),)),)),)


def test_holes_lost_in_expansion_are_rejected():
    """An existing invention may ignore an argument; an abstraction with a hole there is inlined."""
    text = GRAPH.base_text.rstrip("\n") + (
        "\n\n// ==== framework grammar version: generated below, edit at your own risk ====\n"
        "// @invention inv_0 : t t -> t = (push #0)\n"
        '%extend t: "(" "inv_0" t t ")" -> inv_0\n'
    )
    grammar = Grammar.from_text(text)
    texts = [
        "(add (connect (inv_0 (move identity) (pop (pop identity)))))",
        "(add (connect (inv_0 (next_port identity) (prev_port (pop identity)))))",
        "(add (connect (inv_0 (connect identity) (move (pop identity)))))",
    ]
    raw = stitch_core.compress(texts, iterations=3, max_arity=2, **FIRST_ORDER)
    assert raw.abstractions[0].body == "(add (connect (inv_0 #1 #0)))"  # the case under test
    programs = [grammar.parse(t) for t in texts]
    result = StitchLearner().compress(grammar, programs)
    assert [i.body for i in result.inventions] == [P("pop", (P("identity"),))]
    check_preserves(grammar, programs, result)


def test_nested_uses_of_a_multi_use_abstraction():
    """Found by hypothesis: stitch's utility self-check panics on this corpus; the rewrite is sound."""
    texts = [
        "(func (func (push (push identity)) (func (push identity) (push identity)))"
        " (func (push (push identity)) (func (push identity) (push identity))))",
        "(push identity)",
        "(push identity)",
        "(func (push identity) (push identity))",
    ]
    with pytest.raises(stitch_core.StitchException, match="left == right"):
        stitch_core.compress(texts, iterations=1, max_arity=1, **FIRST_ORDER)
    programs = [GRAPH.parse(text) for text in texts]
    result = StitchLearner(StitchOptions(iterations=1, max_arity=1)).compress(GRAPH, programs)
    assert [i.body for i in result.inventions] == [P("func", (hole(0), hole(0)))]
    assert result.ratio > 1.0
    check_preserves(GRAPH, programs, result)
