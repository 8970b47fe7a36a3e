"""Run artifacts derived from the run state: population files, metrics, the summary.

Everything here is a pure function of what a run directory holds (the
checkpoint and the per-generation population files), so ``framework report
RUN_DIR`` can rebuild it all, and a resumed run rewrites it identically.
Plots and drawings belong to the reporter plugins; ``framework report``
re-announces every generation to them (:func:`redraw`).
"""

from __future__ import annotations

import json
import math

import cattrs
from pathlib import Path
from typing import Any, Sequence

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from framework.errors import UsageError
from framework.events import GenerationEnd, RunEnd
from framework.plugins import announce
from framework.run_dir import RunDir
from framework.run_state import (
    Candidate,
    RunState,
    candidate_to_json,
    exploration_to_json,
    scores_to_json,
    state_from_json,
)
from framework.stats import summarize
from framework.store import read_jsonl, write_json_atomic, write_jsonl_atomic, write_text_atomic
from framework.task import TaskData, class_balance, majority_accuracy


def read_json(path: Path) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def read_checkpoint(run_dir: RunDir) -> RunState:
    """The run state in ``checkpoint.json``; an empty or corrupt one is a one-line UsageError."""
    try:
        return state_from_json(read_json(run_dir.checkpoint))
    except OSError as exc:
        raise UsageError(f"{run_dir.checkpoint}: cannot read: {exc.strerror or exc}") from None
    except (ValueError, TypeError, KeyError, cattrs.BaseValidationError) as exc:
        reason = "empty" if not run_dir.checkpoint.read_bytes().strip() else f"corrupt ({type(exc).__name__})"
        raise UsageError(f"{run_dir.checkpoint}: {reason}, so the run cannot be resumed or reported; "
                         "start it again in a new directory with --out") from None


def data_balance(data: TaskData) -> dict[str, dict[str, float]]:
    """Size, positive rate and majority-class accuracy of each split (majority taken on train)."""
    out = {}
    for name in ("train", "select", "eval"):
        split = getattr(data, name)
        out[name] = {
            "n": int(split.y.numel()),
            "positive_rate": class_balance(split),
            "majority_accuracy": majority_accuracy(split, data.train),
        }
    return out


# ---------------------------------------------------------------------------
# Files written while the run goes
# ---------------------------------------------------------------------------


def write_population(run_dir: RunDir, generation: int, survivors: Sequence[Candidate], discarded: Sequence[Candidate]) -> None:
    """``population/g<g>.jsonl``: every member of the generation, ranked, with ``kept``."""
    rows = [
        {**candidate_to_json(c), "rank": rank, "kept": rank < len(survivors)}
        for rank, c in enumerate([*survivors, *discarded])
    ]
    write_jsonl_atomic(run_dir.population(generation), rows)


def write_metrics(run_dir: RunDir, state: RunState) -> None:
    """``metrics.jsonl``: one line per baseline run, per trained candidate and per generation."""
    rows: list[dict[str, Any]] = [
        {"type": "baseline", "run": i, **scores_to_json(s)} for i, s in enumerate(state.baseline)
    ]
    for c in sorted(_all_candidates(state).values(), key=lambda c: c.id):
        rows.append({"type": "candidate", **{k: v for k, v in candidate_to_json(c).items() if k != "graph"}})
    for g, row in enumerate(generation_rows(run_dir, state)):
        rows.append({"type": "generation", **row})
    write_jsonl_atomic(run_dir.metrics, rows)


def _all_candidates(state: RunState) -> dict[str, Candidate]:
    return {c.id: c for c in (*state.discarded, *state.survivors, *state.pending) if c.scores is not None}


def population_rows(run_dir: RunDir, generation: int) -> list[dict[str, Any]]:
    """The rows of ``population/g<g>.jsonl`` (none before the generation is selected)."""
    path = run_dir.population(generation)
    return read_jsonl(path) if path.exists() else []


def data_balance_of(run_dir: RunDir) -> dict[str, Any]:
    """What ``data.json`` holds (empty when it is missing)."""
    return read_json(run_dir.data) if run_dir.data.exists() else {}


def generation_rows(run_dir: RunDir, state: RunState) -> list[dict[str, Any]]:
    """Per finished generation: eval accuracy of its whole population and of its survivors."""
    rows = []
    for record in state.history:
        population = population_rows(run_dir, record.generation)
        if not population:
            continue
        evals = [m["scores"]["eval_accuracy"] for m in population if m["scores"] and not m["scores"]["failed"]]
        kept = [m["scores"]["eval_accuracy"] for m in population
                if m["kept"] and m["scores"] and not m["scores"]["failed"]]
        failed = sum(1 for m in population if not m["scores"] or m["scores"]["failed"])
        rows.append({
            "generation": record.generation,
            "grammar": record.grammar,
            "trained": len(record.candidates),
            "population": len(population),
            "failed": failed,
            "eval_accuracy": _summary_json(evals),
            "survivor_eval_accuracy": _summary_json(kept),
            "inventions": list(record.inventions),
            "compression_ratio": record.compression_ratio,
            "explored": exploration_to_json(record.explored),
            "library_error": record.library_error,
        })
    return rows


def _summary_json(values: Sequence[float]) -> dict[str, float] | None:
    summary = summarize(values)
    return summary.to_json() if summary else None


# ---------------------------------------------------------------------------
# The summary
# ---------------------------------------------------------------------------


