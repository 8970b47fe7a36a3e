"""framework.testing: the program and port-graph strategies, and the invariant checker."""

from __future__ import annotations


import pytest
from conformance_data import graphs as conformance_graphs
from hypothesis import given, settings

from framework import Grammar, PortGraph, nodes, size
from framework.dsl.sexp import read_program
from framework.testing import min_sizes, port_graph_violations, port_graphs, programs

GRAPH = Grammar.load_builtin("graph")
ARITH = Grammar.load_builtin("arith")
ARITH_V1 = ARITH.with_inventions([ARITH.make_invention("dbl", read_program("(add #0 #0)"))])


@pytest.mark.parametrize("grammar", [GRAPH, ARITH, ARITH_V1], ids=["graph", "arith", "arith+dbl"])
def test_programs_are_well_typed_bounded_and_cover_the_grammar(grammar):
    seen: set[str] = set()

    @settings(max_examples=200)
    @given(programs(grammar, max_size=12))
    def check(program):
        grammar.check(program)
        assert size(program) <= 12
        seen.update(node.production for node in nodes(program))

    check()
    assert seen == set(grammar.productions)


def test_programs_of_another_nonterminal_and_without_inventions():
    @given(programs(ARITH_V1, max_size=6, nonterminal="bool", inventions=False))
    def check(program):
        ARITH_V1.check(program, "bool")
        assert "dbl" not in repr(program)

    check()


def test_min_sizes_and_impossible_bounds():
    assert min_sizes(ARITH) == {"int": 1, "bool": 1}
    grammar = Grammar.from_text('a: "(" b ")" -> wrap\nb: "x" -> x\n | "[" b "]" -> nest\n')
    assert min_sizes(grammar) == {"a": 2, "b": 1}
    with pytest.raises(ValueError, match="the smallest has 2"):
        programs(grammar, max_size=1)


@settings(max_examples=200)
@given(port_graphs())
def test_port_graphs_satisfy_the_invariants(graph):
    assert port_graph_violations(graph) == []
    assert PortGraph.from_json(graph.to_json()) == graph
    assert list(graph.edges) == sorted(graph.edges, key=lambda e: (e[0], e[1]), reverse=True)


def test_port_graphs_include_multi_edges():
    found = []

    @settings(max_examples=200)
    @given(port_graphs(max_nodes=3, max_conn=4))
    def check(graph):
        pairs = [(u, v) for _, u, v, _ in graph.undirected_edges]
        if len(pairs) != len(set(pairs)):
            found.append(graph)

    check()
    assert found


def test_archived_outputs_satisfy_the_invariants():
    for graph in conformance_graphs():
        assert port_graph_violations(graph) == []


@pytest.mark.parametrize(
    "edges, next_id, size, problem",
    [
        ((), 1, 1, "fewer than two nodes"),
        (((0, 0, 2, 1), (1, 0, 2, 0)), 4, 3, "not connected"),
        (((0, 10, 2, 1), (1, 10, 2, 0)), 3, 2, "outside 0..9"),
        (((0, 0, 2, 1),), 3, 2, "is not stored under (1, 0)"),
        (((0, 0, 2, 1), (1, 1, 2, 0)), 3, 2, "is not stored under (1, 0)"),
        (((0, 0, 2, 1), (1, 0, 2, 0), (0, 0, 3, 1), (1, 0, 3, 0)), 4, 2, "holds two edges"),
        (((0, 0, 2, 1), (1, 0, 2, 0)), 3, 5, "size 5 but 2 node ids"),
    ],
)
def test_violations_are_reported(edges, next_id, size, problem):
    graph = PortGraph(edges=edges, next_id=next_id, size=size)
    assert any(problem in p for p in port_graph_violations(graph)), port_graph_violations(graph)
