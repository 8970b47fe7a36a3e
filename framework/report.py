"""Run artifacts derived from the run state: population files, metrics, summary, plots.

Everything here is a pure function of what a run directory holds (the
checkpoint and the per-generation population files), so ``framework report
RUN_DIR`` can redraw it all, and a resumed run rewrites it identically.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Sequence

from rich.console import Console
from rich.table import Table

from framework.run_state import Candidate, RunState, candidate_to_json, scores_to_json, state_from_json
from framework.stats import summarize
from framework.store import read_jsonl, write_bytes_atomic, write_json_atomic, write_jsonl_atomic, write_text_atomic
from framework.task import TaskData, class_balance, majority_accuracy


def cache_dir() -> Path:
    """Where tasks cache generated data: ``$FRAMEWORK_CACHE`` or ``~/.cache/framework``."""
    return Path(os.environ.get("FRAMEWORK_CACHE") or Path.home() / ".cache" / "framework")


def read_json(path: Path) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


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


def write_population(run_dir: Path, generation: int, survivors: Sequence[Candidate], discarded: Sequence[Candidate]) -> None:
    """``population/g<g>.jsonl``: every member of the generation, ranked, with ``kept``."""
    rows = [
        {**candidate_to_json(c), "rank": rank, "kept": rank < len(survivors)}
        for rank, c in enumerate([*survivors, *discarded])
    ]
    write_jsonl_atomic(run_dir / "population" / f"g{generation}.jsonl", rows)


def write_metrics(run_dir: Path, state: RunState) -> None:
    """``metrics.jsonl``: one line per baseline run, per trained candidate and per generation."""
    rows: list[dict[str, Any]] = [
        {"type": "baseline", "run": i, **scores_to_json(s)} for i, s in enumerate(state.baseline)
    ]
    for c in sorted(_all_candidates(state).values(), key=lambda c: c.id):
        rows.append({"type": "candidate", **{k: v for k, v in candidate_to_json(c).items() if k != "graph"}})
    for g, row in enumerate(generation_rows(run_dir, state)):
        rows.append({"type": "generation", **row})
    write_jsonl_atomic(run_dir / "metrics.jsonl", rows)


def _all_candidates(state: RunState) -> dict[str, Candidate]:
    return {c.id: c for c in (*state.discarded, *state.survivors, *state.pending) if c.scores is not None}


def _population(run_dir: Path, generation: int) -> list[dict[str, Any]]:
    path = run_dir / "population" / f"g{generation}.jsonl"
    return read_jsonl(path) if path.exists() else []


def generation_rows(run_dir: Path, state: RunState) -> list[dict[str, Any]]:
    """Per finished generation: eval accuracy of its whole population and of its survivors."""
    rows = []
    for record in state.history:
        population = _population(run_dir, record.generation)
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
            "explored": record.explored,
        })
    return rows


def _summary_json(values: Sequence[float]) -> dict[str, float] | None:
    summary = summarize(values)
    return summary.to_json() if summary else None


# ---------------------------------------------------------------------------
# The summary
# ---------------------------------------------------------------------------


def write_summary(run_dir: Path, state: RunState) -> dict[str, Any]:
    """``summary.json`` and ``summary.md``: G-SSNN population vs baseline vs majority class."""
    balance = read_json(run_dir / "data.json") if (run_dir / "data.json").exists() else {}
    generations = generation_rows(run_dir, state)
    final = generations[-1] if generations else None
    baseline = [s.eval_accuracy for s in state.baseline if not s.failed]
    best = max(
        (m for m in _population(run_dir, final["generation"]) if m["scores"] and not m["scores"]["failed"]),
        key=lambda m: m["scores"]["eval_accuracy"], default=None,
    ) if final else None
    summary = {
        "gssnn": final["eval_accuracy"] if final else None,
        "baseline": _summary_json(baseline),
        "majority": balance.get("eval", {}).get("majority_accuracy"),
        "best_program": best["program"] if best else None,
        "generations": generations,
        "data": balance,
    }
    write_json_atomic(run_dir / "summary.json", summary)
    write_text_atomic(run_dir / "summary.md", summary_markdown(summary))
    return summary


def _fmt(stats: dict[str, float] | None) -> tuple[str, str, str]:
    if not stats:
        return "-", "-", "-"
    return f"{stats['mean']:.3f}", f"[{stats['low']:.3f}, {stats['high']:.3f}]", f"{stats['best']:.3f}"


def summary_rows(summary: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    majority = summary.get("majority")
    majority_text = "-" if majority is None or math.isnan(majority) else f"{majority:.3f}"
    gssnn, baseline = summary["gssnn"], summary["baseline"]
    return [
        ("G-SSNN population (last generation)", str(gssnn["n"]) if gssnn else "0", *_fmt(gssnn)),
        ("baseline (encoder alone)", str(baseline["n"]) if baseline else "0", *_fmt(baseline)),
        ("majority class", "-", majority_text, "-", majority_text),
    ]


def summary_markdown(summary: dict[str, Any]) -> str:
    lines = [
        "# Run summary",
        "",
        "Evaluation accuracy (mean with 95 % t-interval, best):",
        "",
        "| arm | n | mean | 95 % CI | best |",
        "|---|---|---|---|---|",
        *(f"| {' | '.join(row)} |" for row in summary_rows(summary)),
        "",
        "| generation | trained | population | failed | eval mean | eval best | inventions |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in summary["generations"]:
        mean, _, best = _fmt(row["eval_accuracy"])
        lines.append(f"| {row['generation']} | {row['trained']} | {row['population']} | {row['failed']} "
                     f"| {mean} | {best} | {', '.join(row['inventions']) or '-'} |")
    data = summary.get("data") or {}
    if data:
        lines += ["", "| split | n | positive rate | majority accuracy |", "|---|---|---|---|"]
        lines += [f"| {name} | {d['n']} | {d['positive_rate']:.3f} | {d['majority_accuracy']:.3f} |"
                  for name, d in data.items()]
    if summary.get("best_program"):
        lines += ["", f"Best program (eval accuracy): `{summary['best_program']}`"]
    return "\n".join(lines) + "\n"


def print_summary(console: Console, summary: dict[str, Any]) -> None:
    table = Table(title="evaluation accuracy")
    for column in ("arm", "n", "mean", "95% CI", "best"):
        table.add_column(column)
    for row in summary_rows(summary):
        table.add_row(*row)
    console.print(table)


# ---------------------------------------------------------------------------
# Plots and drawings (called by the built-in reporters and by `framework report`)
# ---------------------------------------------------------------------------


def plot_generation(run_dir: Path, generation: int, baseline: Sequence[float]) -> Path | None:
    """``plots/g<g>.png``: train and eval accuracy of the population sorted by selection score,
    with the baseline's 95 % band (the paper's per-generation figure)."""
    population = [m for m in _population(run_dir, generation) if m["scores"] and not m["scores"]["failed"]]
    if not population:
        return None
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    population.sort(key=lambda m: m["rank"])
    xs = range(len(population))
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    ax.plot(xs, [m["scores"]["train_accuracy"] for m in population], "o-", label="train accuracy", markersize=3)
    ax.plot(xs, [m["scores"]["eval_accuracy"] for m in population], "s-", label="eval accuracy", markersize=3)
    band = summarize(list(baseline))
    if band:
        ax.axhspan(band.low, band.high, color="grey", alpha=0.25, label=f"baseline eval 95% CI (n={band.n})")
        ax.axhline(band.mean, color="grey", linewidth=1)
    majority = (read_json(run_dir / "data.json").get("eval", {}).get("majority_accuracy")
                if (run_dir / "data.json").exists() else None)
    if majority is not None and not math.isnan(majority):
        ax.axhline(majority, color="black", linestyle=":", linewidth=1, label="majority class (eval)")
    values = [m["scores"][k] for m in population for k in ("train_accuracy", "eval_accuracy")]
    floor = min([*values, *([band.low] if band else []), *([majority] if majority is not None else [])])
    ax.set_ylim(max(0.0, min(floor, 0.95) - 0.03), 1.01)
    ax.set_xlabel("population member, by selection score (best first)")
    ax.set_ylabel("accuracy")
    ax.set_title(f"generation {generation}")
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    plt.close(fig)
    path = run_dir / "plots" / f"g{generation}.png"
    write_bytes_atomic(path, buffer.getvalue())
    return path


def draw_survivors(run_dir: Path, generation: int) -> list[Path]:
    """``drawings/g<g>/<id>.svg`` for every survivor of a generation."""
    from framework.dsl.draw import port_graph_svg
    from framework.graph import PortGraph

    paths = []
    for member in _population(run_dir, generation):
        if member["kept"]:
            path = run_dir / "drawings" / f"g{generation}" / f"{member['id']}.svg"
            write_text_atomic(path, port_graph_svg(PortGraph.from_json(member["graph"]), title=member["program"]))
            paths.append(path)
    return paths


def redraw(run_dir: Path) -> dict[str, Any]:
    """Rebuild plots, drawings, metrics and the summary from a run directory's artifacts."""
    checkpoint = run_dir / "checkpoint.json"
    if not checkpoint.is_file():
        from framework.errors import UsageError

        raise UsageError(f"{run_dir}: not a run directory (no checkpoint.json)")
    state = state_from_json(read_json(checkpoint))
    baseline = [s.eval_accuracy for s in state.baseline if not s.failed]
    for record in state.history:
        plot_generation(run_dir, record.generation, baseline)
        draw_survivors(run_dir, record.generation)
    write_metrics(run_dir, state)
    return write_summary(run_dir, state)
