"""What the ``framework dsl`` commands share: choosing the grammar, reading programs.

``--domain NAME`` names a domain plugin whose grammar is the default;
``--grammar FILE`` overrides it (commands that need no domain then load no
plugin at all); ``--syntax`` picks how program lines are read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Callable, Iterator

from framework.dsl.errors import ProgramError, ProgramSyntaxError
from framework.dsl.grammar import Grammar
from framework.dsl.program import Program
from framework.errors import UsageError
from framework.text import NotText, decode

SYNTAXES = ("sexp", "original")


def grammar_arguments(parser: argparse.ArgumentParser, *, syntax: bool = True) -> None:
    """``--domain`` and ``--grammar`` (and ``--syntax`` unless ``syntax=False``)."""
    parser.add_argument("--domain", default="graph",
                        help="domain plugin whose grammar is the default (default: graph)")
    parser.add_argument("--grammar", type=Path, help="grammar file (overrides the domain's)")
    if syntax:
        parser.add_argument("--syntax", choices=SYNTAXES, default="sexp",
                            help="sexp: the grammar's own syntax; original: the seed's lambda syntax")


def programs_argument(parser: argparse.ArgumentParser) -> None:
    """The optional ``PROGRAMS`` file (one program per line; ``-`` or none: stdin)."""
    parser.add_argument("programs", nargs="?", default="-",
                        help="file of programs, one per line (default: stdin)")


def load_domain(args: argparse.Namespace) -> Any:
    """The ``--domain`` plugin object, with its default options."""
    from framework.plugins import build_plugin, build_registry

    return build_plugin(build_registry(), "domain", args.domain)


def resolve_grammar(args: argparse.Namespace) -> Grammar:
    """``--grammar`` when given (no plugin loaded), else the grammar of the ``--domain`` plugin."""
    if args.grammar is not None:
        return Grammar.load(args.grammar)
    return load_domain(args).grammar


def domain_and_grammar(args: argparse.Namespace) -> tuple[Any, Grammar]:
    """The ``--domain`` plugin object and the grammar to use (``--grammar`` or the domain's)."""
    domain = load_domain(args)
    grammar = Grammar.load(args.grammar) if args.grammar else domain.grammar
    return domain, grammar


def program_reader(grammar: Grammar, syntax: str) -> Callable[[str, str], Program]:
    """``read(text, source) -> Program`` for ``--syntax`` ``sexp`` (the grammar's) or ``original``."""
    if syntax == "original":
        from framework.dsl.lambda_import import import_original

        return lambda text, source: import_original(text, grammar, source)
    return grammar.parse


def input_lines(name: str) -> Iterator[tuple[int, str | NotText]]:
    """``(line number, line)`` of file ``name``, or of stdin for ``-``.

    A line that is not UTF-8 text comes as a :class:`~framework.text.NotText`
    naming ``file:line:column``, so per-line tools can report it and go on.
    """
    source = "<stdin>" if name == "-" else name
    try:
        handle = sys.stdin.buffer if name == "-" else open(name, "rb")
    except OSError as error:
        raise UsageError(f"{name}: cannot read programs: {error.strerror}") from None
    try:
        for lineno, raw in enumerate(handle, start=1):
            try:
                yield lineno, decode(raw, source, first_line=lineno)
            except NotText as error:
                yield lineno, error
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()


def positioned(error: ProgramSyntaxError, name: str, lineno: int) -> str:
    """The error re-anchored at the input file's line (each program is one line)."""
    return str(ProgramSyntaxError(error.reason, name, lineno, error.column, error.expected))


def read_programs(grammar: Grammar, name: str, syntax: str = "sexp",
                  check: Callable[[Program], None] | None = None) -> list[Program]:
    """The programs of file ``name`` (``-``: stdin), one per line, checked against ``grammar``
    (and by ``check``, which raises :class:`ProgramError`: a consumer's own limits).

    A bad line raises :class:`UsageError` naming ``file:line:col``.
    """
    read = program_reader(grammar, syntax)
    source = "<stdin>" if name == "-" else name
    programs = []
    for lineno, line in input_lines(name):
        if isinstance(line, NotText):
            raise UsageError(str(line))
        text = line.strip()
        if not text:
            continue
        try:
            program = read(text, source)
            grammar.check(program)
            if check is not None:
                check(program)
        except ProgramSyntaxError as error:
            raise UsageError(positioned(error, source, lineno)) from None
        except ProgramError as error:
            raise UsageError(f"{source}:{lineno}: {error}") from None
        programs.append(program)
    return programs
