"""The graph domain as a plugin: registration, options, the domain object's contract."""

from __future__ import annotations

import pytest

from framework import Grammar, PortGraph, Program, Rejection, hole
from framework.plugins import build_registry
from framework_plugins.graph_domain import GraphDomain, GraphDomainOptions
from framework_plugins.graph_domain.equivalence import ported_key, simple_key

GRAMMAR = Grammar.load_builtin("graph")
ONE_EDGE = GRAMMAR.parse("(push (add (connect identity)))")


def test_registered_through_the_entry_point_group(monkeypatch):
    monkeypatch.setenv("FRAMEWORK_LOAD_PLUGINS", "graph_domain")  # not the neural plugins: fast
    registered = build_registry().get("domain", "graph")
    assert registered.info.factory is GraphDomain
    assert registered.info.options is GraphDomainOptions
    assert registered.source == "framework_plugins.graph_domain"
    domain = registered.info.factory(registered.info.options())
    assert isinstance(domain.evaluate(ONE_EDGE, GRAMMAR), PortGraph)


@pytest.mark.parametrize(
    "options",
    [{"max_conn": 0}, {"step_budget": 0}, {"step_budget": 1.5}, {"equivalence": "exact"}],
)
def test_invalid_options_are_refused(options):
    with pytest.raises((ValueError, TypeError)):
        GraphDomainOptions(**options)


def test_default_grammar_is_the_builtin_graph_grammar_loaded_once():
    domain = GraphDomain()
    assert domain.grammar == GRAMMAR
    assert domain.grammar is domain.grammar


def test_evaluate_honours_max_conn_and_step_budget():
    program = GRAMMAR.parse("(prev_port (push (add (connect identity))))")
    assert GraphDomain(GraphDomainOptions(max_conn=4)).evaluate(program, GRAMMAR).undirected_edges == ((2, 0, 1, 3),)
    assert GraphDomain(GraphDomainOptions(step_budget=4)).evaluate(program, GRAMMAR).reason == "budget exceeded"
    assert GraphDomain().evaluate(GRAMMAR.parse("identity")) == Rejection("single node")


def test_evaluate_follows_grammar_versions():
    """Inventions are looked up in the grammar passed, not in a table cached for an older one."""
    domain = GraphDomain()
    attach = GRAMMAR.with_inventions(
        [GRAMMAR.make_invention("grow", Program("add", (Program("connect", (hole(0),)),)))]
    )
    dangle = GRAMMAR.with_inventions([GRAMMAR.make_invention("grow", Program("add", (hole(0),)))])
    program = Program("push", (Program("grow", (Program("identity"),)),))
    assert domain.evaluate(program, attach) == domain.evaluate(ONE_EDGE, GRAMMAR)
    assert domain.evaluate(program, dangle).reason == "not connected"
    assert isinstance(domain.evaluate(program, attach), PortGraph)


@pytest.mark.parametrize(("equivalence", "key"), [("simple", simple_key), ("ported", ported_key)])
def test_key_and_equivalent_follow_the_option(equivalence, key):
    domain = GraphDomain(GraphDomainOptions(equivalence=equivalence))
    graph = domain.evaluate(ONE_EDGE, GRAMMAR)
    other_port = domain.evaluate(GRAMMAR.parse("(next_port (push (add (connect identity))))"), GRAMMAR)
    assert domain.key(graph) == key(graph)
    assert domain.equivalent(graph, other_port) == (equivalence == "simple")
    assert domain.to_graph(graph) is graph
