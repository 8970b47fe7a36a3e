"""Recursion in the graph DSL (graph-rec.lark): builders grow with n, bounds reject what never stops."""

from __future__ import annotations

import random

import networkx as nx
import pytest
from hypothesis import given, settings

from framework import Grammar, Rejection
from framework.dsl.heap_search import HeapSearch
from framework.dsl.pcfg import SizeTable, compile_table, sample_program
from framework.explore import explore
from framework.testing import programs
from framework_plugins.graph_domain import GraphDomain, GraphDomainOptions
from framework_plugins.synthesizers import BehaviouralSynthesizer
from tests.framework.dsl.test_heap_search import brute_force

REC = Grammar.load_builtin("graph-rec")


def _ladder(n: int) -> nx.Graph:
    graph = nx.ladder_graph(n)
    graph.add_edge(0, "start")  # it hangs from node 0, where the program starts
    return graph


def _seq(*ops: str, end: str = "(recurse identity)") -> str:
    text = end
    for op in reversed(ops):
        text = f"({op} {text})"
    return text


_CHILD = "(push (add (connect (next_port (recurse identity)))))"
BUILDERS = {
    "chain": ("(if_zero identity (push (add (connect (next_port (recurse identity))))))",
              lambda n: nx.path_graph(n + 1)),
    "star": ("(if_zero identity (push (add (connect (move (next_port (recurse identity)))))))",
             lambda n: nx.star_graph(n)),
    "binary tree": (f"(if_zero identity (func {_CHILD} (next_port (func {_CHILD} identity))))",
                    lambda n: nx.balanced_tree(2, n)),
    "ladder": ("(if_zero identity " + _seq(
        "push", "next_port", "add", "connect", "pop", "push", "move", "prev_port", "move", "add", "connect",
        "pop", "next_port", "connect", "push", "prev_port", "move", "next_port") + ")", _ladder),
}


def simple_graph(output) -> nx.Graph:
    graph = nx.Graph()
    graph.add_nodes_from(output.node_ids)
    graph.add_edges_from((u, v) for _, u, v, _ in output.undirected_edges)
    return graph


@pytest.mark.parametrize("name", BUILDERS)
@pytest.mark.parametrize("n", range(1, 7))
def test_a_recursive_builder_grows_with_its_argument(name, n):
    text, expected = BUILDERS[name]
    output = GraphDomain(GraphDomainOptions(argument=n)).evaluate(REC.parse(text), REC)
    assert not isinstance(output, Rejection), output
    assert nx.is_isomorphic(simple_graph(output), expected(n))


def test_at_zero_the_base_case_is_taken():
    text, _ = BUILDERS["chain"]
    assert GraphDomain(GraphDomainOptions(argument=0)).evaluate(REC.parse(text), REC) == Rejection("single node")


@pytest.mark.parametrize("text", [
    "(recurse identity)",                                        # no base case
    "(push (add (connect (next_port (recurse identity)))))",     # no base case, builds as it goes
    "(if_zero (recurse identity) (recurse identity))",           # the base case recurses too
])
def test_a_recursion_that_never_stops_is_rejected_by_the_depth_bound(text):
    domain = GraphDomain(GraphDomainOptions(argument=2, max_recursion=40))
    output = domain.evaluate(REC.parse(text), REC)
    assert output.reason == "budget exceeded" and "recursion deeper than 40" in output.detail


def test_a_recursion_too_large_for_the_step_budget_is_rejected_by_it():
    text, _ = BUILDERS["binary tree"]
    output = GraphDomain(GraphDomainOptions(argument=6, step_budget=500)).evaluate(REC.parse(text), REC)
    assert output == Rejection("budget exceeded", "more than 500 steps")


def test_enumeration_is_complete_and_duplicate_free():
    found = [p for _, p in HeapSearch(compile_table(REC), 5)]
    assert len(set(found)) == len(found)
    assert set(found) == brute_force(REC, 5)
    assert any(n.production == "recurse" for p in found for n in [p])


def test_sampling_draws_recursive_programs():
    sizes = SizeTable(compile_table(REC), 15)
    rng = random.Random(0)
    drawn = [sample_program(sizes, rng) for _ in range(300)]
    assert any("recurse" in repr(p) for p in drawn) and any("if_zero" in repr(p) for p in drawn)


@settings(max_examples=100, deadline=None)
@given(programs(REC, max_size=20))
def test_printer_and_parser_round_trip_and_evaluation_is_bounded(program):
    assert REC.parse(REC.print(program)) == program
    output = GraphDomain(GraphDomainOptions(argument=4)).evaluate(program, REC)
    assert not isinstance(output, Rejection) or output.reason in {"single node", "not connected", "budget exceeded"}


def test_behavioural_search_leaves_the_recursive_productions_out():
    synthesizer = BehaviouralSynthesizer()
    result = explore(GraphDomain(), REC, [("behavioural", synthesizer)], [], want=20,
                     rng=random.Random(0), budget=5000)
    assert result.stats.found >= 3
    assert not any("recurse" in repr(f.program) or "if_zero" in repr(f.program) for f in result.found)


def test_a_quickstart_sized_run_uses_the_recursive_grammar(tmp_path, monkeypatch):
    import json

    from framework.cli import main
    from framework.dsl.grammar import grammars_dir
    from tiny_runs import TINY, write_spec

    monkeypatch.setenv("FRAMEWORK_CACHE", str(tmp_path / "cache"))
    spec = write_spec(tmp_path, {  # the engine tests' tiny run, on the recursive grammar
        "domain.grammar": (grammars_dir() / "graph-rec.lark").as_posix(), "domain.argument": 3,
        "synthesizers": [*TINY["synthesizers"], {"plugin": "behavioural"}], "population.explore_budget": 5000,
        "population.initial": [BUILDERS["chain"][0], BUILDERS["binary tree"][0]]})
    assert main(["run", str(spec), "--out", str(tmp_path / "run")]) == 0
    members = [json.loads(line) for line in (tmp_path / "run" / "population" / "g0.jsonl").read_text().splitlines()]
    programs = {m["program"] for m in members}
    assert BUILDERS["chain"][0] in programs and BUILDERS["binary tree"][0] in programs
    grammar = Grammar.load(tmp_path / "run" / "grammars" / "g1.lark")
    assert {"if_zero", "recurse"} <= set(grammar.productions)
