"""A positioned scan of a ``.lark`` file: rules, their alternatives and aliases.

Lark compiles a grammar into rules without source positions, so the
convention checks of :mod:`framework.dsl.conventions` (every alternative has an
``-> alias``, no EBNF operators, literal tokens only) need this light scan to
point at ``line:col``. It only splits statements and alternatives; Lark stays
the judge of the grammar's syntax. :func:`literal_value` reads a compiled terminal back.
"""

from __future__ import annotations

import re

import lark
from attrs import frozen

_TOKEN = re.compile(
    r"""
    (?P<comment>//[^\n]*)
  | (?P<string>"(?:\\.|[^"\\\n])*"i?)
  | (?P<regex>/(?![/*])(?:\\.|[^/\\\n])+/[imslux]*)
  | (?P<arrow>->)
  | (?P<name>[_a-zA-Z][_a-zA-Z0-9]*)
  | (?P<directive>%[a-z]+)
  | (?P<number>[0-9]+)
  | (?P<newline>\n)
  | (?P<space>[ \t\f\r]+)
  | (?P<op>.)
    """,
    re.VERBOSE,
)


@frozen
class Tok:
    """One lexical item of the grammar file with its 1-based position."""

    kind: str
    text: str
    line: int
    column: int


@frozen
class Alternative:
    """One ``|``-separated alternative of a rule, as written."""

    rule: str
    alias: Tok | None
    tokens: tuple[Tok, ...]  # the expansion, without the alias part
    start: Tok  # where the alternative begins (for messages)


@frozen
class RuleText:
    """A rule definition (or ``%extend``) with its alternatives."""

    name: Tok
    prefix: str  # "", "?" or "!"
    extend: bool
    alternatives: tuple[Alternative, ...]
    header: tuple[Tok, ...]  # tokens between the name and ":" (priority, template params)


def tokenize(text: str) -> list[Tok]:
    """Split grammar text into positioned tokens, dropping blanks and comments."""
    tokens: list[Tok] = []
    line, line_start = 1, 0
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        assert kind is not None
        if kind == "newline":
            tokens.append(Tok("newline", "\n", line, match.start() - line_start + 1))
            line, line_start = line + 1, match.end()
        elif kind not in ("space", "comment"):
            tokens.append(Tok(kind, match.group(), line, match.start() - line_start + 1))
    return tokens


def _statements(tokens: list[Tok]) -> list[list[Tok]]:
    """Group tokens into statements: a line starting with ``|`` continues the previous one."""
    statements: list[list[Tok]] = []
    at_line_start = True
    for tok in tokens:
        if tok.kind == "newline":
            at_line_start = True
            continue
        if at_line_start and not (tok.kind == "op" and tok.text == "|") and not (
            statements and _open_brackets(statements[-1])
        ):
            statements.append([])
        if not statements:
            statements.append([])
        statements[-1].append(tok)
        at_line_start = False
    return statements


def _open_brackets(statement: list[Tok]) -> bool:
    depth = 0
    for tok in statement:
        if tok.kind == "op" and tok.text in "([{":
            depth += 1
        elif tok.kind == "op" and tok.text in ")]}":
            depth -= 1
    return depth > 0


def _split_alternatives(rule: str, body: list[Tok], colon: Tok) -> tuple[Alternative, ...]:
    alternatives: list[Alternative] = []
    current: list[Tok] = []
    depth = 0
    start = colon

    def close(start: Tok) -> None:
        alias = None
        tokens = current
        for i, tok in enumerate(current):
            if tok.kind == "arrow":
                tokens = current[:i]
                alias = current[i + 1] if i + 1 < len(current) else tok
                break
        first = tokens[0] if tokens else start
        alternatives.append(Alternative(rule, alias, tuple(tokens), first))

    for tok in body:
        if tok.kind == "op" and tok.text in "([{":
            depth += 1
        elif tok.kind == "op" and tok.text in ")]}":
            depth -= 1
        if tok.kind == "op" and tok.text == "|" and depth == 0:
            close(start)
            current = []
            start = tok
            continue
        current.append(tok)
    close(start)
    return tuple(alternatives)


def scan_rules(text: str) -> list[RuleText]:
    """The rule definitions and ``%extend`` statements of ``text``, in file order."""
    rules: list[RuleText] = []
    for statement in _statements(tokenize(text)):
        extend = statement[0].kind == "directive" and statement[0].text == "%extend"
        head = statement[1:] if extend else statement
        prefix = ""
        if head and head[0].kind == "op" and head[0].text in "?!":
            prefix, head = head[0].text, head[1:]
        if not head or head[0].kind != "name" or not head[0].text[0].islower() and head[0].text[0] != "_":
            continue
        colon_at = next(
            (i for i, tok in enumerate(head) if tok.kind == "op" and tok.text == ":"), None
        )
        if colon_at is None:
            continue
        rules.append(
            RuleText(
                name=head[0],
                prefix=prefix,
                extend=extend,
                alternatives=_split_alternatives(head[0].text, head[colon_at + 1 :], head[colon_at]),
                header=tuple(head[1:colon_at]),
            )
        )
    return rules


def find_name(text: str, name: str) -> Tok | None:
    """The first occurrence of ``name`` as a grammar token (for Lark's unpositioned errors)."""
    for tok in tokenize(text):
        if tok.kind == "name" and tok.text == name:
            return tok
    return None


def literal_value(terminal: lark.lexer.TerminalDef) -> str | None:
    """The one string a compiled Lark terminal matches, or ``None`` when it matches several."""
    pattern = terminal.pattern
    if isinstance(pattern, lark.lexer.PatternStr):
        return pattern.value
    try:
        import re._parser as sre_parse  # Python >= 3.11
    except ImportError:  # pragma: no cover
        import sre_parse  # type: ignore[no-redef]
    try:
        parsed = sre_parse.parse(pattern.value, 0)
    except re.error:
        return None
    if pattern.flags or not all(op == sre_parse.LITERAL for op, _ in parsed):
        return None
    return "".join(chr(value) for _, value in parsed) or None
