"""Property tests of the graph domain: output invariants, inventions, equivalence."""

from __future__ import annotations

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from framework import Grammar, PortGraph, Program, Rejection, hole, mass
from framework.testing import port_graph_violations, port_graphs, programs
from framework_plugins.graph_domain import GraphDomain, GraphDomainOptions
from framework_plugins.graph_domain.equivalence import (
    ported_equivalent,
    ported_key,
    simple_equivalent,
    simple_key,
)
from framework_plugins.graph_domain.interpreter import interpret

GRAMMAR = Grammar.load_builtin("graph")
IDENTITY = Program("identity")
# framework.testing.programs draws productions uniformly and rarely builds a
# connected graph (about 1 in 20 at size 40); `building` biases towards graphs:
# push-add-connect (on a fresh port or not) comes as one segment, weighted up.
SEGMENTS = [("push", "add", "connect"), ("next_port", "push", "add", "connect")] * 2 + [
    ("next_port",),
    ("prev_port",),
    ("move",),
    ("pop",),
    ("push",),
    ("connect",),
    ("add",),
]
segments = st.lists(st.sampled_from(SEGMENTS), max_size=5)


def prefixed(names: list[tuple[str, ...]], program: Program) -> Program:
    """``program`` preceded by the unary primitives in ``names``."""
    for segment in reversed(names):
        for name in reversed(segment):
            program = Program(name, (program,))
    return program


def _extend(inner: st.SearchStrategy[Program]) -> st.SearchStrategy[Program]:
    return st.builds(
        prefixed,
        segments,
        st.one_of(
            st.builds(lambda f, k: Program("func", (f, k)), inner, inner),
            st.builds(lambda *c: Program("if_positions_equal", c), inner, inner, inner, inner, inner),
        ),
    )


building = st.recursive(st.builds(prefixed, segments, st.just(IDENTITY)), _extend, max_leaves=12)


def check_invariants(graph: PortGraph) -> None:
    """The output invariants of ARCHITECTURE.md, plus the seed's id and order conventions."""
    assert port_graph_violations(graph) == []
    slots = [(u, p) for u, p, _, _ in graph.edges]
    assert slots == sorted(slots, reverse=True), "edges are not in the seed's order"
    nodes, edge_ids = set(graph.node_ids), {i for _, _, i, _ in graph.edges}
    assert 0 in nodes and nodes | edge_ids == set(range(graph.next_id)), "ids not contiguous"


@given(st.one_of(programs(GRAMMAR, max_size=40), building))
@settings(max_examples=300)
def test_outputs_satisfy_the_invariants(program):
    output = interpret(program)
    if isinstance(output, Rejection):
        assert output.reason in {"single node", "not connected"}
    else:
        check_invariants(output)
        assert interpret(program) == output  # deterministic


def test_biased_programs_do_build_graphs():
    """Guards the strategy above: the invariant test must see real graphs."""
    built = 0

    @given(building)
    @settings(max_examples=200, database=None, derandomize=True)
    def count(program):
        nonlocal built
        built += isinstance(interpret(program), PortGraph)

    count()
    assert built >= 40


# ---- inventions -----------------------------------------------------------

P = Program


def _inventions_grammar() -> Grammar:
    """inv_0 k = (push (add (connect k))); inv_1 uses inv_0 and its hole five times; inv_2 has two holes."""
    inv_0 = GRAMMAR.make_invention("inv_0", P("push", (P("add", (P("connect", (hole(0),)),)),)))
    g = GRAMMAR.with_inventions([inv_0])
    k = hole(0)
    inv_1 = g.make_invention(
        "inv_1", P("if_positions_equal", (k, P("move", (k,)), P("inv_0", (k,)), k, P("next_port", (k,))))
    )
    g = g.with_inventions([inv_1])
    inv_2 = g.make_invention("inv_2", P("func", (P("inv_0", (hole(0),)), P("inv_1", (hole(1),)))))
    return g.with_inventions([inv_2])


INVENTIONS = _inventions_grammar()


def _extend_with_inventions(inner: st.SearchStrategy[Program]) -> st.SearchStrategy[Program]:
    return st.one_of(
        _extend(inner),
        st.builds(lambda name, k: Program(name, (k,)), st.sampled_from(("inv_0", "inv_1")), inner),
        st.builds(lambda f, k: Program("inv_2", (f, k)), inner, inner),
    )


programs_with_inventions = st.one_of(
    programs(INVENTIONS, max_size=30),
    st.recursive(st.builds(prefixed, segments, st.just(IDENTITY)), _extend_with_inventions, max_leaves=8),
)


@given(programs_with_inventions, st.integers(1, 400))
@settings(max_examples=300)
def test_inventions_mean_their_expansion_budget_included(program, budget):
    """Interpreting through bodies == interpreting the expanded program, step budget included."""
    domain = GraphDomain(GraphDomainOptions(step_budget=budget))
    assert domain.evaluate(program, INVENTIONS) == interpret(INVENTIONS.expand(program), step_budget=budget)


