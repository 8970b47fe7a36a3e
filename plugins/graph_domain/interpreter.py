"""Interpreter of the graph-construction DSL of G-SSNN (arXiv 2303.03340).

Follows ``graph-dsl.md`` exactly: the 69 conformance records of the original
implementation are reproduced bit for bit (edge ids, ports, ``next_id``, ``size``).

Why it looks the way it does (it runs millions of times in search):

* The graph is one mutable dict ``(node, port) -> (edge_id, neighbour)`` with an
  undo trail. Edges are only ever added, so undoing ``func``'s rejected graph or
  a probe's effects is popping the trail back to a mark: no copies.
* The stack is a linked list of pairs ``(top, rest)`` (``None`` when empty), so
  ``func`` restores it for free.
* Continuations are walked in a loop; only ``func`` and ``if_positions_equal``
  recurse, and their nesting is capped, so no Python ``RecursionError``.
* Inventions are interpreted through their bodies with an environment binding
  each hole ``#i`` to the caller's argument (a closure), never by textual
  expansion: a body that uses a hole twice would make the expanded tree
  exponentially large. Only base primitives count as steps, so a program and its
  rewriting through inventions take exactly the same number of steps and are
  rejected by the budget alike (library learning never changes meaning).
* A program's cost is its number of executed base steps, at most its mass:
  a tree without inventions executes each node at most once; with inventions
  whose holes are shared the count can grow exponentially in nesting, and the
  step budget bounds it, so the time of any evaluation is at most proportional
  to ``step_budget``. (Memoising probes would not change that bound: branches
  and continuations carry effects and cannot be memoised cheaply, and a tree
  program never runs a node twice, so there is nothing to reuse there.)
"""

from __future__ import annotations

from typing import Any, Mapping

from framework import PortGraph, Program, Rejection, UsageError, hole, nodes

#: The seed DSL's primitives, in the order of ``graph-dsl.md``.
BASE_PRODUCTIONS = (
    "identity",
    "next_port",
    "prev_port",
    "move",
    "add",
    "push",
    "pop",
    "connect",
    "func",
    "if_positions_equal",
)

#: Structural recursion on the program's natural-number argument (``graph-rec.lark``).
RECURSION_PRODUCTIONS = ("if_zero", "recurse")

#: Default recursion depth limit: ``recurse`` nested deeper than this is rejected.
DEFAULT_MAX_RECURSION = 64

#: Default step budget. A run executes each node of the expanded program at
#: most once, so its steps never exceed the program's mass: the budget only
#: stops programs whose inventions share holes (exponential mass). 10 000 is
#: hundreds of times the mass of any seed program (the conformance corpus tops
#: out near 30) and keeps a rejected evaluation to tens of milliseconds.
DEFAULT_STEP_BUDGET = 10_000

#: How deep ``func`` / ``if_positions_equal`` may nest inside one another.
MAX_NESTING = 200

# Shared (frozen) rejections: most programs of an unguided search end here.
_SINGLE_NODE = Rejection("single node")
_NOT_CONNECTED = Rejection("not connected", "the last node added was never connected")

_IDENTITY, _NEXT, _PREV, _MOVE, _ADD, _PUSH, _POP, _CONNECT, _FUNC, _IF, _IF_ZERO, _RECURSE = range(12)
_OPCODES = {name: code for code, name in enumerate(BASE_PRODUCTIONS + RECURSION_PRODUCTIONS)}


class UnknownProductionError(UsageError):
    """A program uses a production that is neither a primitive nor an invention."""


class _OutOfBudget(Exception):
    """Raised inside the machine to abandon a run; turned into a Rejection."""


