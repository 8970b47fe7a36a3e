"""The framework's error hierarchy: every user-facing failure is a FrameworkError.

The CLI prints a FrameworkError's message (no traceback) and exits with its
``exit_code``.
"""

from __future__ import annotations


class FrameworkError(Exception):
    """A failure the user can act on; ``str(error)`` is the whole message."""

    exit_code = 1


class UsageError(FrameworkError):
    """Bad input from the user: a spec, a grammar, a program, an option."""

    exit_code = 2
