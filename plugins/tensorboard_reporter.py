"""TensorBoard reporter: scalars per generation under ``<run dir>/tensorboard``.

Active when the ``tensorboard`` extra is installed (``torch.utils.tensorboard``
imports); otherwise it does nothing, and says so once. Per generation it
writes the evaluation accuracy of the population (mean and best), of the
survivors, the baseline mean, and one histogram of the population's scores.
Event files are appended to, so a resumed run, or ``framework report``
re-announcing the run, can repeat a generation's points; the JSONL metrics
are the exact record.
"""

from __future__ import annotations

import sys

from framework import hookimpl
from framework.report import generation_rows

_warned = []


def _writer(run_dir):
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError as exc:
        if not _warned:
            _warned.append(True)
            print(f"tensorboard reporter inactive ({exc}); pip install 'framework[tensorboard]'", file=sys.stderr)
        return None
    return SummaryWriter(log_dir=str(run_dir.tensorboard))


@hookimpl
def on_generation_end(event):
    writer = _writer(event.run_dir)
    if writer is None:
        return
    with writer:
        row = next(r for r in generation_rows(event.run_dir, event.state) if r["generation"] == event.generation)
        g = event.generation
        for name in ("eval_accuracy", "survivor_eval_accuracy"):
            if row[name]:
                writer.add_scalar(f"{name}/mean", row[name]["mean"], g)
                writer.add_scalar(f"{name}/best", row[name]["best"], g)
        baseline = [s.eval_accuracy for s in event.state.baseline if not s.failed]
        if baseline:
            writer.add_scalar("baseline/eval_accuracy_mean", sum(baseline) / len(baseline), g)
        writer.add_scalar("population/failed", row["failed"], g)
        if row["compression_ratio"] is not None:
            writer.add_scalar("library/compression_ratio", row["compression_ratio"], g)
