"""``framework dsl enumerate``, ``sample`` and ``reweight``: the PCFG from the command line.

::

    framework dsl enumerate --domain graph --count 100000 --max-size 12
    framework dsl sample --count 20 --seed 1 --temperature 1.5
    framework dsl reweight --grammar graph.v1.lark --out graph.v2.lark < survivors.txt

Each takes ``--domain NAME`` (its grammar is the default) and ``--grammar
FILE`` (overrides it; the domain is then not loaded at all, so no plugin is
imported). ``enumerate`` streams ``logprob<TAB>program`` lines, most probable
first; ``sample`` prints programs, one per line, so its output pipes into
``eval`` or ``compress``.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path
from typing import TextIO

from framework.cli.programs import grammar_arguments, programs_argument, read_programs, resolve_grammar
from framework.dsl.heap_search import HeapSearch
from framework.dsl.pcfg import MAX_SIZE_LIMIT, SizeTable, compile_table, reweight, sample_program
from framework.errors import UsageError

#: Programs ``enumerate`` builds, prints and flushes at a time.
FLUSH_EVERY = 4096


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Add ``enumerate``, ``sample`` and ``reweight`` to the ``framework dsl`` group."""
    enumerate_ = subparsers.add_parser(
        "enumerate", help="print programs most probable first: 'logprob<TAB>program' lines")
    grammar_arguments(enumerate_, syntax=False)
    enumerate_.add_argument("--count", type=_positive, default=100, help="programs to print (default: 100)")
    enumerate_.add_argument("--max-size", type=_size, default=20,
                            help="largest program in nodes (default: 20)")
    enumerate_.set_defaults(handler=_enumerate)

    sample = subparsers.add_parser("sample", help="draw programs from the grammar's PCFG, one per line")
    grammar_arguments(sample, syntax=False)
    sample.add_argument("--count", type=_positive, default=10, help="programs to draw (default: 10)")
    sample.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    sample.add_argument("--temperature", type=float, default=1.0,
                        help="> 1 flattens the PCFG, < 1 sharpens it (default: 1)")
    sample.add_argument("--max-size", type=_size, default=20, help="largest program in nodes (default: 20)")
    sample.set_defaults(handler=_sample)

    reweighted = subparsers.add_parser(
        "reweight", help="re-estimate the PCFG from programs (one per line) and write a new grammar")
    grammar_arguments(reweighted)
    programs_argument(reweighted)
    reweighted.add_argument("--out", type=Path, required=True, help="where to write the new grammar (.lark)")
    reweighted.add_argument("--smoothing", type=float, default=1.0,
                            help="pseudo-count added to every production (default: 1)")
    reweighted.add_argument("--max-diff", type=float, default=None,
                            help="bound each log-probability's distance to its type's mean, in nats "
                                 "(the seed used 0.5; default: no bound)")
    reweighted.set_defaults(handler=_reweight)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _size(text: str) -> int:
    value = int(text)
    if not 1 <= value <= MAX_SIZE_LIMIT:
        raise argparse.ArgumentTypeError(f"must be in 1..{MAX_SIZE_LIMIT}, got {value}")
    return value


def _enumerate(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    grammar = resolve_grammar(args)
    search = HeapSearch(compile_table(grammar), args.max_size)
    show = grammar.print
    left = args.count
    try:
        while left > 0:
            chunk = search.take(min(FLUSH_EVERY, left))
            if not chunk:
                break
            left -= len(chunk)
            out.write("".join(f"{logprob!r}\t{show(program)}\n" for logprob, program in chunk))
            out.flush()
    except BrokenPipeError:  # `| head`: the reader has all it wants
        _silence_stdout()
    return 0


def _sample(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    grammar = resolve_grammar(args)
    sizes = SizeTable(compile_table(grammar, args.temperature), args.max_size)
    rng = random.Random(args.seed)
    try:
        for _ in range(args.count):
            out.write(grammar.print(sample_program(sizes, rng)) + "\n")
        out.flush()
    except BrokenPipeError:
        _silence_stdout()
    return 0


def _reweight(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    grammar = resolve_grammar(args)
    programs = read_programs(grammar, args.programs, args.syntax)
    try:
        new = reweight(grammar, programs, smoothing=args.smoothing, max_diff=args.max_diff)
    except ValueError as error:
        raise UsageError(f"reweight: {error}") from None
    new.save(args.out)
    for name, logprob in new.logprobs.items():
        out.write(f"{name}\t{logprob!r}\n")
    out.flush()
    err.write(f"re-weighted from {len(programs)} program(s); wrote {args.out}\n")
    return 0


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at devnull so the interpreter's final flush is quiet."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