def write_summary(run_dir: RunDir, state: RunState) -> dict[str, Any]:
    """``summary.json`` and ``summary.md``: the G-SSNN arms beside the baseline arm and the
    majority class, all on the eval split.

    The arms: the last generation's survivors; every candidate trained in the run; the
    best-selected candidate (rank 0 on the selection score, which the selection split
    gives; its eval accuracy over its repeats); the baseline runs. Each has ``n`` and a 95 %
    t-interval (none for ``n = 1``).
    """
    balance = data_balance_of(run_dir)
    generations = generation_rows(run_dir, state)
    final = population_rows(run_dir, generations[-1]["generation"]) if generations else []
    trained = [c.scores.eval_accuracy for c in _all_candidates(state).values() if not c.scores.failed]
    best = next((m for m in final if m["kept"]), None)  # rank order: the first kept is the best-selected
    best_scores = best["scores"] if best else None
    summary = {
        "split": "eval",
        "survivors": generations[-1]["survivor_eval_accuracy"] if generations else None,
        "trained": _summary_json(trained),
        "best_selected": best and {
            "id": best["id"], "program": best["program"], "selection": best["selection"],
            **(_summary_json(best_scores["eval_accuracies"] or [best_scores["eval_accuracy"]]) or {}),
        },
        "baseline": _summary_json([s.eval_accuracy for s in state.baseline if not s.failed]),
        "majority": balance.get("eval", {}).get("majority_accuracy"),
        "generations": generations,
        "data": balance,
    }
    write_json_atomic(run_dir.summary_json, summary)
    write_text_atomic(run_dir.summary_md, summary_markdown(summary))
    return summary


def any_candidate_trained(state: RunState) -> bool:
    """Whether at least one candidate network of the run trained without failing."""
    return any(not c.scores.failed for c in _all_candidates(state).values())


def _fmt(stats: dict[str, Any] | None) -> tuple[str, str, str, str]:
    """``n``, mean, interval and best of a summary (``-`` for what it lacks)."""
    if not stats:
        return "0", "-", "-", "-"
    interval = "-" if stats["low"] is None else f"[{stats['low']:.3f}, {stats['high']:.3f}]"
    return str(stats["n"]), f"{stats['mean']:.3f}", interval, f"{stats['best']:.3f}"


def summary_rows(summary: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    majority = summary.get("majority")
    majority_text = "-" if majority is None or math.isnan(majority) else f"{majority:.3f}"
    best = summary["best_selected"]
    last = summary["generations"][-1]["generation"] if summary["generations"] else None
    return [
        (f"G-SSNN survivors (generation {last})", *_fmt(summary["survivors"])),
        ("G-SSNN, every trained candidate", *_fmt(summary["trained"])),
        (f"best-selected candidate {best['id'] if best else '-'} (by selection score)", *_fmt(best)),
        ("baseline (encoder alone)", *_fmt(summary["baseline"])),
        ("majority class (fitted on train)", "-", majority_text, "-", majority_text),
    ]


def summary_markdown(summary: dict[str, Any]) -> str:
    eval_n = (summary.get("data") or {}).get("eval", {}).get("n")
    lines = [
        "# Run summary",
        "",
        f"Accuracy on the eval split{f' ({eval_n} examples)' if eval_n is not None else ''}: "
        "mean with 95 % t-interval (none for n = 1), best. The best-selected candidate is "
        "chosen on the selection split; n counts its training repeats.",
        "",
        "| arm | n | mean | 95 % CI | best |",
        "|---|---|---|---|---|",
        *(f"| {' | '.join(row)} |" for row in summary_rows(summary)),
        "",
        "| generation | trained | population | failed | eval mean | eval best | survivors' eval mean | inventions |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in summary["generations"]:
        _, mean, _, best = _fmt(row["eval_accuracy"])
        survivors = _fmt(row["survivor_eval_accuracy"])[1]
        lines.append(f"| {row['generation']} | {row['trained']} | {row['population']} | {row['failed']} "
                     f"| {mean} | {best} | {survivors} | {', '.join(row['inventions']) or '-'} |")
    lines += [f"\nGeneration {row['generation']}: no candidate trained successfully ({row['failed']} failed)."
              for row in summary["generations"] if row["failed"] == row["population"]]
    data = summary.get("data") or {}
    if data:
        lines += ["", "| split | n | positive rate | majority accuracy |", "|---|---|---|---|"]
        lines += [f"| {name} | {d['n']} | {d['positive_rate']:.3f} | {d['majority_accuracy']:.3f} |"
                  for name, d in data.items()]
    if summary.get("best_selected"):
        lines += ["", f"Best-selected program ({summary['best_selected']['id']}): "
                      f"`{summary['best_selected']['program']}`"]
    return "\n".join(lines) + "\n"


def print_summary(console: Console, summary: dict[str, Any]) -> None:
    table = Table(title="accuracy on the eval split")
    for column in ("arm", "n", "mean", "95% CI", "best"):
        table.add_column(column)
    for row in summary_rows(summary):
        table.add_row(*(escape(cell) for cell in row))  # ids and programs come from files
    console.print(table)


# ---------------------------------------------------------------------------
# `framework report`
# ---------------------------------------------------------------------------


def redraw(run_dir: RunDir, hook: Any, warn: Any = print) -> dict[str, Any]:
    """Rebuild metrics and the summary, then re-announce every recorded generation and the
    run's end to the reporters (``hook`` is the plugin manager's relay), so each redraws.
    A reporter that raises is reported through ``warn(message)``; the others go on."""
    if not run_dir.checkpoint.is_file():
        raise UsageError(f"{run_dir.root}: not a run directory (no {run_dir.checkpoint.name})")
    state = read_checkpoint(run_dir)
    write_metrics(run_dir, state)
    summary = write_summary(run_dir, state)
    for record in state.history:
        if run_dir.population(record.generation).exists():  # a generation selected before the kill
            announce(hook.on_generation_end, warn, event=GenerationEnd(run_dir, record.generation, state))
    if state.phase == "done":
        announce(hook.on_run_end, warn, event=RunEnd(run_dir, state, summary))
    return summary
