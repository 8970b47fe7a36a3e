"""A study's report: ``summary.json``, ``summary.md`` and ``plots/data-efficiency.png``.

Per run (a cell and a seed), three figures of evaluation accuracy:

* ``baseline``: the run's baseline arm (the encoder alone), its mean over ``baseline.runs``;
* ``best``: the G-SSNN the selector ranked first in the last generation (selected on the
  selector's split, the selection split for ``select-accuracy``), scored on eval;
* ``survivors``: the mean over the last generation's survivors;

and the majority-class accuracy of its eval split. Per cell, each figure over
the seeds: mean, 95 % t-interval and n; and the paired difference ``best -
baseline`` seed by seed: mean, 95 % t-interval and the two-sided p-value of
an exact sign-flip permutation test (every sign pattern for up to 13 seeds).
Statistics come from ``scipy.stats``. Everything is a function of the run
directories, so the report is rewritten identically whenever a study ends.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any, Sequence

from framework.report import read_json
from framework.store import read_jsonl, write_bytes_atomic, write_json_atomic, write_text_atomic
from framework.study import Study, StudyRun, cell_name, run_status

ARMS = (("baseline", "baseline (encoder alone)"), ("best", "G-SSNN, best selected"),
        ("survivors", "G-SSNN survivors' mean"))


def run_figures(run_dir: Path) -> dict[str, float | None]:
    """The run's baseline, best-selected and survivors' eval accuracy, and its majority class."""
    summary = read_json(run_dir / "summary.json")
    last = summary["generations"][-1]["generation"] if summary["generations"] else None
    members = read_jsonl(run_dir / "population" / f"g{last}.jsonl") if last is not None else []
    ok = [m for m in members if m["scores"] and not m["scores"]["failed"]]
    best = min(ok, key=lambda m: m["rank"], default=None)
    kept = [m["scores"]["eval_accuracy"] for m in ok if m["kept"]]
    return {
        "baseline": summary["baseline"]["mean"] if summary["baseline"] else None,
        "best": best["scores"]["eval_accuracy"] if best else None,
        "survivors": math.fsum(kept) / len(kept) if kept else None,
        "majority": summary.get("majority"),
    }


def interval(values: Sequence[float]) -> dict[str, float | int | None] | None:
    """Mean with its 95 % t-interval (none for a single value) and n."""
    import numpy as np
    from scipy import stats

    if not values:
        return None
    data = np.asarray(values, dtype=float)
    mean = float(data.mean())
    if len(data) < 2:
        return {"n": 1, "mean": mean, "low": None, "high": None}
    if float(data.std()) == 0.0:
        return {"n": len(data), "mean": mean, "low": mean, "high": mean}
    low, high = stats.t.interval(0.95, len(data) - 1, loc=mean, scale=stats.sem(data))
    return {"n": len(data), "mean": mean, "low": float(low), "high": float(high)}


def paired(differences: Sequence[float]) -> dict[str, Any] | None:
    """The mean paired difference, its interval and an exact sign-flip p-value (two-sided)."""
    import numpy as np
    from scipy import stats

    result = interval(differences)
    if result is None:
        return None
    p_value = None
    if len(differences) > 1:
        test = stats.permutation_test((np.asarray(differences, dtype=float),), np.mean,
                                      permutation_type="samples", alternative="two-sided",
                                      n_resamples=10_000, random_state=0)
        p_value = float(test.pvalue)
    return {**result, "p_value": p_value}


def study_summary(study: Study) -> dict[str, Any]:
    runs = []
    for run in study.runs:
        status = run_status(study.out / run.path)
        figures = run_figures(study.out / run.path) if status == "done" else {}
        runs.append({"path": run.path, "cell": dict(run.cell), "seed": run.seed, "status": status, **figures})
    cells = []
    for cell, group in _by_cell(study.runs, runs):
        done = [r for r in group if r["status"] == "done"]
        row: dict[str, Any] = {"cell": dict(cell), "name": cell_name(cell), "runs": len(group), "done": len(done)}
        for arm, _ in ARMS:
            row[arm] = interval([r[arm] for r in done if r[arm] is not None])
        majority = [r["majority"] for r in done if r["majority"] is not None and not math.isnan(r["majority"])]
        row["majority"] = math.fsum(majority) / len(majority) if majority else None
        row["best_minus_baseline"] = paired([r["best"] - r["baseline"] for r in done
                                            if r["best"] is not None and r["baseline"] is not None])
        cells.append(row)
    return {"study": study.name, "seeds": list(study.seeds), "x": study.x,
            "grid": {key: list(values) for key, values in study.grid}, "cells": cells, "runs": runs}


def _by_cell(study_runs: Sequence[StudyRun], rows: list[dict[str, Any]]) -> list[tuple[Any, list[dict[str, Any]]]]:
    groups: dict[Any, list[dict[str, Any]]] = {}
    for run, row in zip(study_runs, rows):
        groups.setdefault(run.cell, []).append(row)
    return list(groups.items())


def write_report(study: Study) -> dict[str, Any]:
    summary = study_summary(study)
    write_json_atomic(study.out / "summary.json", summary)
    plot = plot_data_efficiency(study.out, summary)
    write_text_atomic(study.out / "summary.md", summary_markdown(summary, plot))
    return summary


def _fmt(stats: dict[str, Any] | None) -> str:
    if not stats:
        return "-"
    if stats["low"] is None:
        return f"{stats['mean']:.3f} (n=1)"
    return f"{stats['mean']:.3f} [{stats['low']:.3f}, {stats['high']:.3f}] (n={stats['n']})"


def _fmt_signed(stats: dict[str, Any] | None) -> str:
    if not stats:
        return "-"
    text = f"{stats['mean']:+.3f}"
    return text if stats["low"] is None else f"{text} [{stats['low']:+.3f}, {stats['high']:+.3f}]"


def summary_markdown(summary: dict[str, Any], plot: Path | None) -> str:
    seeds = ", ".join(map(str, summary["seeds"]))
    lines = [
        f"# Study {summary['study']}",
        "",
        f"Seeds {seeds}. Evaluation accuracy per cell over the seeds: mean [95 % t-interval] (n). "
        "`best`: the G-SSNN its selector ranked first in the last generation; `best - baseline`: "
        "the paired difference seed by seed, p from an exact two-sided sign-flip test.",
        "",
        "| cell | done | baseline | G-SSNN best selected | survivors' mean | majority | best - baseline | p |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in summary["cells"]:
        diff = row["best_minus_baseline"]
        p = f"{diff['p_value']:.3f}" if diff and diff["p_value"] is not None else "-"
        majority = f"{row['majority']:.3f}" if row["majority"] is not None else "-"
        lines.append(f"| {row['name']} | {row['done']}/{row['runs']} | {_fmt(row['baseline'])} | {_fmt(row['best'])} "
                     f"| {_fmt(row['survivors'])} | {majority} | {_fmt_signed(diff)} | {p} |")
    if plot is not None:
        lines += ["", f"![data efficiency]({plot.relative_to(plot.parents[1]).as_posix()})"]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# The data-efficiency plot
# ---------------------------------------------------------------------------


def plot_data_efficiency(out: Path, summary: dict[str, Any]) -> Path | None:
    """``plots/data-efficiency.png``: eval accuracy against the ``x`` grid key, one line per
    arm and group of the other grid keys, with 95 % bands, and the majority class."""
    x_key = summary["x"]
    if x_key is None or not any(row["done"] for row in summary["cells"]):
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    series = _series(summary["cells"], x_key)
    fig = Figure(figsize=(7, 4.5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    styles = {"baseline": ("grey", "o-"), "best": (None, "s-"), "survivors": (None, "^--")}
    for (arm, group), points in series.items():
        if arm == "majority":
            continue
        xs = [x for x, _ in points]
        shared = arm == "baseline" and sum(key[0] == "baseline" for key in series) == 1
        label = dict(ARMS)[arm] + (f" ({group})" if group and not shared else "")
        color, marker = styles[arm]
        line, = ax.plot(xs, [s["mean"] for _, s in points], marker, color=color, label=label, markersize=4)
        banded = [(x, s) for x, s in points if s["low"] is not None]
        if banded and arm != "survivors":
            ax.fill_between([x for x, _ in banded], [max(0.0, s["low"]) for _, s in banded],
                            [min(1.0, s["high"]) for _, s in banded], color=line.get_color(), alpha=0.15)
    majority = series.get(("majority", ""))
    if majority:
        ax.plot([x for x, _ in majority], [m for _, m in majority], ":", color="black", label="majority class (eval)")
    xs = sorted({x for points in series.values() for x, _ in points})
    if all(isinstance(x, (int, float)) for x in xs) and min(xs) > 0 and max(xs) / min(xs) >= 4:
        ax.set_xscale("log", base=2)
        ax.set_xticks(xs, [str(x) for x in xs])
    lowest = min(s["mean"] if isinstance(s, dict) else s for points in series.values() for _, s in points)
    ax.set_ylim(max(0.0, lowest - 0.1), 1.0)  # intervals beyond [0, 1] say only that n is small
    ax.set_xlabel(x_key)
    ax.set_ylabel("eval accuracy (mean over seeds, 95 % band)")
    ax.set_title(f"study {summary['study']}")
    ax.legend(loc="best", fontsize=7)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    path = out / "plots" / "data-efficiency.png"
    write_bytes_atomic(path, buffer.getvalue())
    return path


def _series(cells: list[dict[str, Any]], x_key: str) -> dict[tuple[str, str], list[tuple[Any, Any]]]:
    """(arm, group of the other grid keys) -> [(x, interval)], sorted by x; baselines and majority
    shared by every group (they do not depend on the injector) are drawn once."""
    series: dict[tuple[str, str], list[tuple[Any, Any]]] = {}
    majority: dict[Any, list[float]] = {}
    for row in cells:
        x = row["cell"][x_key]
        group = ", ".join(f"{k}={v}" for k, v in row["cell"].items() if k != x_key)
        for arm, _ in ARMS:
            if row[arm]:
                series.setdefault((arm, group), []).append((x, row[arm]))
        if row["majority"] is not None:
            majority.setdefault(x, []).append(row["majority"])
    baselines = {key: points for key, points in series.items() if key[0] == "baseline"}
    if len({repr(sorted(points, key=_x)) for points in baselines.values()}) == 1:
        for key in list(baselines)[1:]:
            del series[key]
    if majority:
        series[("majority", "")] = [(x, math.fsum(v) / len(v)) for x, v in majority.items()]
    return {key: sorted(points, key=_x) for key, points in series.items()}


def _x(point: tuple[Any, Any]) -> Any:
    return point[0]
