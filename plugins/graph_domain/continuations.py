"""The graph DSL's small steps, for synthesizers that search by behaviour (``framework.domain.Continuations``).

Every graph-DSL production but ``identity`` takes the program to run next as
its last argument. A prefix of a program (its last continuation left open)
leaves the machine in a state: the graph built so far (with its counters),
the cursor (node, port), the stack, and the number of components. The
future of a run depends on nothing else, so two prefixes leaving equal
states give the same output under every completion. :meth:`key` is that
state with the edge ids and the id counter dropped (neither changes what
later steps do, and both equivalences ignore ids), and without the step
count (a prefix is kept only with the budget it has used). The recursion
productions of ``graph-rec.lark`` are not small steps (:meth:`is_step`): what
``recurse`` does depends on the whole program.
"""

from __future__ import annotations

from typing import Hashable, Mapping

from framework import PortGraph, Program, Rejection

from .interpreter import INITIAL_STATE, RECURSION_PRODUCTIONS, MachineState, resume, state_output

_IDENTITY = Program("identity")


class GraphContinuations:
    """Small steps of the graph DSL under one grammar version."""

    def __init__(self, indirect: Mapping[str, tuple[int, Program | None]], max_conn: int, step_budget: int) -> None:
        self.indirect = indirect
        self.max_conn = max_conn
        self.step_budget = step_budget
        # `if_zero` and `recurse` depend on the program's argument and on the whole program,
        # so neither is a step, nor is an invention whose body uses one.
        self._not_steps = set(RECURSION_PRODUCTIONS)
        for name, (_, body) in indirect.items():
            if body is not None and _uses(body, RECURSION_PRODUCTIONS):
                self._not_steps.add(name)

    def is_step(self, production: str) -> bool:
        return production not in self._not_steps

    def initial(self) -> MachineState:
        return INITIAL_STATE

    def step(self, state: MachineState, production: str, arguments: tuple[Program, ...]) -> MachineState | Rejection:
        """Run ``production`` with ``arguments`` and ``identity`` as its continuation (which returns at once)."""
        return resume(state, Program(production, (*arguments, _IDENTITY)), self.indirect,
                      max_conn=self.max_conn, step_budget=self.step_budget)

    def key(self, state: MachineState) -> Hashable:
        edges = frozenset((node, port, other) for (node, port), (_, other) in state.edges.items())
        return (edges, state.size, state.components, state.pos, state.port, state.stack)

    def output_key(self, state: MachineState) -> Hashable:
        edges = frozenset((node, port, other) for (node, port), (_, other) in state.edges.items())
        return (edges, state.size, state.components)

    def close(self, state: MachineState, terminator: str) -> PortGraph | Rejection:
        if terminator != "identity":
            state = resume(state, Program(terminator), self.indirect, max_conn=self.max_conn,
                           step_budget=self.step_budget)
            if isinstance(state, Rejection):
                return state
        return state_output(state, self.max_conn)


def _uses(program: Program, names: tuple[str, ...]) -> bool:
    stack = [program]
    while stack:
        node = stack.pop()
        if node.production in names:
            return True
        stack.extend(node.children)
    return False
