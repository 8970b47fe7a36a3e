"""``framework plugins``: the plugins available, as a table or JSON; broken entry points with their error."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from framework.cli.console import stdout


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Add ``plugins``."""
    plugins = commands.add_parser("plugins", help="list the available plugins")
    plugins.add_argument("--spec", type=Path, help="also load the plugins this spec lists")
    plugins.add_argument("--json", action="store_true", help="print JSON instead of a table")
    plugins.set_defaults(handler=_plugins)


def _plugins(args: argparse.Namespace) -> int:
    from rich.markup import escape
    from rich.table import Table

    from framework.plugins import build_registry
    from framework.spec import load_spec

    if args.spec:
        registry = load_spec(args.spec)[1].registry
    else:
        registry = build_registry()
    rows = [
        {
            "kind": r.info.kind,
            "name": r.info.name,
            "source": r.source,
            "package": r.package,
            "version": r.version,
            "summary": r.info.summary,
            "error": None,
        }
        for r in registry.all()
    ] + [
        {
            "kind": "(broken)",
            "name": b.entry_point,
            "source": b.source,
            "package": b.package,
            "version": b.version,
            "summary": "",
            "error": b.error,
        }
        for b in registry.broken
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    table = Table(title="framework plugins")
    for column in ("kind", "name", "source", "version", "summary"):
        table.add_column(column, overflow="fold")
    for row in rows:
        cells = (row["kind"], row["name"], row["source"], f"{row['package']} {row['version']}".strip(),
                 row["error"] or row["summary"])
        table.add_row(*(escape(cell) for cell in cells))  # plugin-supplied text, never markup
    stdout.print(table)
    return 0
