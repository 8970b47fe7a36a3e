"""The ``framework`` command line: run, validate, plugins, report and the ``dsl`` group.

Every command is a function ``(args) -> exit code``. A :class:`FrameworkError`
prints its message (no traceback) and exits with its code: 2 for bad input,
1 for failures while working.
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib import import_module
from pathlib import Path
from typing import Sequence

from rich.console import Console
from rich.table import Table

import framework
from framework.errors import FrameworkError, UsageError

stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    try:
        return args.handler(args)
    except FrameworkError as exc:
        stderr.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False)
        return exc.exit_code
    except KeyboardInterrupt:
        stderr.print("interrupted")
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="framework",
        description="A plugin-based neurosymbolic framework: grammars, program synthesis, G-SSNNs.",
    )
    parser.add_argument("--version", action="version", version=f"framework {framework.__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    run = commands.add_parser("run", help="run the evolutionary loop a spec describes")
    run.add_argument("spec", type=Path, help="plugin-spec.toml")
    run.add_argument("--out", type=Path, help="run directory (default: the spec's run.out)")
    run.add_argument("--resume", action="store_true", help="continue a killed run from its last checkpoint")
    run.add_argument("--device", choices=("auto", "cpu", "cuda"), help="override run.device")
    run.set_defaults(handler=_run)

    validate = commands.add_parser("validate", help="check a spec and the plugins it names; write nothing")
    validate.add_argument("spec", type=Path)
    validate.set_defaults(handler=_validate)

    plugins = commands.add_parser("plugins", help="list the available plugins")
    plugins.add_argument("--spec", type=Path, help="also load the plugins this spec lists")
    plugins.add_argument("--json", action="store_true", help="print JSON instead of a table")
    plugins.set_defaults(handler=_plugins)

    report = commands.add_parser("report", help="redraw plots, drawings and the summary of a run directory")
    report.add_argument("run_dir", type=Path)
    report.set_defaults(handler=_report)

    dsl = commands.add_parser("dsl", help="grammar and program tools (eval, check, draw, enumerate, ...)")
    dsl_commands = dsl.add_subparsers(title="dsl commands", metavar="COMMAND")
    dsl.set_defaults(handler=lambda _args: (dsl.print_help(), 2)[1])
    for module in DSL_COMMAND_MODULES:
        import_module(module).add_commands(dsl_commands)

    return parser


#: Modules that each add subcommands to ``framework dsl`` through ``add_commands(subparsers)``.
DSL_COMMAND_MODULES = ("framework.dsl.cli", "framework.dsl.cli_synthesis", "framework.dsl.cli_compress")


def _validate(args: argparse.Namespace) -> int:
    from framework.spec import load_spec

    spec, plugins = load_spec(args.spec)
    stdout.print(f"{args.spec}: valid ({len(plugins.registry.all())} plugins available)")
    return 0


def _run(args: argparse.Namespace) -> int:
    from attrs import evolve

    from framework.engine import resolve_run_dir, run
    from framework.spec import load_spec

    spec, plugins = load_spec(args.spec)
    if args.device:
        spec = evolve(spec, run=evolve(spec.run, device=args.device))
    run_dir = resolve_run_dir(spec, args.out)
    try:
        run(spec, plugins, run_dir, spec_dir=args.spec.parent, resume=args.resume, console=stderr)
    except KeyboardInterrupt:
        stderr.print(f"stopped; every finished network is saved. Continue with: "
                     f"framework run {args.spec} --out {run_dir} --resume")
        return 130
    stdout.print(f"run directory: {run_dir}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from framework.report import print_summary, redraw
    from framework.run_dir import RunDir
    from framework.spec import load_spec

    run_dir = RunDir(args.run_dir)
    if not run_dir.spec.is_file():
        raise UsageError(f"{run_dir.root}: not a run directory (no {run_dir.spec.name})")
    _, plugins = load_spec(run_dir.spec)  # the run's own plugins, third-party reporters included
    print_summary(stdout, redraw(run_dir, plugins.hook))
    stdout.print(f"rebuilt metrics and the summary in {run_dir.root}; every reporter redrew")
    return 0


def _plugins(args: argparse.Namespace) -> int:
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
        }
        for r in registry.all()
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    table = Table(title="framework plugins")
    for column in ("kind", "name", "source", "version", "summary"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(row["kind"], row["name"], row["source"], f"{row['package']} {row['version']}".strip(), row["summary"])
    stdout.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
