"""TensorBoard reporter: scalars per generation under ``<run dir>/tensorboard``.

Active when the ``tensorboard`` extra is installed; otherwise it does nothing,
and says so once. Per generation it writes the evaluation accuracy of the
population (mean and best), of the survivors, the baseline mean, the failed
count and the compression ratio.

After generation ``g`` the events file holds generations ``0 .. g``, written
afresh from the run directory's records and renamed over the last one, so a
resumed run, or ``framework report`` re-announcing the run, never doubles a
point, and a kill leaves the previous file whole. Every point's wall time is
its generation number (and the file header's is 0): rewritten whole, the file
would otherwise stamp every point with the time of the last rewrite, which
says nothing and made it the one artifact that differed between identical
runs, or between a killed-and-resumed run and one that never stopped.
"""

from __future__ import annotations

import io
import sys
from typing import Any, Iterator

from framework import hookimpl
from framework.report import generation_rows
from framework.store import write_bytes_atomic

#: One events file, replaced whole (TensorBoard reads any file whose name holds "tfevents").
EVENTS = "events.out.tfevents.framework"

_warned = []


def _tensorboard() -> Any:
    """TensorBoard's event protos and record writer, or None (said once) without the extra."""
    try:
        from tensorboard.compat.proto import event_pb2, summary_pb2
        from tensorboard.summary.writer.record_writer import RecordWriter
    except ImportError as exc:
        if not _warned:
            _warned.append(True)
            print(f"tensorboard reporter inactive ({exc}); pip install 'framework[tensorboard]'", file=sys.stderr)
        return None
    return event_pb2, summary_pb2, RecordWriter


def _scalars(row: dict[str, Any], baseline: list[float]) -> Iterator[tuple[str, float]]:
    for name in ("eval_accuracy", "survivor_eval_accuracy"):
        if row[name]:
            yield f"{name}/mean", row[name]["mean"]
            yield f"{name}/best", row[name]["best"]
    if baseline:
        yield "baseline/eval_accuracy_mean", sum(baseline) / len(baseline)
    yield "population/failed", row["failed"]
    if row["compression_ratio"] is not None:
        yield "library/compression_ratio", row["compression_ratio"]


def events_file(rows: list[dict[str, Any]], baseline: list[float]) -> bytes:
    """The events file of ``rows`` (one per generation, as :func:`framework.report.generation_rows`
    gives them): the same bytes for the same records."""
    event_pb2, summary_pb2, RecordWriter = _tensorboard()
    buffer = io.BytesIO()
    records = RecordWriter(buffer)
    records.write(event_pb2.Event(wall_time=0.0, file_version="brain.Event:2").SerializeToString())
    for row in rows:
        g = row["generation"]
        for tag, value in _scalars(row, baseline):
            summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)])
            records.write(event_pb2.Event(wall_time=float(g), step=g, summary=summary).SerializeToString())
    return buffer.getvalue()


@hookimpl
def on_generation_end(event):
    if _tensorboard() is None:
        return
    baseline = [s.eval_accuracy for s in event.state.baseline if not s.failed]
    rows = [row for row in generation_rows(event.run_dir, event.state) if row["generation"] <= event.generation]
    write_bytes_atomic(event.run_dir.tensorboard / EVENTS, events_file(rows, baseline))
