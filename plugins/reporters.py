"""The plot reporter: ``plots/g<g>.png`` after every generation.

Train and eval accuracy of the population sorted by selection score, with
the baseline's 95 % band and the majority class (the paper's per-generation
figure). ``framework report`` re-announces every generation, so it redraws
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
    population = [m for m in population_rows(run_dir, generation) if m["scores"] and not m["scores"]["failed"]]
    if not population:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    population.sort(key=lambda m: m["rank"])
    xs = range(len(population))
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    ax.plot(xs, [m["scores"]["train_accuracy"] for m in population], "o-", label="train accuracy", markersize=3)
    ax.plot(xs, [m["scores"]["eval_accuracy"] for m in population], "s-", label="eval accuracy", markersize=3)
    band = summarize(list(baseline))
    if band and band.low is not None:
        ax.axhspan(band.low, band.high, color="grey", alpha=0.25, label=f"baseline eval 95% CI (n={band.n})")
        ax.axhline(band.mean, color="grey", linewidth=1)
    majority = data_balance_of(run_dir).get("eval", {}).get("majority_accuracy")
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
    return buffer.getvalue()


@hookimpl
def on_generation_end(event):
    baseline = [s.eval_accuracy for s in event.state.baseline if not s.failed]
    png = plot_generation(event.run_dir, event.generation, baseline)
    if png is not None:
        write_bytes_atomic(event.run_dir.plot(event.generation), png)
