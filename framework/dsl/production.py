"""Productions: the rows of a grammar's table, and the holes of invention bodies."""

from __future__ import annotations

import re

from attrs import field, frozen

from framework.dsl.program import Program

_HOLE = re.compile(r"^#(\d+)$")


def hole(index: int) -> Program:
    """The leaf standing for argument ``index`` inside an invention body."""
    return Program(f"#{index}")


def hole_index(name: str) -> int | None:
    """``3`` for ``"#3"``, ``None`` for a production name."""
    match = _HOLE.match(name)
    return int(match.group(1)) if match else None


@frozen
class Production:
    """One production: a name, the type it builds and the types of its children.

    ``body`` is set only for inventions: a program over other productions in
    which the leaves ``#0``, ``#1``, ... stand for the arguments. ``layout`` is
    the printing template (literal tokens and child indices), filled in by the
    grammar.
    """

    name: str
    nonterminal: str
    arguments: tuple[str, ...] = field(converter=tuple)
    body: Program | None = None
    layout: tuple[str | int, ...] = field(default=(), eq=False, repr=False, converter=tuple)

    @property
    def arity(self) -> int:
        return len(self.arguments)