class _Machine:
    """The mutable graph of one evaluation and the recursive runner over it."""

    __slots__ = ("edges", "trail", "next_id", "size", "components", "steps", "budget", "max_conn", "indirect",
                 "owners", "env_owners", "root", "argument", "max_recursion")

    def __init__(self, indirect: Mapping[str, tuple[int, Program | None]], root: Program | None = None, *,
                 max_conn: int = 10, step_budget: int = DEFAULT_STEP_BUDGET, argument: int = 0,
                 max_recursion: int = DEFAULT_MAX_RECURSION) -> None:
        """The keywords are :func:`interpret`'s (``**limits``)."""
        self.edges: dict[tuple[int, int], tuple[int, int]] = {}
        self.trail: list[tuple[int, int]] = []
        self.next_id = 1
        self.size = 1
        self.components = 1
        self.steps = 0
        self.budget = step_budget
        self.max_conn = max_conn
        # production name -> (hole index, None) for holes "#i", (-1, body) for inventions
        self.indirect = indirect
        # Provenance (only when traced, see `provenance`): element id -> the program node that
        # created it; id(env) -> (env, the program node whose invention body runs in it).
        self.owners: dict[int, Program] | None = None
        self.env_owners: dict[int, tuple[tuple, Program]] = {}
        # what `recurse` runs again (the whole program), on what argument, how deep at most
        self.root, self.argument, self.max_recursion = root, argument, max_recursion

    def _undo(self, trail_len: int, next_id: int, size: int, components: int) -> None:
        edges, trail = self.edges, self.trail
        while len(trail) > trail_len:
            del edges[trail.pop()]
        self.next_id, self.size, self.components = next_id, size, components

    def run(self, node: Program, env: tuple, pos: int, port: int, stack: tuple | None, depth: int, n: int = 0):
        """Run ``node`` (holes bound by ``env``, argument ``n``) from the cursor; return the final cursor."""
        edges = self.edges
        max_conn = self.max_conn
        budget = self.budget
        opcodes = _OPCODES
        # The step count lives in a local between recursive calls (attribute
        # access per step is measurably slower) and is synced around them.
        steps = self.steps
        while True:
            op = opcodes.get(node.production)
            if op is None:
                node, env = self._enter(node, env)
                continue
            steps += 1
            if steps > budget:
                raise _OutOfBudget(f"more than {budget} steps")
            if op == _IDENTITY:
                self.steps = steps
                return pos, port, stack
            children = node.children
            if op == _CONNECT:
                if stack is not None:
                    other = stack[0]
                    if other != pos and (pos, port) not in edges and (other, port) not in edges:
                        edge_id = self.next_id
                        edges[pos, port] = (edge_id, other)
                        edges[other, port] = (edge_id, pos)
                        self.trail += ((pos, port), (other, port))
                        self.next_id = edge_id + 1
                        self.components = 1
                        if self.owners is not None:
                            self.owners[edge_id] = self._owner(node, env)
            elif op == _PUSH:
                stack = (pos, stack)
            elif op == _ADD:
                if stack is not None and self.components == 1:
                    pos = self.next_id
                    self.next_id += 1
                    self.size += 1
                    self.components = 2
                    if self.owners is not None:
                        self.owners[pos] = self._owner(node, env)
            elif op == _NEXT:
                port = port + 1 if port + 1 < max_conn else 0
            elif op == _PREV:
                port = port - 1 if port > 0 else max_conn - 1
            elif op == _MOVE:
                edge = edges.get((pos, port))
                if edge is not None:
                    pos = edge[1]
            elif op == _POP:
                if stack is not None:
                    if self.components == 1:
                        stack = stack[1]
                    else:
                        # A fresh node is unattached: keep the stack unless the rest
                        # still offers a node other than pos to connect to.
                        rest = stack[1]
                        while rest is not None and rest[0] == pos:
                            rest = rest[1]
                        if rest is not None:
                            stack = stack[1]
            elif op == _FUNC:
                if depth >= MAX_NESTING:
                    raise _OutOfBudget(f"func/if_positions_equal nested deeper than {MAX_NESTING}")
                mark = (len(self.trail), self.next_id, self.size, self.components)
                self.steps = steps
                self.run(children[0], env, pos, port, stack, depth + 1, n)
                steps = self.steps
                if self.components != 1:
                    self._undo(*mark)
                node = children[1]
                continue
            elif op == _IF:
                if depth >= MAX_NESTING:
                    raise _OutOfBudget(f"func/if_positions_equal nested deeper than {MAX_NESTING}")
                mark = (len(self.trail), self.next_id, self.size, self.components)
                self.steps = steps
                end_f = self.run(children[0], env, pos, port, stack, depth + 1, n)[0]
                self._undo(*mark)
                end_g = self.run(children[1], env, pos, port, stack, depth + 1, n)[0]
                self._undo(*mark)
                branch = children[2] if end_f == end_g else children[3]
                pos, port, stack = self.run(branch, env, pos, port, stack, depth + 1, n)
                steps = self.steps
                node = children[4]
                continue
            elif op == _IF_ZERO:  # both children are continuations: no join
                node = children[0] if n == 0 else children[1]
                continue
            else:  # _RECURSE: the whole program again on n - 1 from here, then the continuation
                if self.root is None:
                    raise UsageError("recurse outside a whole program (it runs the program again)")
                if self.argument - n >= self.max_recursion or depth >= MAX_NESTING:
                    raise _OutOfBudget(f"recursion deeper than {min(self.max_recursion, MAX_NESTING)}")
                self.steps = steps
                pos, port, stack = self.run(self.root, (), pos, port, stack, depth + 1, n - 1)
                steps = self.steps
            node = children[0]

    def _enter(self, node: Program, env: tuple) -> tuple[Program, tuple]:
        """Step into a hole (its bound argument) or an invention (its body); no step counted."""
        entry = self.indirect.get(node.production)
        if entry is None:
            raise UnknownProductionError(
                f"unknown production {node.production!r} in graph program; "
                f"valid: {', '.join(BASE_PRODUCTIONS + tuple(n for n in self.indirect if n[0] != '#'))}"
            )
        hole, body = entry
        if body is None:
            if hole >= len(env):
                raise UnknownProductionError(f"hole {node.production!r} outside an invention body with that argument")
            return env[hole]
        inner = tuple((child, env) for child in node.children)
        if self.owners is not None:  # a fresh env per call (arity 0 too), owned by the program node
            inner = inner or ((None, env),)
            self.env_owners[id(inner)] = (inner, node if not env else self._owner(node, env))
        return body, inner

    def _owner(self, node: Program, env: tuple) -> Program:
        """The node of the evaluated program itself (not of an invention body) running now."""
        return node if not env else self.env_owners[id(env)][1]


