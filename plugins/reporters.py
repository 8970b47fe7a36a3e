"""The plot reporter: ``plots/g<g>.png`` after every generation.

Train and eval accuracy of the population sorted by selection score, each
member labelled with its candidate id, its selection score beside them and the
kept ones shaded, with the baseline's 95 % band and the majority class (the
paper's per-generation figure). ``framework report`` re-announces every generation, so it redraws
them all. (The survivors' drawings come from the graph domain's reporter.)
"""

from __future__ import annotations

import io
import math

from framework import hookimpl
from framework.report import data_balance_of, population_rows
from framework.stats import summarize
from framework.store import write_bytes_atomic


def plot_generation(run_dir, generation, baseline):
    """The PNG bytes of one generation's figure, or None when no member trained."""
    fig = generation_figure(run_dir, generation, baseline)
    if fig is None:
        return None
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def generation_figure(run_dir, generation, baseline):
    """One generation's matplotlib figure, or None when no member trained.

    One column per trained member in rank order, labelled with its candidate id; the
    selection score that orders them is drawn beside train and eval accuracy, and the
    kept members are shaded (their ids in bold).
    """
    members = population_rows(run_dir, generation)
    population = [m for m in members if m["scores"] and not m["scores"]["failed"]]
    if not population:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    population.sort(key=lambda m: m["rank"])
    xs = range(len(population))
    kept = sum(m["kept"] for m in population)
    fig, ax = plt.subplots(figsize=(max(9, 0.45 * len(population) + 4), 4.5), dpi=100)
    if kept:
        ax.axvspan(-0.5, kept - 0.5, color="tab:green", alpha=0.12, label=f"kept ({kept})")
    ax.plot(xs, [m["scores"]["train_accuracy"] for m in population], "o-", label="train accuracy", markersize=3)
    ax.plot(xs, [m["scores"]["eval_accuracy"] for m in population], "s-", label="eval accuracy", markersize=3)
    ax.plot(xs, [m["selection"] for m in population], "D", color="tab:purple", markersize=5,
            markerfacecolor="none", label="selection score (orders the members)")
    band = summarize(list(baseline))
    if band:
        if band.low is not None:
            ax.axhspan(band.low, band.high, color="grey", alpha=0.25, label="baseline eval 95% CI")
        ax.axhline(band.mean, color="grey", linewidth=1, label=f"baseline eval mean (n={band.n})")
    majority = data_balance_of(run_dir).get("eval", {}).get("majority_accuracy")
    if majority is not None and not math.isnan(majority):
        ax.axhline(majority, color="black", linestyle=":", linewidth=1, label="majority class (fitted on train)")
    values = [m["scores"][k] for m in population for k in ("train_accuracy", "eval_accuracy")]
    values += [m["selection"] for m in population]
    floor = min([*values, *([band.low] if band and band.low is not None else []),
                 *([majority] if majority is not None else [])])
    ax.set_ylim(max(0.0, min(floor, 0.95) - 0.03), 1.01)
    ax.set_xticks(list(xs), [m["id"] for m in population], rotation=60, ha="right", fontsize=8)
    for label, member in zip(ax.get_xticklabels(), population):
        label.set_fontweight("bold" if member["kept"] else "normal")
    ax.set_xlim(-0.5, len(population) - 0.5)
    ax.set_xlabel("candidate, by selection score (best first)")
    ax.set_ylabel("accuracy")
    failed = len(members) - len(population)
    ax.set_title(f"generation {generation}: {len(population)} trained, {kept} kept"
                 + (f", {failed} failed (not shown)" if failed else ""))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7)  # beside the data, never over it
    fig.tight_layout()
    return fig


@hookimpl
def on_generation_end(event):
    baseline = [s.eval_accuracy for s in event.state.baseline if not s.failed]
    png = plot_generation(event.run_dir, event.generation, baseline)
    if png is not None:
        write_bytes_atomic(event.run_dir.plot(event.generation), png)
