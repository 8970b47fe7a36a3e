"""Provenance: which node of a program built each element of its graph (what probes ablate per production)."""

from __future__ import annotations

from hypothesis import given

from framework import PortGraph, Program, Rejection, nodes
from framework_plugins.graph_domain import GraphDomain
from test_graph_properties import GRAMMAR, INVENTIONS, building, programs_with_inventions

DOMAIN = GraphDomain()
P = Program


def _elements(graph: PortGraph) -> set[int]:
    return set(graph.node_ids) | {e[0] for e in graph.undirected_edges}


def _owned(program: Program, grammar) -> tuple[PortGraph, list[str]] | None:
    """The graph and, per owned element in id order, the owning node's production (None if rejected);
    checks that exactly the built elements (all but the initial node) are owned."""
    graph = DOMAIN.evaluate(program, grammar)
    owners = DOMAIN.provenance(program, grammar)
    if isinstance(graph, Rejection):
        assert owners == {}
        return None
    assert set(owners) == _elements(graph) - {0}
    productions = [n.production for n in nodes(program)]
    return graph, [productions[owners[e]] for e in sorted(owners)]


@given(building)
def test_every_built_element_is_owned_by_the_add_or_connect_that_made_it(program):
    if (owned := _owned(program, GRAMMAR)) is not None:
        graph, productions = owned
        node_ids = set(graph.node_ids)
        built = sorted(_elements(graph) - {0})
        assert productions == ["add" if e in node_ids else "connect" for e in built]


@given(programs_with_inventions)
def test_an_invention_call_owns_what_its_body_builds(program):
    if (owned := _owned(program, INVENTIONS)) is not None:
        assert set(owned[1]) <= {"add", "connect", "inv_0", "inv_1", "inv_2"}


def test_nested_invention_calls_each_own_their_part():
    program = P("inv_0", (P("next_port", (P("inv_0", (P("identity"),)),)),))  # inv_0 k = (push (add (connect k)))
    assert DOMAIN.provenance(program, INVENTIONS) == {1: 0, 2: 0, 3: 2, 4: 2}
    expanded = INVENTIONS.expand(program)
    assert [n.production for n in nodes(expanded)][:4] == ["push", "add", "connect", "next_port"]
    assert DOMAIN.provenance(expanded, GRAMMAR) == {1: 1, 2: 2, 3: 5, 4: 6}
    assert DOMAIN.provenance(P("inv_0", (P("inv_0", (P("identity"),)),)), INVENTIONS) == {}  # not connected
