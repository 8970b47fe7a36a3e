"""Program measures: size, depth, mass (through inventions), log-probability."""

from __future__ import annotations

import math

import pytest

from framework import Program, depth, log_probability, mass, nodes, size
from framework.dsl.sexp import read_program as P


def test_measures_of_a_base_program(graph_grammar):
    p = P("(push (add (connect identity)))")
    assert (size(p), depth(p), mass(p, graph_grammar)) == (4, 4, 4)
    q = P("(func (push identity) (if_positions_equal identity identity identity identity identity))")
    assert (size(q), depth(q), mass(q, graph_grammar)) == (9, 3, 9)
    assert math.isclose(log_probability(q, graph_grammar), 9 * -math.log(10))


def test_mass_counts_expanded_inventions(graph_grammar):
    g1 = graph_grammar.with_inventions([graph_grammar.make_invention("inv1_0", P("(push (add (connect #0)))"))])
    g = g1.with_inventions([g1.make_invention("twice", P("(func (inv1_0 #0) (inv1_0 #0))"))])
    p = P("(twice (next_port identity))")
    assert size(p) == 3  # inventions are single productions before expansion
    assert mass(p, g) == size(g.expand(p)) == 1 + 2 * (3 + 2)
    # inventions are weighted as units
    assert math.isclose(log_probability(p, g),
                        g.logprobs["twice"] + g.logprobs["next_port"] + g.logprobs["identity"])


def test_deep_programs_do_not_hit_the_recursion_limit(graph_grammar):
    p = Program("identity")
    for _ in range(20_000):
        p = Program("next_port", (p,))
    assert size(p) == depth(p) == mass(p, graph_grammar) == 20_001
    assert graph_grammar.parse(graph_grammar.print(p)) == p
    assert repr(p) == "(next_port " * 20_000 + "identity" + ")" * 20_000


def test_programs_are_values():
    a, b = P("(func identity (push identity))"), P("(func identity (push identity))")
    assert a == b and hash(a) == hash(b) and a is not b
    assert a != P("(func identity (pop identity))")
    assert len({a, b}) == 1
    assert repr(a) == "(func identity (push identity))"


def test_hostile_invention_chain_saturates_mass_and_refuses_deep_expansion(graph_grammar):
    from framework import Production, ProgramError
    from framework.dsl.program import MASS_CAP

    inventions = [Production("d1", "t", ("t",), P("(func #0 #0)"))] + [
        Production(f"d{k + 1}", "t", ("t",), P(f"(d{k} (d{k} #0))")) for k in range(1, 40)
    ]
    g = graph_grammar.with_inventions(inventions)
    assert g.body_mass["d3"] == (1 + 2 + 4 * 3, (16,))  # figures are exact while small
    p = P("(d40 identity)")
    assert mass(p, g) == MASS_CAP
    assert mass(P("(d3 identity)"), g) == size(g.expand(P("(d3 identity)"))) == 15 + 16
    with pytest.raises(ProgramError, match="recursion limit"):
        g.expand(p)  # the expansion nests about 2^39 deep


def test_nodes_is_pre_order():
    p = P("(func (push identity) (pop identity))")
    assert [n.production for n in nodes(p)] == ["func", "push", "identity", "pop", "identity"]
