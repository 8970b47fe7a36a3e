"""``framework report``: redraw what a run directory shows from what it records."""

from __future__ import annotations

import argparse
from pathlib import Path

from framework.cli.console import stdout


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Add ``report``."""
    report = commands.add_parser("report", help="redraw plots, drawings and the summary of a run directory")
    report.add_argument("run_dir", type=Path)
    report.set_defaults(handler=_report)


def _report(args: argparse.Namespace) -> int:
    from framework.report import print_summary, redraw

    print_summary(stdout, redraw(args.run_dir))
    stdout.print(f"redrew plots, drawings, metrics and the summary in {args.run_dir}")
    return 0
