"""Program ASTs: immutable, hashable trees of named productions."""

from __future__ import annotations


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
        return (
            self._hash == other._hash
            and self.production == other.production
            and self.children == other.children
        )

    def __repr__(self) -> str:
        if not self.children:
            return self.production
        return f"({self.production} {' '.join(map(repr, self.children))})"