def indirection_table(inventions: Mapping[str, Program], max_arity: int) -> dict[str, tuple[int, Program | None]]:
    """The lookup ``_Machine`` uses for non-primitive names: inventions and holes ``#0..#max_arity-1``."""
    table: dict[str, tuple[int, Program | None]] = {hole(i).production: (i, None) for i in range(max_arity)}
    table.update((name, (-1, body)) for name, body in inventions.items())
    return table


def _ran(program: Program, indirect: Mapping[str, tuple[int, Program | None]] | None, limits: dict[str, Any],
         owners: bool = False) -> _Machine:
    """A machine that has run ``program`` (raising ``_OutOfBudget``); with ``owners`` it
    records which program node built each element."""
    machine = _Machine(indirect or {}, program, **limits)
    if owners:
        machine.owners = {}
    machine.run(program, (), 0, 0, None, 0, machine.argument)
    return machine


def provenance(
    program: Program, indirect: Mapping[str, tuple[int, Program | None]] | None = None, **limits: Any
) -> dict[int, int]:
    """Which node of ``program`` created each element of its output graph: element id ->
    the node's pre-order index in ``program`` (an invention call owns what its body builds;
    the initial node 0 has no entry). Empty for a rejected program. Evaluates like
    :func:`interpret` (the same keywords), a little slower (the probes' use,
    not search's)."""
    try:
        machine = _ran(program, indirect, limits, owners=True)
    except _OutOfBudget:
        return {}
    if machine.size == 1 or machine.components != 1:
        return {}
    index = {id(node): i for i, node in enumerate(nodes(program))}
    built = {edge_id for edge_id, _ in machine.edges.values()} | {u for u, _ in machine.edges}
    return {element: index[id(owner)] for element, owner in sorted(machine.owners.items())
            if element in built and id(owner) in index}


