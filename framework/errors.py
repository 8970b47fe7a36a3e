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


class OptionError(ValueError):
    """A plugin option's validator rejected a value.

    Raise it from an attrs validator with the attribute, so that the spec
    reports the option's full TOML path (``task.target: unknown target ...``)::

        def _check_target(instance, attribute, value):
            if value not in TARGETS:
                raise OptionError(f"unknown target {value!r}; valid: {', '.join(TARGETS)}", attribute)
    """

    def __init__(self, message: str, attribute: object) -> None:
        super().__init__(message, attribute)
        self.message, self.attribute = message, attribute

    def __str__(self) -> str:
        return self.message


class PluginFault(FrameworkError):
    """A plugin's object broke its contract while working (a wrong shape, a non-finite score).

    ``kind`` is the plugin kind at fault (``"injector"``, ``"selector"``, ...); the
    engine, which knows which plugin of that kind the run uses, names it.
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(kind, message)
        self.kind, self.message = kind, message

    def __str__(self) -> str:
        return self.message
