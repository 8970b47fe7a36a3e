"""The ``framework`` command line: one small module per group of commands.

Every command is a function ``(args) -> exit code``. A :class:`FrameworkError`
prints its message (no traceback) and exits with its code: 2 for bad input,
1 for failures while working. ``framework --traceback COMMAND`` (or
``FRAMEWORK_TRACEBACK=1``) prints the full traceback before the message, for
debugging a plugin.

To add a command, write a module with ``add_commands(subparsers)`` (heavy
imports inside the handlers, so ``framework --help`` stays fast) and list it
in :data:`COMMAND_MODULES` under its group.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import traceback
from importlib import import_module
from typing import Sequence

from rich.markup import escape

import framework
from framework.cli.console import stderr
from framework.errors import FrameworkError

#: Command groups below ``framework`` (``framework dsl eval``...), with their help line.
GROUPS = {
    "dsl": "grammar and program tools (eval, check, draw, enumerate, ...)",
}

#: ``(group, module)``: each module's ``add_commands(subparsers)`` adds its commands to
#: ``framework GROUP`` (``""``: to ``framework`` itself), in this order.
COMMAND_MODULES = (
    ("", "framework.cli.run"),          # run, validate
    ("", "framework.cli.plugins"),      # plugins
    ("", "framework.cli.report"),       # report
    ("", "framework.cli.study"),        # study
    ("", "framework.cli.networks"),     # predict, show, probe
    ("", "framework.cli.new_plugin"),   # new-plugin
    ("dsl", "framework.cli.dsl"),       # dsl eval, check, draw
    ("dsl", "framework.cli.synthesis"),  # dsl enumerate, sample, reweight
    ("dsl", "framework.cli.compress"),  # dsl compress
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    before = os.environ.get("FRAMEWORK_TRACEBACK")
    if args.traceback:  # also for the warnings plugin loading prints while the command runs
        os.environ["FRAMEWORK_TRACEBACK"] = "1"
    try:
        return args.handler(args)
    except FrameworkError as exc:
        if traceback_from_env():
            traceback.print_exception(exc, file=sys.stderr)
        # the message is plain text (paths, names like "exp[v2]", "framework[raven]"), never markup
        stderr.print(f"[bold red]error:[/] {escape(str(exc))}", markup=True, highlight=False)
        return exc.exit_code
    except KeyboardInterrupt:
        stderr.print("interrupted")
        return 130
    except BrokenPipeError:
        return _reader_went_away()
    finally:
        if before is None:
            os.environ.pop("FRAMEWORK_TRACEBACK", None)
        else:
            os.environ["FRAMEWORK_TRACEBACK"] = before


def _reader_went_away() -> int:
    """``framework dsl eval ... | head``: stop quietly, as Unix tools do, with 128 + SIGPIPE.

    Python would report the broken pipe again when it flushes stdout at exit,
    so stdout is pointed at /dev/null first.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 128 + signal.SIGPIPE


def traceback_from_env() -> bool:
    """Whether ``FRAMEWORK_TRACEBACK`` asks for full tracebacks (set, and not ``0``/empty)."""
    return os.environ.get("FRAMEWORK_TRACEBACK", "0") not in ("", "0")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="framework",
        description="A plugin-based neurosymbolic framework: grammars, program synthesis, G-SSNNs.",
    )
    parser.add_argument("--version", action="version", version=f"framework {framework.__version__}")
    parser.add_argument("--traceback", action="store_true",
                        help="print the full Python traceback of an error (also: FRAMEWORK_TRACEBACK=1)")
    top = parser.add_subparsers(title="commands", metavar="COMMAND")
    groups = {"": top}
    for group, module in COMMAND_MODULES:
        if group not in groups:
            groups[group] = _add_group(top, group)
        import_module(module).add_commands(groups[group])
    return parser


def _add_group(commands: argparse._SubParsersAction, name: str) -> argparse._SubParsersAction:
    group = commands.add_parser(name, help=GROUPS[name])
    group.set_defaults(handler=lambda _args: (group.print_help(), 2)[1])
    return group.add_subparsers(title=f"{name} commands", metavar="COMMAND")


if __name__ == "__main__":
    sys.exit(main())
