"""``--option key=value``: plugin options from the command line, as a spec table would give them.

Values are TOML values (``iterations=3`` is an integer, ``name="x"`` a
string, ``sizes=[1, 2]`` an array); a value that is not TOML, a bare word
such as ``mode=fast``, is the string as written. The table then goes through
the same strict converter as a spec's plugin table, so a wrong value reads
``--option iterations: expected an integer, got "x"``.
"""

from __future__ import annotations

import argparse
import re
import tomllib
from typing import Any, Sequence

from framework.errors import UsageError

_KEY = re.compile(r"[A-Za-z0-9_-]+")


def option_arguments(parser: argparse.ArgumentParser, kind: str) -> None:
    """``--option key=value``, repeatable, collected into ``args.option``."""
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                        help=f"an option of the {kind} plugin (repeatable); the value is read as "
                             "TOML, a bare word as a string")


def build_with_options(kind: str, name: str, pairs: Sequence[str], *factory_args: Any) -> Any:
    """Plugin ``name`` of ``kind`` built with the options ``pairs`` give (``key=value`` each).

    Every problem with the options is reported at once, each as ``--option KEY: message``.
    """
    from framework.plugins import build_plugin, build_registry
    from framework.convert import SpecError

    raw = parse_options(pairs)
    try:
        return build_plugin(build_registry(), kind, name, raw, *factory_args)
    except SpecError as error:
        lines = "\n".join(f"  --option {problem}" for problem in error.problems)
        raise UsageError(f"{kind} plugin {name!r}: bad options:\n{lines}") from None


def parse_options(pairs: Sequence[str]) -> dict[str, Any]:
    """The raw options table of ``key=value`` pairs; a malformed or repeated key is a UsageError."""
    table: dict[str, Any] = {}
    for pair in pairs:
        key, equals, text = pair.partition("=")
        key = key.strip()
        if not equals or not _KEY.fullmatch(key):
            raise UsageError(f"--option {pair!r}: expected KEY=VALUE with KEY made of letters, "
                             "digits, '_' and '-'")
        if key in table:
            raise UsageError(f"--option {key}: given twice")
        table[key] = toml_value(text.strip())
    return table


def toml_value(text: str) -> Any:
    """``text`` read as one TOML value, or ``text`` itself when it is not one."""
    try:
        parsed = tomllib.loads(f"value = {text}")
    except tomllib.TOMLDecodeError:
        return text
    return parsed["value"] if list(parsed) == ["value"] else text
