"""docs/authoring.md covers what writing a plugin needs without the source (issue 11, observation 9)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import framework.testing
from framework import KINDS, PortGraph, build_port_graph
from framework.testing import port_graph_violations

GUIDE = (Path(__file__).resolve().parents[1] / "docs" / "authoring.md").read_text()


def test_every_contract_suite_and_template_is_in_the_guide():
    suites = [name for name in framework.testing.__all__ if name.startswith("check_")]
    assert len(suites) == len(KINDS)
    for name in suites:
        assert f"`{name}(" in GUIDE, name
    table = GUIDE.split("| kind | the template | its test |")[1].split("\n\n")[0]
    assert {row.split("|")[1].strip() for row in table.strip().splitlines()[1:]} == set(KINDS)


@pytest.mark.parametrize("name", ["PortGraph", "build_port_graph", "next_id", "max_conn", "Backbone.pooled",
                                  "LayerStackOptions", "build_registry", "registered(", "run_spec",
                                  "min_sizes", "propose(grammar, population, budget, rng)", "--traceback",
                                  "framework new-plugin", "run.json"])
def test_what_authors_needed_the_source_for_is_documented(name):
    assert name in GUIDE


def test_the_builder_example_prints_what_the_guide_says():
    shown = re.search(r"graph = (build_port_graph\(.*\))\n# (PortGraph\(.*\))", GUIDE)
    assert repr(eval(shown.group(1))) == shown.group(2)


@given(st.integers(2, 12).flatmap(lambda n: st.tuples(st.just(n), st.lists(st.integers(0, 10**6), min_size=n - 1,
                                                                             max_size=n - 1))))
def test_built_trees_are_valid_port_graphs(tree):
    nodes, parents = tree
    edges = [(parent % (child + 1), child + 1) for child, parent in enumerate(parents)]
    graph = build_port_graph(nodes, edges, max_conn=nodes)
    assert isinstance(graph, PortGraph) and port_graph_violations(graph) == []
    assert graph.size == nodes and graph.next_id == nodes + len(edges)


def test_the_builder_rejects_what_no_port_graph_can_hold():
    with pytest.raises(ValueError, match="two different nodes"):
        build_port_graph(2, [(0, 0)])
    with pytest.raises(ValueError, match="two different nodes"):
        build_port_graph(2, [(0, 2)])
    with pytest.raises(ValueError, match="no port below max_conn=2"):
        build_port_graph(4, [(0, 1), (0, 2), (0, 3)], max_conn=2)