@given(programs_with_inventions)
def test_a_run_never_takes_more_steps_than_the_mass(program):
    domain = GraphDomain(GraphDomainOptions(step_budget=mass(program, INVENTIONS)))
    output = domain.evaluate(program, INVENTIONS)
    assert not (isinstance(output, Rejection) and output.reason == "budget exceeded")


def test_pathological_sharing_is_stopped_by_the_step_budget():
    """A hole used five times, nested 40 deep: about 4**40 steps; rejected within the budget."""
    inv = GRAMMAR.make_invention("inv_0", P("if_positions_equal", (hole(0),) * 5))
    grammar = GRAMMAR.with_inventions([inv])
    program = IDENTITY
    for _ in range(40):
        program = P("inv_0", (program,))
    domain = GraphDomain(GraphDomainOptions(step_budget=20_000))
    assert domain.evaluate(program, grammar) == Rejection("budget exceeded", "more than 20000 steps")
    # exactly at the bound: depth d takes s(d) steps, s(d) = 4 s(d-1) + 1 (the if, two probes,
    # one branch, the continuation), s(0) = 1
    steps = 1
    for _ in range(5):
        steps = 4 * steps + 1
    small = P("inv_0", (P("inv_0", (P("inv_0", (P("inv_0", (P("inv_0", (IDENTITY,)),)),)),)),))
    assert GraphDomain(GraphDomainOptions(step_budget=steps)).evaluate(small, grammar).reason == "single node"
    assert GraphDomain(GraphDomainOptions(step_budget=steps - 1)).evaluate(small, grammar).reason == "budget exceeded"


# ---- equivalence ----------------------------------------------------------

def relabelled(graph: PortGraph, permutation: list[int]) -> PortGraph:
    """``graph`` with its i-th node renamed to its ``permutation[i]``-th node."""
    nodes = graph.node_ids
    rename = {nodes[i]: nodes[j] for i, j in enumerate(permutation)}
    edges = tuple(sorted(((rename[u], p, i, rename[v]) for u, p, i, v in graph.edges), reverse=True))
    return PortGraph(edges=edges, next_id=graph.next_id, size=graph.size, max_conn=graph.max_conn)


@given(port_graphs(), st.randoms(use_true_random=False))
def test_relabelled_copies_are_equivalent_with_equal_keys(graph, rng):
    permutation = list(range(graph.size))
    rng.shuffle(permutation)
    copy = relabelled(graph, permutation)
    assert simple_equivalent(graph, copy) and ported_equivalent(graph, copy)
    assert simple_key(graph) == simple_key(copy) and ported_key(graph) == ported_key(copy)


def _reference_multigraph(graph: PortGraph) -> nx.MultiGraph:
    result = nx.MultiGraph()
    result.add_nodes_from(graph.node_ids)
    result.add_edges_from((u, v, {"port": port}) for _, u, v, port in graph.undirected_edges)
    return result


# small graphs with few ports, so that equivalent pairs are common
@given(port_graphs(max_nodes=4, max_conn=2), port_graphs(max_nodes=4, max_conn=2))
@settings(max_examples=200)
def test_equivalent_graphs_have_equal_keys(a, b):
    # against networkx's plain VF2 on the multigraph: our checks take shortcuts and subdivide edges
    ref_a, ref_b = _reference_multigraph(a), _reference_multigraph(b)
    assert simple_equivalent(a, b) == nx.is_isomorphic(nx.Graph(ref_a), nx.Graph(ref_b))
    port_match = nx.algorithms.isomorphism.categorical_multiedge_match("port", None)
    assert ported_equivalent(a, b) == nx.is_isomorphic(ref_a, ref_b, edge_match=port_match)
    if simple_equivalent(a, b):
        assert simple_key(a) == simple_key(b)
    if ported_equivalent(a, b):
        assert ported_key(a) == ported_key(b)
        assert simple_equivalent(a, b)  # ported is the finer notion


def test_ported_equivalence_sees_ports_and_parallel_edges():
    base = interpret(GRAMMAR.parse("(push (add (connect identity)))"))
    other_port = interpret(GRAMMAR.parse("(next_port (push (add (connect identity))))"))
    parallel = interpret(GRAMMAR.parse("(push (add (connect (next_port (connect identity)))))"))
    for graph in (other_port, parallel):
        assert simple_equivalent(base, graph) and simple_key(base) == simple_key(graph)
        assert not ported_equivalent(base, graph) and ported_key(base) != ported_key(graph)


def test_simple_equivalence_separates_a_path_from_a_triangle():
    path = interpret(GRAMMAR.parse("(push (add (connect (push (add (next_port (connect identity)))))))"))
    # the same, then pop node 1 and connect the last node to node 0 as well
    triangle = interpret(
        GRAMMAR.parse("(push (add (connect (push (add (next_port (connect (pop (next_port (connect identity))))))))))")
    )
    assert path.size == triangle.size == 3 and len(triangle.undirected_edges) == 3
    assert not simple_equivalent(path, triangle) and simple_key(path) != simple_key(triangle)
    assert not ported_equivalent(path, triangle) and ported_key(path) != ported_key(triangle)
