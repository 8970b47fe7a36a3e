"""``framework study STUDY.toml``: run (or continue) a study, report on it, show its state."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.table import Table

from framework.cli.console import stderr, stdout


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Add ``study``."""
    study = commands.add_parser("study", help="run a base spec over a grid of settings and seeds (resumable)")
    study.add_argument("study", type=Path, help="study.toml")
    study.add_argument("--out", type=Path, help="study directory (default: study.out, or runs/<name>)")
    study.add_argument("--executor", metavar="NAME",
                       help="who runs the study's runs: local, process, ray, ... (overrides study.executor)")
    study.add_argument("--status", action="store_true", help="show which runs are done; run nothing")
    study.add_argument("--report", action="store_true",
                       help="rewrite the report from the runs finished so far; run nothing")
    study.set_defaults(handler=_study)


def _study(args: argparse.Namespace) -> int:
    from framework.plugins import build_plugin
    from framework.spec import ExecutorChoice
    from framework.study import RunRunner, load_study, open_study_dir, pending_jobs
    from framework.study_report import write_report

    study, registry = load_study(args.study, args.out)
    if args.status:
        _print_status(study)
        return 0
    if args.report:
        open_study_dir(study)
        _print_cells(write_report(study))
        return 0
    choice = ExecutorChoice(plugin=args.executor) if args.executor else study.executor
    executor = build_plugin(registry, choice.kind, choice.plugin, choice.options, path="study.executor")
    open_study_dir(study)
    jobs = pending_jobs(study)
    total, finished = len(study.runs), [len(study.runs) - len(jobs)]
    stderr.print(f"[bold]study {escape(study.name)}[/]: {total} runs, {finished[0]} done, {len(jobs)} to run "
                 f"with the {escape(repr(choice.plugin))} executor, in {escape(str(study.out))}")
    failures: list[str] = []

    def on_result(job: Any, outcome: Any) -> None:
        finished[0] += 1
        if outcome.failed:
            failures.append(f"{job.key}: {outcome.failed}")
        detail = f"[red]failed[/]: {escape(outcome.failed)}" if outcome.failed else _figures(Path(job.run_dir))
        stderr.print(f"  {escape(job.key)} ({finished[0]}/{total}): {detail}")

    try:
        executor.run(jobs, RunRunner(verbose=choice.plugin == "local"), on_result)
    except KeyboardInterrupt:
        write_report(study)
        again = f"framework study {args.study}" + (f" --out {args.out}" if args.out else "")
        stderr.print(f"stopped; finished runs are kept, unfinished ones resume. Continue with: {escape(again)}")
        return 130
    summary = write_report(study)
    _print_cells(summary)
    stdout.print(f"study directory: {escape(str(study.out))} (summary.md, summary.json, plots/)")
    if failures:
        stderr.print(f"[bold red]{len(failures)} of {total} runs failed[/]:\n  " + escape("\n  ".join(failures)))
        return 1
    return 0


def _figures(run_dir: Path) -> str:
    from framework.study_report import run_figures

    figures = run_figures(run_dir)
    return "eval " + ", ".join(f"{arm} {value:.3f}" for arm, value in figures.items()
                               if arm != "majority" and value is not None)


def _print_status(study: Any) -> None:
    from framework.study import run_status

    table = Table(title=escape(f"study {study.name} ({study.out})"))
    for column in ("run", "seed", "state"):
        table.add_column(column)
    states = [run_status(study.out / run.path) for run in study.runs]
    for run, state in zip(study.runs, states):
        table.add_row(escape(run.path.rsplit("/", 1)[0]), str(run.seed), state)
    stdout.print(table)
    stdout.print(f"{states.count('done')} of {len(states)} runs done")


def _print_cells(summary: dict[str, Any]) -> None:
    from framework.study_report import ARMS

    table = Table(title="evaluation accuracy over seeds: mean [95 % CI]")
    for column in ("cell", "done", *(label for _, label in ARMS), "best - baseline (p)"):
        table.add_column(column, overflow="fold")
    for row in summary["cells"]:
        diff = row["best_minus_baseline"]
        paired = "-" if not diff else f"{diff['mean']:+.3f}" + (
            f" (p={diff['p_value']:.3f})" if diff["p_value"] is not None else "")
        table.add_row(escape(row["name"]), f"{row['done']}/{row['runs']}", *(_short(row[arm]) for arm, _ in ARMS), paired)
    stdout.print(table)


def _short(stats: dict[str, Any] | None) -> str:
    if not stats:
        return "-"
    return f"{stats['mean']:.3f}" + (f" [{stats['low']:.3f}, {stats['high']:.3f}]" if stats["low"] is not None else "")
