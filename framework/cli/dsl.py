"""``framework dsl eval``, ``check`` and ``draw``: programs to graphs, grammar files checked.

Each handler is ``(args) -> exit code``; a FrameworkError raised here is
printed by :func:`framework.cli.main` without a traceback.

``eval`` writes one JSON line per program (the output graph in the seed's
JSON form, or ``{"error": ...}``), so a whole archive can be checked with
``framework dsl eval --domain graph < programs.txt``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Callable, TextIO

from framework.cli.programs import (
    domain_and_grammar,
    grammar_arguments,
    input_lines,
    positioned,
    program_reader,
    programs_argument,
)
from framework.dsl.errors import ProgramError, ProgramSyntaxError
from framework.dsl.grammar import Grammar
from framework.dsl.program import Program
from framework.errors import FrameworkError, UsageError
from framework.text import NotText, decode


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Add ``eval``, ``check`` and ``draw`` to the ``framework dsl`` group."""
    evaluate = subparsers.add_parser(
        "eval", help="evaluate programs (one per line) and print one JSON line each")
    grammar_arguments(evaluate)
    programs_argument(evaluate)
    evaluate.set_defaults(handler=_eval)

    check = subparsers.add_parser("check", help="validate a grammar file (.lark)")
    check.add_argument("grammar", type=Path)
    check.add_argument("--json", action="store_true", help="print a JSON summary")
    check.set_defaults(handler=_check)

    draw = subparsers.add_parser("draw", help="render a program's output graph to SVG or PNG")
    grammar_arguments(draw)
    draw.add_argument("program", help="the program text, or '-' to read it from stdin")
    draw.add_argument("-o", "--output", type=Path, required=True, help="OUT.svg or OUT.png")
    draw.set_defaults(handler=_draw)


def evaluate_line(domain: Any, grammar: Grammar, read: Callable[[str, str], Program],
                  text: str, name: str, lineno: int) -> dict[str, Any]:
    """The JSON record ``eval`` prints for one program line."""
    from framework.domain import Rejection

    try:
        program = read(text, name)
        grammar.check(program)
    except ProgramSyntaxError as error:
        return {"error": positioned(error, name, lineno)}
    except ProgramError as error:
        return {"error": f"{name}:{lineno}: {error}"}
    output = domain.evaluate(program, grammar)
    if isinstance(output, Rejection):
        record = {"error": output.reason}
        if output.detail:
            record["detail"] = output.detail
        return record
    return domain.to_graph(output).to_json()


def _eval(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    domain, grammar = domain_and_grammar(args)
    read = program_reader(grammar, args.syntax)
    name = "<stdin>" if args.programs == "-" else args.programs
    for lineno, line in input_lines(args.programs):
        if isinstance(line, NotText):
            out.write(json.dumps({"error": str(line)}) + "\n")
            continue
        text = line.strip()
        if not text:
            continue
        record = evaluate_line(domain, grammar, read, text, name, lineno)
        out.write(json.dumps(record) + "\n")
    out.flush()
    return 0


def _check(args: argparse.Namespace) -> int:
    grammar = Grammar.load(args.grammar)
    summary = {
        "grammar": str(args.grammar),
        "start": grammar.start,
        "nonterminals": list(grammar.nonterminals),
        "productions": len(grammar.productions),
        "inventions": [p.name for p in grammar.inventions],
    }
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"{args.grammar}: ok: start {grammar.start!r}, "
              f"{len(grammar.nonterminals)} nonterminal(s), {len(grammar.productions)} "
              f"production(s), {len(grammar.inventions)} invention(s)")
    return 0


def _draw(args: argparse.Namespace) -> int:
    from framework.domain import Rejection
    from framework.store import write_bytes_atomic

    domain, grammar = domain_and_grammar(args)
    draw = getattr(domain, "draw", None)  # optional: a domain that can draw its outputs
    if draw is None:
        raise UsageError(f"domain {args.domain!r} cannot draw its outputs (it has no draw method)")
    format = args.output.suffix.lower().removeprefix(".")
    text = _stdin_text().strip() if args.program == "-" else args.program
    source = "<stdin>" if args.program == "-" else "<argument>"
    program = program_reader(grammar, args.syntax)(text, source)
    grammar.check(program)
    output = domain.evaluate(program, grammar)
    if isinstance(output, Rejection):
        raise FrameworkError(f"program rejected by domain {args.domain!r}: {output.reason}"
                             + (f" ({output.detail})" if output.detail else ""))
    try:
        data = draw(output, grammar.print(program), format)
    except UsageError as exc:
        raise UsageError(f"{args.output}: {exc}") from None
    write_bytes_atomic(args.output, data)
    print(f"wrote {args.output}")
    return 0


def _stdin_text() -> str:
    try:
        return decode(sys.stdin.buffer.read(), "<stdin>")
    except NotText as error:
        raise UsageError(str(error)) from None
