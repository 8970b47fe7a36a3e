"""Program ASTs: immutable, hashable trees of named productions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Iterator, Protocol

#: Masses saturate here: a hostile chain of inventions (one nesting a hole in
#: itself) expands doubly exponentially, into numbers with billions of digits.
MASS_CAP = 2**62


class Weighed(Protocol):
    """What :func:`mass` and :func:`log_probability` read of a grammar (a ``Grammar`` is one).

    A protocol rather than ``Grammar`` itself: programs sit below grammars, and
    the grammar module imports this one.
    """

    @property
    def body_mass(self) -> Mapping[str, tuple[int, tuple[int, ...]]]: ...

    @property
    def logprobs(self) -> Mapping[str, float]: ...


class Program:
    """One node of a program: a production name and its child programs.

    Built directly by synthesizers (never through text in hot loops), so
    construction is cheap: a slotted object with a precomputed hash.
    """

    __slots__ = ("production", "children", "_hash")

    def __init__(self, production: str, children: tuple[Program, ...] = ()) -> None:
        self.production = production
        self.children = children
        self._hash = hash((production, children))

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, Program):
            return NotImplemented
        if self._hash != other._hash:
            return False
        try:  # fast: tuple comparison recurses in C
            return self.production == other.production and self.children == other.children
        except RecursionError:  # deeper than the recursion limit: compare with a stack
            return _equal_iteratively(self, other)

    def __repr__(self) -> str:
        """The grammar-independent s-expression ``(name child ...)`` (see ``framework.dsl.sexp``)."""
        out: list[str] = []
        stack: list[Program | str] = [self]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                out.append(item)
            elif not item.children:
                out.append(item.production)
            else:
                out.append(f"({item.production}")
                stack.append(")")
                for child in reversed(item.children):
                    stack.append(child)
                    stack.append(" ")
        return "".join(out)


def _equal_iteratively(a: Program, b: Program) -> bool:
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if x is y:
            continue
        if x._hash != y._hash or x.production != y.production or len(x.children) != len(y.children):
            return False
        stack.extend(zip(x.children, y.children))
    return True


# ---- measures ---------------------------------------------------------------
# Iterative (explicit stacks): programs built by synthesizers can be deep
# chains, deeper than Python's recursion limit.


def nodes(program: Program) -> Iterator[Program]:
    """Every node of ``program``, root first (pre-order, iterative)."""
    stack = [program]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children))


def size(program: Program) -> int:
    """Number of productions in ``program``, inventions counted once (not expanded).

    This is the seed's "number of leaves": in its curried lambda form every
    primitive or invention symbol is a leaf, one per node of our tree.
    """
    return sum(1 for _ in nodes(program))


def depth(program: Program) -> int:
    """Length of the longest root-to-leaf path (a leaf has depth 1)."""
    best = 0
    stack = [(program, 1)]
    while stack:
        node, level = stack.pop()
        if level > best:
            best = level
        for child in node.children:
            stack.append((child, level + 1))
    return best


def mass(program: Program, grammar: Weighed) -> int:
    """Number of base productions after expanding every invention of ``grammar``.

    Computed without expanding (from per-invention figures); saturates at
    :data:`MASS_CAP` for hostile chains of inventions.
    """
    body_mass = grammar.body_mass
    if not body_mass:
        return size(program)
    cap = MASS_CAP
    total = 0
    stack = [(program, 1)]  # (node, how many copies the expansion makes of it)
    while stack:
        node, copies = stack.pop()
        stats = body_mass.get(node.production)
        if stats is None:
            total += copies
            stack.extend((child, copies) for child in node.children)
        else:
            own, per_hole = stats
            total += copies * own
            stack.extend((child, min(cap, copies * n)) for child, n in zip(node.children, per_hole) if n)
        if total >= cap:
            return cap
    return total


def log_probability(program: Program, grammar: Weighed) -> float:
    """Log-probability of ``program`` under ``grammar``'s weights (inventions as units)."""
    logprobs = grammar.logprobs
    return sum(logprobs[node.production] for node in nodes(program))
