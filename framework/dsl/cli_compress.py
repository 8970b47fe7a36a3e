"""``framework dsl compress``: library learning from the command line.

Reads programs (one per line, a file or stdin), compresses them with the
``stitch`` library learner, prints the rewritten programs (one per line, in
the grammar's syntax) and writes the new grammar version, a self-contained
``.lark`` file that ``framework dsl eval --grammar`` reads back::

    framework dsl compress --domain graph --out graph.v1.lark programs.txt

The learner is reached through the plugin registry like any other plugin
(core code never imports ``framework_plugins``). A summary (inventions and
compression ratio) goes to stderr so that stdout holds only programs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from framework.dsl.cli import domain_and_grammar, domain_arguments
from framework.dsl.cli_synthesis import read_programs

#: The library learner this command uses.
LEARNER = "stitch"


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Add ``compress`` to the ``framework dsl`` group."""
    compress = subparsers.add_parser(
        "compress", help="learn inventions from programs (stitch) and print them rewritten")
    domain_arguments(compress)
    compress.add_argument("programs", nargs="?", default="-",
                          help="file of programs, one per line (default: stdin)")
    compress.add_argument("--out", type=Path, required=True,
                          help="where to write the new grammar version (.lark)")
    compress.add_argument("--iterations", type=int,
                          help="most inventions to learn (default: the learner's)")
    compress.add_argument("--max-arity", type=int,
                          help="most arguments per invention (default: the learner's)")
    compress.set_defaults(handler=_compress)


def _compress(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    from framework.plugins import build_plugin, build_registry

    out, err = out or sys.stdout, err or sys.stderr
    _, grammar = domain_and_grammar(args)
    programs = read_programs(grammar, args.programs, args.syntax)

    chosen = {"iterations": args.iterations, "max_arity": args.max_arity}
    options = {key: value for key, value in chosen.items() if value is not None}
    result = build_plugin(build_registry(), "library_learner", LEARNER, options).compress(grammar, programs)

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
