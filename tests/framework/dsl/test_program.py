"""Program measures: size, depth, mass (through inventions), log-probability."""

from __future__ import annotations

import math

from framework import Program, depth, log_probability, mass, size
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
