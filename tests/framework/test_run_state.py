"""The checkpoint's records: a JSON round trip, older checkpoints still load, the run directory's names."""

from __future__ import annotations

import json
from pathlib import Path

from framework.graph import PortGraph
from framework.run_dir import RunDir, grammar_name
from framework.run_state import (
    METRICS,
    STATE_VERSION,
    Candidate,
    Exploration,
    GenerationRecord,
    RunState,
    Scores,
    state_from_json,
    state_to_json,
)

GRAPH = PortGraph(edges=((1, 0, 2, 0), (0, 0, 2, 1)), next_id=3, size=2)
SCORES = Scores(0.5, None, 0.75, 0.4, None, 0.6, 0.3, repeats=2)


def full_state() -> RunState:
    member = Candidate("g0-000", "(push (add (connect identity)))", GRAPH, 4, 0, "enumerative",
                       scores=SCORES, selection=0.5)
    child = Candidate("g1-000", "(inv_0 identity)", GRAPH, 4, 1, "stochastic", parent="g0-000")
    record = GenerationRecord(0, "grammars/g0.lark", ("g0-000",), ("g0-000",), ("inv_0",), 1.25,
                              Exploration(10, 8, 1, 0, {"single node": 3}, 4, {"enumerative": 1}),
                              library_error=None)
    return RunState("abc", generation=1, phase="train", grammar="grammars/g1.lark", survivors=(member,),
                    pending=(child,), discarded=(), baseline=(SCORES, Scores(*(0.1,) * 7, failed="nan")),
                    history=(record,), synthesizer_states=({"grammar": "f", "position": 12}, None))


def test_a_state_survives_json():
    state = full_state()
    text = json.dumps(state_to_json(state), sort_keys=True)
    assert state_from_json(json.loads(text)) == state
    assert json.loads(text)["version"] == STATE_VERSION == 1


def test_a_checkpoint_from_before_the_exploration_record_loads():
    # until the exploration counts became a record, a library error was one of them
    data = state_to_json(full_state())
    data["history"][0]["explored"] = {**data["history"][0]["explored"], "library_error": "stitch failed"}
    del data["history"][0]["library_error"]
    state = state_from_json(data)
    assert state.history[0].explored == full_state().history[0].explored
    assert state.history[0].library_error is None


def test_metrics_name_the_scores_fields():
    assert METRICS == tuple(Scores.__match_args__[:-3])  # all but repeats, failed and eval_accuracies
    assert set(METRICS) == {"train_accuracy", "select_accuracy", "eval_accuracy", "train_f1", "select_f1",
                            "eval_f1", "final_loss"}


def test_the_run_directory_names_every_path(tmp_path):
    run = RunDir(str(tmp_path))
    assert run.root == tmp_path and str(run) == str(tmp_path)
    names = {
        run.spec: "spec.toml", run.run_json: "run.json", run.data: "data.json", run.checkpoint: "checkpoint.json",
        run.metrics: "metrics.jsonl", run.summary_json: "summary.json", run.summary_md: "summary.md",
        run.tensorboard: "tensorboard", run.grammar(3): "grammars/g3.lark", run.population(3): "population/g3.jsonl",
        run.plot(3): "plots/g3.png", run.drawings(3): "drawings/g3", run.drawing(3, "g2-001"): "drawings/g3/g2-001.svg",
    }
    for path, name in names.items():
        assert path == tmp_path / name
    assert run.grammar(0) == tmp_path / RunState("x").grammar == tmp_path / grammar_name(0)
    assert not list(Path(tmp_path).iterdir())  # naming creates nothing
