"""The `shapes` domain: what a program of shapes.lark builds (no torch).

Every shape is a small graph with an *anchor*, its node 0, where
compositions attach:

- `dot` is one node; `path(n)` n nodes in a line; `ring(n)` a cycle of n
  nodes (`ring(2)` is rejected: it would repeat its edge); `star(n)` a centre
  with n leaves. Counts are `2`, `3` and `succ(count)`.
- `join(a, b)`: `a` and `b` side by side, an edge between their anchors.
- `fuse(a, b)`: `b`'s anchor glued onto `a`'s.

Both keep `a`'s anchor. Outputs are compared up to isomorphism (networkx).
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
from attrs import field, frozen
from attrs.validators import ge

from framework import Grammar, ProgramError, Rejection, build_port_graph

GRAMMAR_FILE = Path(__file__).with_name("shapes.lark")


@frozen
class ShapesOptions:
    """Options from the spec table `[domain] plugin = "shapes"`."""

    max_nodes: int = field(default=40, validator=ge(2))
    max_conn: int = field(default=6, validator=ge(2))
    step_budget: int = field(default=10_000, validator=ge(1))


@frozen
class Shape:
    """A built graph: nodes `0 .. nodes-1` (0 is the anchor) and undirected edges `(u, v)`."""

    nodes: int
    edges: tuple[tuple[int, int], ...]

    def graph(self) -> nx.Graph:
        graph = nx.Graph()
        graph.add_nodes_from(range(self.nodes))
        graph.add_edges_from(self.edges)
        return graph


def _shifted(edges, offset):
    return tuple((u + offset, v + offset) for u, v in edges)


def _glued(edges, offset):
    """`b`'s edges placed after `a`'s nodes, its anchor (node 0) mapped onto `a`'s anchor."""
    move = lambda v: 0 if v == 0 else v + offset - 1  # noqa: E731
    return tuple((move(u), move(v)) for u, v in edges)


def _path(n):
    return Shape(n, tuple((i, i + 1) for i in range(n - 1)))


def _ring(n):
    return Shape(n, _path(n).edges + ((n - 1, 0),))


def _star(n):
    return Shape(n + 1, tuple((0, i) for i in range(1, n + 1)))


def _join(a, b):
    return Shape(a.nodes + b.nodes, a.edges + _shifted(b.edges, a.nodes) + ((0, a.nodes),))


def _fuse(a, b):
    return Shape(a.nodes + b.nodes - 1, a.edges + _glued(b.edges, a.nodes))


SHAPES = {"path": _path, "ring": _ring, "star": _star}  # count -> Shape
COMPOSE = {"join": _join, "fuse": _fuse}  # Shape, Shape -> Shape
COUNTS = {"two": lambda: 2, "three": lambda: 3}


class ShapesDomain:
    """Programs of shapes.lark as graphs; `evaluate` is iterative and step-bounded."""

    def __init__(self, options: ShapesOptions = ShapesOptions()) -> None:
        self.options = options
        self.grammar = Grammar.load(GRAMMAR_FILE)

    def evaluate(self, program, grammar):
        try:
            program = grammar.expand(program)  # inventions -> base productions
        except ProgramError:
            return Rejection("budget exceeded", "inventions nest too deeply")
        limit = self.options.max_nodes
        steps, values, stack = 0, [], [(program, False)]
        while stack:  # post-order: deep programs are fine
            node, ready = stack.pop()
            if not ready:
                stack.append((node, True))
                stack.extend((child, False) for child in reversed(node.children))
                continue
            steps += 1
            if steps > self.options.step_budget:
                return Rejection("budget exceeded", f"more than {self.options.step_budget} steps")
            value = self._apply(node.production, values, len(node.children))
            if isinstance(value, Rejection):
                return value
            size = value if isinstance(value, int) else value.nodes
            if size > limit:
                return Rejection("too large", f"more than {limit} nodes")
            values.append(value)
        shape = values[0]
        if shape.nodes < 2:
            return Rejection("single node")
        try:  # every edge needs one port free at both ends: a crowded graph may have none left
            self.to_graph(shape)
        except ValueError as error:
            return Rejection("too many ports", str(error))
        return shape

    @staticmethod
    def _apply(production, values, arity):
        arguments = values[len(values) - arity:]
        del values[len(values) - arity:]
        if production == "dot":
            return Shape(1, ())
        if production == "succ":
            return arguments[0] + 1
        if production in COUNTS:
            return COUNTS[production]()
        if production == "ring" and arguments[0] < 3:
            return Rejection("degenerate ring", "a ring needs at least 3 nodes")
        if production in SHAPES:
            return SHAPES[production](*arguments)
        return COMPOSE[production](*arguments)

    def key(self, output):
        """Each node's degree with its neighbours' degrees, sorted: equal for isomorphic graphs."""
        neighbours = [[] for _ in range(output.nodes)]
        for u, v in output.edges:
            neighbours[u].append(v)
            neighbours[v].append(u)
        return tuple(sorted((len(ns), tuple(sorted(len(neighbours[n]) for n in ns))) for ns in neighbours))

    def equivalent(self, a, b):
        return nx.is_isomorphic(a.graph(), b.graph())

    def to_graph(self, output):
        return build_port_graph(output.nodes, output.edges, max_conn=self.options.max_conn)