def interpret(
    program: Program, indirect: Mapping[str, tuple[int, Program | None]] | None = None, **limits: Any
) -> PortGraph | Rejection:
    """Run ``program`` on the initial state (node 0, port 0, empty stack).

    ``indirect`` comes from :func:`indirection_table` when the program may use
    inventions. The keywords (``**limits``; an unknown one is a ``TypeError``):
    ``max_conn`` ports per node (10), ``step_budget`` (:data:`DEFAULT_STEP_BUDGET`),
    ``argument`` (0), the natural number ``if_zero`` tests and each ``recurse``
    (which runs the whole program again) decrements, and ``max_recursion``
    (:data:`DEFAULT_MAX_RECURSION`). Returns the
    output graph, or a :class:`Rejection` with reason ``"single node"``,
    ``"not connected"`` or ``"budget exceeded"`` (steps, nesting or
    recursion deeper than ``max_recursion``: a recursion without a base
    case never ends otherwise). Raises
    :class:`UnknownProductionError` for names that are neither primitives nor
    inventions, or a ``UsageError`` when a primitive has the wrong arity.
    """
    try:
        machine = _ran(program, indirect, limits)
    except _OutOfBudget as exc:
        return Rejection("budget exceeded", str(exc))
    except IndexError:
        raise UsageError(f"malformed graph program (a primitive has too few children): {program!r}") from None
    return _output(machine.edges, machine.next_id, machine.size, machine.components, machine.max_conn)


def _output(edges: dict, next_id: int, size: int, components: int, max_conn: int) -> PortGraph | Rejection:
    if size == 1:
        return _SINGLE_NODE
    if components != 1:
        return _NOT_CONNECTED
    # The seed's order: descending by (node, port).
    ordered = tuple([key + edges[key] for key in sorted(edges, reverse=True)])
    return PortGraph(edges=ordered, next_id=next_id, size=size, max_conn=max_conn)


class MachineState:
    """Everything a run has built at one point: graph, counters, cursor, stack, steps taken.

    Never mutated once made (:func:`resume` copies the edges), so states can
    be shared by every program prefix that leads to them.
    """

    __slots__ = ("edges", "next_id", "size", "components", "pos", "port", "stack", "steps")

    def __init__(self, edges: dict, next_id: int, size: int, components: int,
                 pos: int, port: int, stack: tuple | None, steps: int) -> None:
        self.edges, self.next_id, self.size, self.components = edges, next_id, size, components
        self.pos, self.port, self.stack, self.steps = pos, port, stack, steps


#: The state every program starts from.
INITIAL_STATE = MachineState({}, 1, 1, 1, 0, 0, None, 0)


def resume(
    state: MachineState,
    program: Program,
    indirect: Mapping[str, tuple[int, Program | None]],
    *,
    max_conn: int,
    step_budget: int,
) -> MachineState | Rejection:
    """Run ``program`` from ``state`` (steps counted on from ``state.steps``); the state it ends in."""
    machine = _Machine(indirect, max_conn=max_conn, step_budget=step_budget)
    machine.edges = dict(state.edges)
    machine.next_id, machine.size, machine.components, machine.steps = (
        state.next_id, state.size, state.components, state.steps)
    try:
        pos, port, stack = machine.run(program, (), state.pos, state.port, state.stack, 0)
    except _OutOfBudget as exc:
        return Rejection("budget exceeded", str(exc))
    except IndexError:
        raise UsageError(f"malformed graph program (a primitive has too few children): {program!r}") from None
    return MachineState(machine.edges, machine.next_id, machine.size, machine.components, pos, port, stack,
                        machine.steps)


def state_output(state: MachineState, max_conn: int) -> PortGraph | Rejection:
    """The output of a program that stops in ``state``."""
    return _output(state.edges, state.next_id, state.size, state.components, max_conn)
