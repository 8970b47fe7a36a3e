"""``framework dsl compress``: library learning from the command line.

Reads programs (one per line, a file or stdin), compresses them with a
library learner plugin (``--learner``, default ``stitch``; its options as
``--option key=value``), prints the rewritten programs (one per line, in the
grammar's syntax) and writes the new grammar version, a self-contained
``.lark`` file that ``framework dsl eval --grammar`` reads back::

    framework dsl compress --domain graph --out graph.v1.lark --option iterations=3 programs.txt

The learner is reached through the plugin registry like any other plugin
(core code never imports ``framework_plugins``). A summary (inventions and
compression ratio) goes to stderr so that stdout holds only programs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from framework.cli.options import build_with_options, option_arguments
from framework.cli.programs import grammar_arguments, programs_argument, read_programs, resolve_grammar

#: The library learner used when ``--learner`` is not given.
DEFAULT_LEARNER = "stitch"


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Add ``compress`` to the ``framework dsl`` group."""
    compress = subparsers.add_parser(
        "compress", help="learn inventions from programs and print them rewritten")
    grammar_arguments(compress)
    programs_argument(compress)
    compress.add_argument("--out", type=Path, required=True,
                          help="where to write the new grammar version (.lark)")
    compress.add_argument("--learner", default=DEFAULT_LEARNER,
                          help=f"library learner plugin (default: {DEFAULT_LEARNER})")
    option_arguments(compress, "library learner")
    compress.set_defaults(handler=_compress)


def _compress(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    # The learner first: a bad --option is reported before any program is read.
    learner = build_with_options("library_learner", args.learner, args.option)
    grammar = resolve_grammar(args)
    # a learner's own limits (stitch's max_depth) are checked line by line, before any work
    programs = read_programs(grammar, args.programs, args.syntax, getattr(learner, "check", None))
    result = learner.compress(grammar, programs)

    result.grammar.save(args.out)
    for program in result.programs:
        out.write(result.grammar.print(program) + "\n")
    out.flush()
    for invention in result.inventions:
        signature = " ".join(invention.arguments)
        err.write(f"{invention.name} : {signature}{' ' if signature else ''}-> {invention.nonterminal}"
                  f" = {invention.body!r}\n")
    err.write(f"{len(result.inventions)} invention(s), compression ratio {result.ratio:.3f}; "
              f"wrote {args.out}\n")
    return 0
