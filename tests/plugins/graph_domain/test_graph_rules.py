"""Every rewrite rule of the graph domain preserves outputs (Hypothesis), and enumeration uses them."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from framework import Grammar, Program
from framework.dsl.heap_search import HeapSearch
from framework.dsl.pcfg import compile_table
from framework.explore import explore
from framework.dsl.rules import instantiate, is_variable, parse_rule, parse_rules, redexes, sharpen
from framework.dsl.program import nodes
from framework.testing import programs
from framework_plugins.graph_domain import GraphDomain, GraphDomainOptions
from framework_plugins.graph_domain.rules import REWRITE_RULES
from framework_plugins.synthesizers import EnumerativeOptions, EnumerativeSynthesizer

GRAPH = Grammar.load_builtin("graph")
DOMAIN = GraphDomain(GraphDomainOptions(equivalence="ported"))


def _paths(program: Program) -> list[tuple[int, ...]]:
    out, stack = [], [((), program)]
    while stack:
        path, node = stack.pop()
        out.append(path)
        stack.extend(((*path, i), c) for i, c in enumerate(node.children))
    return out


def _put(program: Program, path: tuple[int, ...], new: Program) -> Program:
    if not path:
        return new
    i, children = path[0], program.children
    return Program(program.production, (*children[:i], _put(children[i], path[1:], new), *children[i + 1:]))


@pytest.mark.parametrize("text", REWRITE_RULES)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_each_rule_preserves_the_output_in_any_context(text, data):
    rule = parse_rule(text)
    variables = sorted({n.production for n in nodes(rule.lhs) if is_variable(n)})
    bindings = {v: data.draw(programs(GRAPH, max_size=8, inventions=False), label=v) for v in variables}
    context = data.draw(programs(GRAPH, max_size=12, inventions=False), label="context")
    path = () if rule.anchored else data.draw(st.sampled_from(_paths(context)), label="position")
    before = _put(context, path, instantiate(rule.lhs, bindings))
    after = _put(context, path, instantiate(rule.rhs, bindings))
    assert DOMAIN.evaluate(before, GRAPH) == DOMAIN.evaluate(after, GRAPH), (before, after)


def test_the_rules_are_well_formed_and_apply_to_the_graph_grammar():
    rules = parse_rules(REWRITE_RULES)
    table = compile_table(GRAPH)
    sharpened = sharpen(table, rules)
    assert sharpened is not table
    found = [p for _, p in HeapSearch(sharpened, 6)]
    assert found and not any(redexes(p, rules) for p in found)


def test_pruned_enumeration_finds_every_output_the_plain_one_finds_with_fewer_programs():
    def run(prune: bool):
        synthesizer = EnumerativeSynthesizer(EnumerativeOptions(max_size=7, prune=prune))
        return explore(DOMAIN, GRAPH, [("enumerative", synthesizer)], [], want=10**6,
                       rng=random.Random(0), budget=10**6)

    plain, pruned = run(False), run(True)
    assert pruned.stats.proposed < plain.stats.proposed
    assert pruned.stats.found == plain.stats.found > 0


def test_a_domain_without_rules_is_enumerated_as_before():
    class Bare:
        def __init__(self):
            self.inner = GraphDomain()

        def evaluate(self, program, grammar):
            return self.inner.evaluate(program, grammar)

        def key(self, output):
            return self.inner.key(output)

        def equivalent(self, a, b):
            return self.inner.equivalent(a, b)

    synthesizer = EnumerativeSynthesizer(EnumerativeOptions(max_size=10))
    result = explore(Bare(), GRAPH, [("enumerative", synthesizer)], [], want=10**6,
                     rng=random.Random(0), budget=3000)
    plain = [p for _, p in HeapSearch(compile_table(GRAPH), 10).take(3000)]
    assert result.stats.proposed == 3000
    assert [f.program for f in result.found] == [p for p in plain if p in {f.program for f in result.found}]
    assert EnumerativeSynthesizer(EnumerativeOptions(max_size=10)).state() == {}
