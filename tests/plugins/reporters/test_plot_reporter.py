"""The plot reporter's figure: one column per trained member, labelled with its id, the
selection score drawn, the kept ones shaded and in bold, failed ones counted in the title."""

from __future__ import annotations

import matplotlib

from framework.run_dir import RunDir
from framework.store import write_json_atomic, write_jsonl_atomic
from framework_plugins.reporters import generation_figure, plot_generation

matplotlib.use("Agg")


def _member(i: int, kept: bool, selection: float | None, failed: str | None = None) -> dict:
    scores = {"train_accuracy": 0.9 - i / 10, "eval_accuracy": 0.8 - i / 10, "failed": failed}
    return {"id": f"g0-00{i}", "rank": i, "kept": kept, "selection": selection, "scores": scores}


def test_the_figure_names_each_member_shows_its_selection_score_and_marks_the_kept(tmp_path):
    run_dir = RunDir(tmp_path)
    members = [_member(0, True, 0.75), _member(1, True, 0.5), _member(2, False, 0.25), _member(3, False, None, "nan")]
    write_jsonl_atomic(run_dir.population(0), members)
    write_json_atomic(run_dir.data, {"eval": {"majority_accuracy": 0.5}})
    fig = generation_figure(run_dir, 0, [0.6, 0.7, 0.65])
    (ax,) = fig.axes
    ticks = ax.get_xticklabels()
    assert [t.get_text() for t in ticks] == ["g0-000", "g0-001", "g0-002"]
    assert [t.get_fontweight() for t in ticks] == ["bold", "bold", "normal"]
    labels = ax.get_legend_handles_labels()[1]
    assert {"kept (2)", "selection score (orders the members)", "majority class (fitted on train)",
            "baseline eval 95% CI", "baseline eval mean (n=3)"} <= set(labels)
    selection = next(line for line in ax.get_lines() if line.get_label().startswith("selection score"))
    assert list(selection.get_ydata()) == [0.75, 0.5, 0.25]
    assert ax.get_title() == "generation 0: 3 trained, 2 kept, 1 failed (not shown)"
    assert plot_generation(run_dir, 0, [0.6]).startswith(b"\x89PNG")  # one baseline run: a mean, no band
