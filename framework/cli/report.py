"""``framework report``: every reporter redraws a run directory from what it records."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.markup import escape

from framework.cli.console import stderr, stdout
from framework.errors import UsageError


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Add ``report``."""
    report = commands.add_parser("report", help="redraw plots, drawings and the summary of a run directory")
    report.add_argument("run_dir", type=Path)
    report.set_defaults(handler=_report)


def _report(args: argparse.Namespace) -> int:
    from framework.report import print_summary, redraw
    from framework.run_dir import RunDir
    from framework.run_lock import locked
    from framework.spec import load_spec

    run_dir = RunDir(args.run_dir)
    if not run_dir.spec.is_file():
        raise UsageError(f"{run_dir.root}: not a run directory (no {run_dir.spec.name})")
    _, plugins = load_spec(run_dir.spec)  # the run's own plugins, third-party reporters included
    with locked(run_dir):  # not while a run writes it
        summary = redraw(run_dir, plugins.hook, _warn)
    print_summary(stdout, summary)
    stdout.print(f"rebuilt metrics and the summary in {escape(str(run_dir.root))}; every reporter redrew")
    return 0


def _warn(message: str) -> None:
    stderr.print(f"[yellow]warning[/]: {escape(message)}", highlight=False)
