"""A positioned s-expression reader, shared by invention bodies and the seed's lambda syntax.

Grammar-independent on purpose: an invention body is stored as the plain tree
of production names ``(push (add (connect #0)))`` whatever the DSL's concrete
syntax, and the original G-SSNN archives use s-expressions with ``{fn_k}``
annotations. Lists are ``(head item ...)``; atoms are runs of non-blank,
non-bracket characters.
"""

from __future__ import annotations

import re

from attrs import frozen

from framework.dsl.errors import ProgramSyntaxError
from framework.dsl.program import Program

_TOKEN = re.compile(r"(?P<open>\()|(?P<close>\))|(?P<note>\{[^{}\s()]*\})|(?P<atom>[^\s(){}]+)|(?P<space>\s+)|(?P<bad>.)")


@frozen
class Atom:
    """A symbol with its position (1-based line and column)."""

    text: str
    line: int
    column: int


@frozen
class SList:
    """A parenthesised list with the position of its ``(``."""

    items: tuple[Atom | SList, ...]
    line: int
    column: int


SExp = Atom | SList


def _tokens(text: str, source: str):
    line, line_start = 1, 0
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        column = match.start() - line_start + 1
        if kind == "space":
            newlines = match.group().count("\n")
            if newlines:
                line += newlines
                line_start = match.start() + match.group().rfind("\n") + 1
            continue
        if kind == "bad":
            raise ProgramSyntaxError(f"unexpected character {match.group()!r}", source, line, column)
        yield kind, match.group(), line, column
    yield "end", "", line, len(text) - line_start + 1


def read(text: str, source: str = "<program>", annotations: bool = False) -> SExp:
    """Read exactly one s-expression from ``text``.

    With ``annotations`` a ``{name}`` may precede any expression and is
    dropped (the seed marks inline inventions that way); otherwise it is an
    error. Raises :class:`ProgramSyntaxError` with the position of the problem.
    """
    stack: list[tuple[list[SExp], int, int]] = []
    result: SExp | None = None
    pending_note: tuple[int, int] | None = None
    for kind, value, line, column in _tokens(text, source):
        if result is not None:
            if kind == "end":
                return result
            raise ProgramSyntaxError(f"unexpected {value!r} after the end of the expression",
                                     source, line, column)
        if kind == "note":
            if not annotations:
                raise ProgramSyntaxError(f"unexpected annotation {value}", source, line, column)
            pending_note = (line, column)
            continue
        if kind == "end":
            if stack:
                raise ProgramSyntaxError("unexpected end of input", source, line, column,
                                         expected=('")"',))
            if pending_note is not None:
                raise ProgramSyntaxError("annotation without an expression", source, *pending_note)
            raise ProgramSyntaxError("empty input", source, line, column)
        if kind == "close":
            if pending_note is not None:
                raise ProgramSyntaxError("annotation without an expression", source, *pending_note)
            if not stack:
                raise ProgramSyntaxError("unbalanced ')'", source, line, column)
            items, open_line, open_column = stack.pop()
            node: SExp = SList(tuple(items), open_line, open_column)
        elif kind == "open":
            pending_note = None
            stack.append(([], line, column))
            continue
        else:
            node = Atom(value, line, column)
        pending_note = None
        if stack:
            stack[-1][0].append(node)
        else:
            result = node
    raise AssertionError("unreachable: the token stream ends with 'end'")


def to_program(node: SExp, source: str = "<program>") -> Program:
    """Turn ``(name child ...)`` / ``name`` into a :class:`Program` (no grammar check)."""
    if isinstance(node, Atom):
        return Program(node.text)
    if not node.items or not isinstance(node.items[0], Atom):
        raise ProgramSyntaxError("a list must start with a production name", source,
                                 node.line, node.column)
    head = node.items[0]
    return Program(head.text, tuple(to_program(item, source) for item in node.items[1:]))


def read_program(text: str, source: str = "<program>") -> Program:
    """Read a grammar-independent program tree such as ``(push (add (connect #0)))``."""
    return to_program(read(text, source), source)
