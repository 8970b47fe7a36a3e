"""User files as UTF-8 text, and where the first byte that is not sits.

A leaf module (it imports nothing from the framework), so the DSL layer, the
spec loader and the command line can all use it.
"""

from __future__ import annotations

import os
from pathlib import Path


class NotText(ValueError):
    """Bytes that are not UTF-8 text; ``line`` and ``column`` (1-based, in bytes) locate the first bad byte."""

    def __init__(self, source: str, line: int, column: int, byte: int) -> None:
        self.source, self.line, self.column, self.byte = source, line, column, byte
        self.reason = f"not UTF-8 text (byte 0x{byte:02x})"
        super().__init__(f"{source}:{line}:{column}: {self.reason}")


def decode(data: bytes, source: str, first_line: int = 1) -> str:
    """``data`` as UTF-8 text; :class:`NotText` names ``source:line:column`` of the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        before = data[: error.start]
        line = first_line + before.count(b"\n")
        column = error.start - (before.rfind(b"\n") + 1) + 1
        raise NotText(source, line, column, data[error.start]) from None


def read_text(path: str | os.PathLike[str]) -> str:
    """The UTF-8 text of file ``path`` (``OSError`` as from ``open``, :class:`NotText` for other bytes)."""
    return decode(Path(path).read_bytes(), str(path))
