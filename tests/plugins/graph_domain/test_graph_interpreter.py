"""Semantics of each graph-DSL primitive (graph-dsl.md), on small hand-checked programs."""

from __future__ import annotations

import pytest

from framework import PortGraph, Program, Rejection, UsageError
from framework.dsl.grammar import Grammar
from framework_plugins.graph_domain.interpreter import MAX_NESTING, UnknownProductionError, interpret

GRAMMAR = Grammar.load_builtin("graph")


def run(text: str, **kwargs) -> PortGraph | Rejection:
    return interpret(GRAMMAR.parse(text), **kwargs)


def edges_of(text: str) -> set[tuple[int, int, int, int]]:
    """The output's edges as (edge_id, u, v, port) with u < v."""
    output = run(text)
    assert isinstance(output, PortGraph), output
    return set(output.undirected_edges)


def test_push_add_connect_builds_one_edge_in_seed_order():
    output = run("(push (add (connect identity)))")
    assert output == PortGraph(edges=((1, 0, 2, 0), (0, 0, 2, 1)), next_id=3, size=2, max_conn=10)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("identity", "single node"),
        ("(add (connect identity))", "single node"),  # add needs a non-empty stack
        ("(push (add identity))", "not connected"),
        ("(push (connect identity))", "single node"),  # connect needs top != pos
    ],
)
def test_rejections(text, reason):
    output = run(text)
    assert isinstance(output, Rejection) and output.reason == reason


def test_connect_needs_the_port_free_on_both_ends():
    # second connect: (3, 0) is free but (1, 0) already holds edge 2
    assert run("(push (add (connect (push (add (connect identity))))))").reason == "not connected"
    assert edges_of("(push (add (connect (push (add (next_port (connect identity)))))))") == {
        (2, 0, 1, 0),
        (4, 1, 3, 1),
    }


def test_connect_does_not_pop_and_allows_parallel_edges():
    assert edges_of("(push (add (connect (next_port (connect identity)))))") == {(2, 0, 1, 0), (3, 0, 1, 1)}


def test_ports_wrap_modulo_max_conn():
    assert edges_of("(prev_port (push (add (connect identity))))") == {(2, 0, 1, 9)}
    ten = "(next_port " * 10 + "(push (add (connect identity)))" + ")" * 10
    assert edges_of(ten) == {(2, 0, 1, 0)}
    assert run("(prev_port (push (add (connect identity))))", max_conn=3).undirected_edges == ((2, 0, 1, 2),)


def test_move_follows_the_edge_at_the_cursor_port_only():
    # after connect at port 0 the cursor is on 1; move goes back to 0, which is pushed and connected to
    moved = "(push (add (connect (push (move (push (add (next_port (connect identity)))))))))"
    assert edges_of(moved) == {(2, 0, 1, 0), (4, 0, 3, 1)}
    # at port 1 there is no edge: move stays on 1
    stay = "(push (add (connect (next_port (move (push (add (connect identity))))))))"
    assert edges_of(stay) == {(2, 0, 1, 0), (4, 1, 3, 1)}


def test_pop_with_two_components_keeps_the_only_other_node():
    assert edges_of("(push (add (pop (connect identity))))") == {(2, 0, 1, 0)}
    assert run("(push (pop (add (connect identity))))").reason == "single node"


def test_pop_with_two_components_drops_when_another_node_remains():
    # stack [1, 0] when node 3 is fresh: pop drops 1, so 3 connects to 0
    text = "(push (add (connect (push (add (pop (next_port (connect identity))))))))"
    assert edges_of(text) == {(2, 0, 1, 0), (4, 0, 3, 1)}


def test_func_discards_a_disconnected_subgraph_and_restores_the_cursor():
    output = run("(push (func (add identity) (add (connect identity))))")
    assert output.to_json()["edges"] == [[[1, 0], [2, 0]], [[0, 0], [2, 1]]] and output.next_id == 3
    kept = "(push (func (add (connect identity)) (next_port (add (connect identity)))))"
    assert edges_of(kept) == {(2, 0, 1, 0), (4, 0, 3, 1)}


def test_func_restores_the_stack():
    # f pops 0; after func the stack holds 0 again, so the continuation can connect to it
    assert edges_of("(push (func (pop identity) (add (connect identity))))") == {(2, 0, 1, 0)}


def test_if_positions_equal_discards_probe_effects():
    equal = "(push (if_positions_equal identity identity (add (connect identity)) identity identity))"
    assert edges_of(equal) == {(2, 0, 1, 0)}
    # probe f adds node 1 (so it ends elsewhere); its node is discarded: the else branch creates id 1 again
    differ = "(push (if_positions_equal (add identity) identity identity (add (connect identity)) identity))"
    assert edges_of(differ) == {(2, 0, 1, 0)}


def test_if_positions_equal_passes_the_branch_state_to_the_continuation():
    text = "(if_positions_equal identity identity (push identity) identity (add (connect identity)))"
    assert edges_of(text) == {(2, 0, 1, 0)}


def test_step_budget_counts_executed_primitives():
    text = "(push (add (connect identity)))"  # four steps
    assert isinstance(run(text, step_budget=4), PortGraph)
    assert run(text, step_budget=3) == Rejection("budget exceeded", "more than 3 steps")
    probes = "(push (if_positions_equal (add identity) identity identity (add (connect identity)) identity))"
    # push, if, probe f (2), probe g (1), else branch (3), continuation (1)
    assert isinstance(run(probes, step_budget=9), PortGraph)
    assert run(probes, step_budget=8).reason == "budget exceeded"


def test_nesting_deeper_than_the_cap_is_rejected_not_a_recursion_error():
    program = Program("identity")
    for _ in range(5 * MAX_NESTING):
        program = Program("func", (program, Program("identity")))
    output = interpret(program)
    assert output.reason == "budget exceeded" and "nested" in output.detail


def test_long_continuation_chains_do_not_recurse():
    program = Program("identity")
    for _ in range(20_000):
        program = Program("next_port", (program,))
    assert interpret(program, step_budget=30_000).reason == "single node"


def test_unknown_production_names_the_valid_ones():
    with pytest.raises(UnknownProductionError, match="'jump'.*valid: identity, next_port"):
        interpret(Program("push", (Program("jump"),)))
    with pytest.raises(UsageError, match="malformed"):
        interpret(Program("push", ()))
