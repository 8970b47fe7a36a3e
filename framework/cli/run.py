"""``framework run`` and ``framework validate``: a spec, run or only checked."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.markup import escape

from framework.cli.console import stderr, stdout
from framework.errors import FrameworkError


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Add ``run`` and ``validate``."""
    run = commands.add_parser("run", help="run the evolutionary loop a spec describes")
    run.add_argument("spec", type=Path, help="plugin-spec.toml")
    run.add_argument("--out", type=Path, help="run directory (default: the spec's run.out)")
    run.add_argument("--resume", action="store_true", help="continue a killed run from its last checkpoint")
    run.add_argument("--device", choices=("auto", "cpu", "cuda"), help="override run.device")
    run.set_defaults(handler=_run)

    validate = commands.add_parser("validate", help="check a spec as run does before its first write; write nothing")
    validate.add_argument("spec", type=Path)
    validate.set_defaults(handler=_validate)


def _validate(args: argparse.Namespace) -> int:
    from framework.preflight import load_checked_spec, preflight

    spec, plugins = load_checked_spec(args.spec)
    parts = preflight(spec, plugins, args.spec.parent)
    model = "" if parts.input_shape is not None else (
        f"; the model is first built when the data is loaded (task {spec.task.plugin!r} declares no input_shape)")
    stdout.print(escape(f"{args.spec}: valid ({len(plugins.registry.all())} plugins available{model})"))
    return 0


def _run(args: argparse.Namespace) -> int:
    from attrs import evolve

    from framework.engine import resolve_run_dir, run
    from framework.preflight import load_checked_spec

    spec, plugins = load_checked_spec(args.spec)
    if args.device:
        spec = evolve(spec, run=evolve(spec.run, device=args.device))
    run_dir = resolve_run_dir(spec, args.out)
    resume = f"framework run {args.spec} --out {run_dir} --resume"
    try:
        run(spec, plugins, run_dir, spec_dir=args.spec.parent, resume=args.resume, console=stderr)
    except KeyboardInterrupt:
        stderr.print(f"stopped; every finished network is saved. Continue with: {escape(resume)}")
        return 130
    except OSError as exc:  # a full disk, a folder made read-only: every finished network is saved
        where = f": {exc.filename}" if exc.filename else ""
        then = f"then resume with: {resume}" if run_dir.checkpoint.is_file() else "then run it again"
        raise FrameworkError(f"{run_dir}: cannot write ({exc.strerror or exc}{where}); "
                             f"free space or fix the folder, {then}") from None
    stdout.print(f"run directory: {escape(str(run_dir))}")
    return 0
