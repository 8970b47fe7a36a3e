"""The TensorBoard events file: what TensorBoard reads back, and the same bytes for the same records."""

from __future__ import annotations

import pytest

pytest.importorskip("tensorboard")

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402

from framework_plugins.tensorboard_reporter import EVENTS, events_file  # noqa: E402

ROWS = [
    {"generation": 0, "eval_accuracy": {"mean": 0.5, "best": 0.75}, "survivor_eval_accuracy": None,
     "failed": 1, "compression_ratio": None},
    {"generation": 1, "eval_accuracy": {"mean": 0.625, "best": 0.875},
     "survivor_eval_accuracy": {"mean": 0.75, "best": 0.875}, "failed": 0, "compression_ratio": 1.5},
]


def test_tensorboard_reads_every_point_at_its_generation(tmp_path):
    (tmp_path / EVENTS).write_bytes(events_file(ROWS, [0.5, 0.75]))
    events = EventAccumulator(str(tmp_path))
    events.Reload()
    points = {tag: [(e.step, e.wall_time, e.value) for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]}
    assert points == {
        "eval_accuracy/mean": [(0, 0.0, 0.5), (1, 1.0, 0.625)],
        "eval_accuracy/best": [(0, 0.0, 0.75), (1, 1.0, 0.875)],
        "survivor_eval_accuracy/mean": [(1, 1.0, 0.75)],
        "survivor_eval_accuracy/best": [(1, 1.0, 0.875)],
        "baseline/eval_accuracy_mean": [(0, 0.0, 0.625), (1, 1.0, 0.625)],
        "population/failed": [(0, 0.0, 1.0), (1, 1.0, 0.0)],
        "library/compression_ratio": [(1, 1.0, 1.5)],
    }


def test_the_same_records_give_the_same_bytes():
    """No clock in the file: identical runs, and a killed run resumed, write identical events."""
    assert events_file(ROWS, [0.5]) == events_file(ROWS, [0.5])
    assert events_file(ROWS, [0.5]) != events_file(ROWS[:1], [0.5])
