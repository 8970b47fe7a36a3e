"""Library learning never changes meaning (ARCHITECTURE.md invariant), on random corpora.

The graph domain evaluates each original program under the old grammar and
each rewritten one under the new grammar (interpreting inventions through
their bodies, not through ``expand``): outputs must be identical. Corpora
are drawn from a few shared fragments so that stitch finds something.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from framework import Grammar, Program, hole
from framework_plugins.graph_domain import GraphDomain
from framework_plugins.library import StitchLearner, StitchOptions
from framework_plugins.library.inventions import Abstraction, canonical, translate
from framework_plugins.library.stitch import stitch_cost

GRAPH = Grammar.load_builtin("graph")
DOMAIN = GraphDomain()
UNARY = ("push", "add", "connect", "next_port", "prev_port", "move", "pop")


def chain(names, k: Program) -> Program:
    for name in reversed(names):
        k = Program(name, (k,))
    return k


def _grow(inner: st.SearchStrategy[Program], fragments: list[tuple[str, ...]]) -> st.SearchStrategy[Program]:
    return st.one_of(
        st.builds(chain, st.sampled_from(fragments), inner),
        st.builds(lambda f, k: Program("func", (f, k)), inner, inner),
        st.builds(lambda *c: Program("if_positions_equal", c), inner, inner, inner, inner, inner),
    )


@st.composite
def corpora(draw) -> list[Program]:
    fragments = draw(st.lists(st.lists(st.sampled_from(UNARY), min_size=1, max_size=4).map(tuple), min_size=1, max_size=3))
    fragments.append(("push", "add", "connect"))
    leaf = st.builds(chain, st.sampled_from(fragments), st.just(Program("identity")))
    programs = st.recursive(leaf, lambda inner: _grow(inner, fragments), max_leaves=8)
    return draw(st.lists(programs, min_size=2, max_size=6))


options = st.builds(StitchOptions, iterations=st.integers(1, 4), max_arity=st.integers(0, 3))


def check_meaning(before: Grammar, programs, result) -> None:
    for original, rewritten in zip(programs, result.programs, strict=True):
        assert DOMAIN.evaluate(rewritten, result.grammar) == DOMAIN.evaluate(original, before)
        assert result.grammar.expand(rewritten) == before.expand(original)


def check_one_invention_per_meaning(grammar: Grammar) -> None:
    """No two inventions expand to the same body, up to the order of their arguments."""
    meanings = {canonical(grammar.expand(Program(i.name, tuple(map(hole, range(i.arity))))))[0]
                for i in grammar.inventions}
    assert len(meanings) == len(grammar.inventions), "two inventions with one meaning"


@given(corpora(), options)
@settings(max_examples=30)
def test_compression_preserves_meaning(programs, options):
    learner = StitchLearner(options)
    first = learner.compress(GRAPH, programs)
    check_meaning(GRAPH, programs, first)
    assert first.ratio >= 1.0
    assert first.ratio == sum(map(stitch_cost, programs)) / sum(map(stitch_cost, first.programs))
    assert len({i.name for i in first.inventions}) == len(first.inventions)
    for invention in first.inventions:
        assert first.grammar.make_invention(invention.name, invention.body) == invention
    # A second round reads the inventions as opaque symbols, and may build on them.
    second = learner.compress(first.grammar, first.programs)
    check_meaning(first.grammar, first.programs, second)
    assert [second.grammar.expand(p) for p in second.programs] == programs
    check_one_invention_per_meaning(second.grammar)


@given(corpora(), options)
@settings(max_examples=20)
def test_rediscovery_keeps_one_invention_per_meaning(programs, options):
    """Base programs compressed under a grammar that already has inventions learned from them."""
    learner = StitchLearner(options)
    first = learner.compress(GRAPH, programs)
    again = learner.compress(first.grammar, programs)
    check_meaning(GRAPH, programs, again)
    check_one_invention_per_meaning(again.grammar)


@given(corpora(), st.integers(1, 4), st.integers(1, 3))
@settings(max_examples=30)
def test_curried_abstractions_are_inlined_without_changing_meaning(programs, iterations, max_arity):
    """Stitch without its first-order switches: whatever it returns, translation keeps meaning."""
    import stitch_core

    # no_mismatch_check as in the plugin: stitch-core 0.1.29's self-check panics on
    # some sound abstractions such as (func #0 #0) used inside itself
    raw = stitch_core.compress([repr(p) for p in programs], iterations=iterations, max_arity=max_arity,
                               no_mismatch_check=True)
    abstractions = [Abstraction(a.name, a.body, a.arity) for a in raw.abstractions]
    inventions, rewritten, _ = translate(GRAPH, abstractions, raw.rewritten)
    grammar = GRAPH.with_inventions(inventions) if inventions else GRAPH
    assert [grammar.expand(p) for p in rewritten] == programs
    for invention in inventions:
        assert grammar.make_invention(invention.name, invention.body) == invention
