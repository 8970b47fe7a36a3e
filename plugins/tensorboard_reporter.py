"""TensorBoard reporter: scalars per generation under ``<run dir>/tensorboard``.

Active when the ``tensorboard`` extra is installed (``torch.utils.tensorboard``
imports); otherwise it does nothing, and says so once. Per generation it
writes the evaluation accuracy of the population (mean and best), of the
survivors, the baseline mean, the failed count and the compression ratio.

After generation ``g`` the events file holds generations ``0 .. g``, written
afresh from the run directory's records and renamed over the last one, so a
resumed run, or ``framework report`` re-announcing the run, never doubles a
point, and a kill leaves the previous file whole.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from framework import hookimpl
from framework.report import generation_rows

#: One events file, replaced whole (TensorBoard reads any file whose name holds "tfevents").
EVENTS = "events.out.tfevents.framework"

_warned = []


def _summary_writer():
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError as exc:
        if not _warned:
            _warned.append(True)
            print(f"tensorboard reporter inactive ({exc}); pip install 'framework[tensorboard]'", file=sys.stderr)
        return None
    return SummaryWriter


def _write_scalars(writer, row, baseline) -> None:
    g = row["generation"]
    for name in ("eval_accuracy", "survivor_eval_accuracy"):
        if row[name]:
            writer.add_scalar(f"{name}/mean", row[name]["mean"], g)
            writer.add_scalar(f"{name}/best", row[name]["best"], g)
    if baseline:
        writer.add_scalar("baseline/eval_accuracy_mean", sum(baseline) / len(baseline), g)
    writer.add_scalar("population/failed", row["failed"], g)
    if row["compression_ratio"] is not None:
        writer.add_scalar("library/compression_ratio", row["compression_ratio"], g)


@hookimpl
def on_generation_end(event):
    SummaryWriter = _summary_writer()
    if SummaryWriter is None:
        return
    folder = Path(event.run_dir.tensorboard)
    folder.mkdir(parents=True, exist_ok=True)
    baseline = [s.eval_accuracy for s in event.state.baseline if not s.failed]
    scratch = Path(tempfile.mkdtemp(prefix=".events.", suffix=".tmp", dir=folder))
    try:
        with SummaryWriter(log_dir=str(scratch)) as writer:
            for row in generation_rows(event.run_dir, event.state):
                if row["generation"] <= event.generation:
                    _write_scalars(writer, row, baseline)
        (written,) = scratch.glob("events.out.tfevents.*")
        os.replace(written, folder / EVENTS)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
