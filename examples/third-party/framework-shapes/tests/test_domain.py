"""What the programs of shapes.lark build."""

import networkx as nx
import pytest
from hypothesis import given, settings

from framework import Rejection, port_graph_violations
from framework.testing import programs

from framework_shapes import ShapesDomain, ShapesOptions

DOMAIN = ShapesDomain()
GRAMMAR = DOMAIN.grammar


def build(text, domain=DOMAIN):
    return domain.evaluate(GRAMMAR.parse(text), GRAMMAR)


def test_the_grammar_has_two_types_addressed_by_name():
    assert (GRAMMAR.start, GRAMMAR.nonterminals) == ("shape", ("shape", "count"))
    assert [p.name for p in GRAMMAR.by_nonterminal("count")] == ["two", "three", "succ"]


@pytest.mark.parametrize(("text", "expected"), [
    ("path(3)", nx.path_graph(3)),
    ("ring(succ(3))", nx.cycle_graph(4)),
    ("star(3)", nx.star_graph(3)),
    ("join(dot, dot)", nx.path_graph(2)),
    ("join(path(2), path(2))", nx.path_graph(4)),        # 1-0-2-3: anchors joined
    ("fuse(path(2), path(2))", nx.path_graph(3)),        # the anchors become one node
    ("fuse(star(2), star(succ(2)))", nx.star_graph(5)),  # stars fused at their centres
    ("fuse(ring(3), ring(3))", nx.from_edgelist([(0, 1), (1, 2), (2, 0), (0, 3), (3, 4), (4, 0)])),  # a bow tie
])
def test_each_shape_and_composition(text, expected):
    shape = build(text)
    assert nx.is_isomorphic(shape.graph(), expected)
    assert port_graph_violations(DOMAIN.to_graph(shape)) == []


def test_the_anchor_is_the_first_shapes_anchor():
    # a dot joined to a path hangs from the path's first node, its end: a longer path, not a star
    assert nx.is_isomorphic(build("join(path(3), dot)").graph(), nx.path_graph(4))


@pytest.mark.parametrize(("text", "options", "reason"), [
    ("dot", ShapesOptions(), "single node"),
    ("ring(2)", ShapesOptions(), "degenerate ring"),
    ("star(succ(succ(3)))", ShapesOptions(max_conn=4), "too many ports"),
    ("path(succ(succ(3)))", ShapesOptions(max_nodes=4), "too large"),
    ("join(path(3), path(3))", ShapesOptions(step_budget=4), "budget exceeded"),  # five steps
    ("fuse(path(3), path(3))", ShapesOptions(step_budget=5), None),
])
def test_rejections(text, options, reason):
    output = build(text, ShapesDomain(options))
    assert (output.reason if isinstance(output, Rejection) else None) == reason


def test_a_crowded_graph_without_a_common_free_port_is_rejected_not_raised():
    # both anchors have degree 3 <= max_conn, but the ring's holds ports 0 and 2, the star's 0 and 1:
    # the edge between them has no port free at both ends
    domain = ShapesDomain(ShapesOptions(max_conn=3))
    rejection = build("join(ring(3), star(2))", domain)
    assert isinstance(rejection, Rejection) and rejection.reason == "too many ports"


def test_equivalence_is_isomorphism():
    assert DOMAIN.equivalent(build("fuse(path(2), path(2))"), build("path(3)"))
    assert DOMAIN.key(build("fuse(path(2), path(2))")) == DOMAIN.key(build("path(3)"))
    assert not DOMAIN.equivalent(build("star(3)"), build("path(succ(3))"))


@settings(max_examples=200, deadline=None)
@given(programs(GRAMMAR, max_size=14), programs(GRAMMAR, max_size=14))
def test_key_and_equivalence_agree_with_networkx(a, b):
    a, b = DOMAIN.evaluate(a, GRAMMAR), DOMAIN.evaluate(b, GRAMMAR)
    if isinstance(a, Rejection) or isinstance(b, Rejection):
        return
    same = nx.is_isomorphic(a.graph(), b.graph())
    assert DOMAIN.equivalent(a, b) == same
    if same:
        assert DOMAIN.key(a) == DOMAIN.key(b)
