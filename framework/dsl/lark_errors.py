"""Lark's exceptions as the framework's positioned errors (``file:line:col``).

:func:`lark_error` maps a failure to compile a grammar text (Lark names a
rule or terminal, sometimes a position) to a :class:`GrammarError`;
:func:`syntax_error` maps a failure to parse a program to a
:class:`ProgramSyntaxError` listing the expected tokens as they are written.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import lark

from framework.dsl import _lark_text
from framework.dsl.errors import GrammarError, ProgramSyntaxError


def lark_error(error: Exception, text: str, source: str) -> GrammarError:
    """A :class:`GrammarError` at the position Lark gives, else at the first name it mentions."""
    line = getattr(error, "line", None)
    column = getattr(error, "column", None)
    message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    positioned = re.search(r"line (\d+) col(?:umn)? (\d+)", str(error))
    if (line is None or line < 0) and positioned:
        line, column = int(positioned.group(1)), int(positioned.group(2))
    if line is None or line < 0:
        # Lark names the rule or terminal at fault: quoted first, else any grammar name.
        named = re.findall(r"'([A-Za-z_][A-Za-z0-9_]*)'", str(error))
        named += re.findall(r"\b([A-Za-z_][A-Za-z0-9_]*)\b", str(error))
        tok = next((t for t in (_lark_text.find_name(text, n) for n in named) if t), None)
        if tok is not None:
            line, column = tok.line, tok.column
        else:
            line = column = None
    return GrammarError(f"Lark: {message}", source, line, column)


def import_error(error: OSError, text: str, source: str) -> GrammarError:
    """A :class:`GrammarError` at the ``%import`` whose grammar file Lark could not open."""
    wanted = Path(error.filename or "").stem
    for number, line in enumerate(text.splitlines(), 1):
        found = re.match(r"\s*%import\s+(\.?[\w.]+)", line)
        if found and found.group(1).lstrip(".").split(".")[0] == wanted:
            return GrammarError(f"%import {found.group(1)}: no grammar {wanted!r} to import from "
                                f"(Lark's own are common, unicode, python and lark)",
                                source, number, line.index("%import") + 1)
    return GrammarError(f"%import: {error.strerror}: {error.filename}", source, None, None)


def syntax_error(error: lark.exceptions.UnexpectedInput, text: str, source: str,
                 parser: lark.Lark) -> ProgramSyntaxError:
    """A :class:`ProgramSyntaxError` for a program ``text`` that ``parser`` rejected."""
    terminals = {t.name: t for t in parser.terminals}

    def show(name: str) -> str:
        if name == "$END":
            return "end of input"
        terminal = terminals.get(name)
        value = _lark_text.literal_value(terminal) if terminal is not None else None
        return json.dumps(value) if value is not None else name

    line, column = getattr(error, "line", -1), getattr(error, "column", -1)
    at_end = isinstance(error, lark.exceptions.UnexpectedEOF) or (
        isinstance(error, lark.exceptions.UnexpectedToken) and error.token.type == "$END")
    if at_end or line is None or line < 1:
        line = text.count("\n") + 1
        column = len(text) - (text.rfind("\n") + 1) + 1
    if isinstance(error, lark.exceptions.UnexpectedCharacters):
        message = f"unexpected character {text[error.pos_in_stream]!r}"
        expected = error.allowed or ()
    elif isinstance(error, lark.exceptions.UnexpectedToken):
        token = error.token
        message = ("unexpected end of input" if token.type == "$END"
                   else f"unexpected {token.value!r}")
        expected = error.expected or ()
    else:
        message = "unexpected end of input"
        expected = getattr(error, "expected", ()) or ()
    try:
        context = error.get_context(text).rstrip("\n")
    except Exception:  # noqa: BLE001 - context is a nicety, never the error itself
        context = ""
    return ProgramSyntaxError(message, source, line, column,
                              tuple(sorted(show(n) for n in expected)), context)
