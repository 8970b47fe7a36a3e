"""Positioned errors of the DSL layer: grammar files and program texts.

Both are :class:`~framework.errors.UsageError` (exit code 2): the user wrote
something wrong and the message says where (``file:line:col``) and what was
expected.
"""

from __future__ import annotations

from framework.errors import UsageError


class GrammarError(UsageError):
    """A ``.lark`` grammar file is malformed or breaks the production convention."""

    def __init__(self, message: str, source: str = "<string>", line: int | None = None,
                 column: int | None = None) -> None:
        self.source = source
        self.line = line
        self.column = column
        where = source if line is None else f"{source}:{line}:{column}"
        super().__init__(f"{where}: {message}")


class ProgramSyntaxError(UsageError):
    """A program text does not parse; carries the position and the expected tokens."""

    def __init__(self, message: str, source: str = "<program>", line: int = 1, column: int = 1,
                 expected: tuple[str, ...] = (), context: str = "") -> None:
        self.reason = message
        self.source = source
        self.line = line
        self.column = column
        self.expected = expected
        text = f"{source}:{line}:{column}: {message}"
        if expected:
            text += f"; expected one of: {', '.join(expected)}"
        if context:
            text += f"\n{context}"
        super().__init__(text)


class ProgramError(UsageError):
    """A program AST does not fit its grammar (unknown production, arity, type)."""
