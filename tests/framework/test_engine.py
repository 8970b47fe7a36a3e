"""The engine end to end on the synthetic task: artifacts, failures, exact resume after SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from framework.cli import main
from framework.report import read_json
from tiny_runs import task_cache, write_spec  # noqa: F401 (task_cache: an autouse fixture)

FIXTURE_PLUGINS = Path(__file__).resolve().parents[1] / "fixtures" / "plugins"

#: Artifacts that must be byte-identical between an interrupted-and-resumed run and a straight one.
COMPARED = ("checkpoint.json", "metrics.jsonl", "summary.json", "summary.md", "spec.toml", "data.json",
            "population/g0.jsonl", "population/g1.jsonl", "grammars/g0.lark", "grammars/g1.lark")


@pytest.fixture(scope="module")
def straight_run(tmp_path_factory):
    """One uninterrupted run, shared by the tests that only read its artifacts."""
    tmp = tmp_path_factory.mktemp("straight")
    os.environ.setdefault("FRAMEWORK_CACHE", str(tmp / "cache"))
    assert main(["run", str(write_spec(tmp)), "--out", str(tmp / "run")]) == 0
    return tmp / "run"


def test_run_writes_every_artifact(straight_run):
    for name in (*COMPARED, "run.json", "plots/g0.png", "plots/g1.png"):
        assert (straight_run / name).is_file(), name
    assert list((straight_run / "drawings" / "g0").glob("*.svg"))
    rows = [json.loads(line) for line in (straight_run / "metrics.jsonl").read_text().splitlines()]
    kinds = {row["type"] for row in rows}
    assert kinds == {"baseline", "candidate", "generation"}
    candidate = next(row for row in rows if row["type"] == "candidate")
    assert {"generation", "synthesizer", "parent", "program", "mass", "scores"} <= set(candidate)
    summary = read_json(straight_run / "summary.json")
    assert summary["baseline"]["n"] == 2 and summary["survivors"]["n"] == 2 and summary["trained"]["n"] >= 4
    assert 0.0 <= summary["majority"] <= 1.0
    assert summary["data"]["train"]["n"] == 32
    population = [json.loads(line) for line in (straight_run / "population" / "g1.jsonl").read_text().splitlines()]
    assert sum(m["kept"] for m in population) == 2


def test_grammar_versions_load_and_evaluate_the_survivors(straight_run):
    from framework import Grammar
    from framework.plugins import build_registry

    entry = build_registry().get("domain", "graph")
    domain = entry.info.factory(entry.info.options(equivalence="ported"))
    grammar = Grammar.load(straight_run / "grammars" / "g1.lark")
    state = read_json(straight_run / "checkpoint.json")
    for member in state["survivors"]:
        graph = domain.evaluate(grammar.parse(member["program"]), grammar)
        assert graph.to_json() == member["graph"]


def test_resume_of_nothing_is_refused(tmp_path, capsys):
    spec = write_spec(tmp_path)
    assert main(["run", str(spec), "--out", str(tmp_path / "fresh"), "--resume"]) == 2
    assert "nothing to resume" in capsys.readouterr().err


def test_resume_with_a_changed_spec_is_refused(tmp_path, straight_run, capsys):
    spec = write_spec(tmp_path, {"run.seed": 1})
    assert main(["run", str(spec), "--out", str(straight_run), "--resume"]) == 2
    assert "spec changed" in capsys.readouterr().err


def test_report_redraws_the_same_summary(straight_run, capsys):
    before = (straight_run / "summary.json").read_text()
    (straight_run / "plots" / "g0.png").unlink()
    assert main(["report", str(straight_run)]) == 0
    assert (straight_run / "plots" / "g0.png").is_file()
    assert (straight_run / "summary.json").read_text() == before
    assert "baseline" in capsys.readouterr().out


def test_failing_candidates_are_marked_never_survive_and_a_run_without_success_exits_1(tmp_path, capsys):
    # lr = 1e300 makes every loss non-finite: each network fails, the run still completes
    spec = write_spec(tmp_path, {"training.lr": 1e300})
    assert main(["run", str(spec), "--out", str(tmp_path / "run")]) == 1
    err = capsys.readouterr().err
    assert "generation 0: no candidate trained successfully (4 failed" in err
    assert "error: no candidate network trained successfully" in err
    assert "no candidate trained successfully (4 failed)" in (tmp_path / "run" / "summary.md").read_text()
    rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    trained = [row for row in rows if row["type"] in ("baseline", "candidate")]
    assert len(trained) == 2 + 4 + 4  # the baseline, then four new ones per generation: no failure survives
    assert read_json(tmp_path / "run" / "checkpoint.json")["survivors"] == []
    for row in trained:
        scores = row["scores"] if row["type"] == "candidate" else row  # baseline rows are flat
        assert scores["failed"].startswith("loss became"), row
        assert scores["eval_accuracy"] is None, row
    for g in (0, 1):
        population = [json.loads(line) for line in (tmp_path / "run" / "population" / f"g{g}.jsonl").open()]
        assert population and all(m["scores"]["failed"] and m["selection"] is None and not m["kept"]
                                  for m in population)


def _checkpoints_seen(run_dir: Path) -> int:
    """How many networks the checkpoint says are trained (baseline + candidates)."""
    try:
        state = read_json(run_dir / "checkpoint.json")
    except (FileNotFoundError, json.JSONDecodeError):
        return -1
    trained = [c for c in (*state["survivors"], *state["pending"], *state["discarded"]) if c["scores"]]
    return len(state["baseline"]) + len(trained) + 100 * state["generation"]


def _kill_and_resume(spec: Path, run_dir: Path, kill_after: int) -> None:
    """Start a run, SIGKILL it once the checkpoint holds ``kill_after`` trained networks, resume it."""
    command = [sys.executable, "-m", "framework.cli", "run", str(spec), "--out", str(run_dir)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while _checkpoints_seen(run_dir) < kill_after and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL, "the run finished before it could be killed"
    assert read_json(run_dir / "checkpoint.json")["phase"] != "done"
    assert main(["run", str(spec), "--out", str(run_dir), "--resume"]) == 0


@pytest.mark.slow
@pytest.mark.parametrize("kill_after", [1, 3, 104])
def test_killed_and_resumed_run_ends_with_identical_artifacts(tmp_path, straight_run, kill_after):
    _kill_and_resume(write_spec(tmp_path), tmp_path / "run", kill_after)
    for name in COMPARED:
        assert (tmp_path / "run" / name).read_bytes() == (straight_run / name).read_bytes(), name
    networks = sorted(p.name for p in (straight_run / "networks").iterdir())
    assert networks and sorted(p.name for p in (tmp_path / "run" / "networks").iterdir()) == networks
    for name in networks:  # saved weights and manifests: the same bytes
        assert (tmp_path / "run" / "networks" / name).read_bytes() == (straight_run / "networks" / name).read_bytes()


def _fixed_grammar_spec(tmp_path: Path) -> Path:
    """Library learning and re-weighting off: every generation explores in one grammar, so the
    enumerative synthesizer's saved position is all that tells generation 1 where to go on."""
    return write_spec(tmp_path, {"library.iterations": None, "library.enabled": False, "library.reweight": False})


@pytest.mark.slow
def test_a_resumed_run_restores_the_synthesizers(tmp_path):
    straight = tmp_path / "straight"
    assert main(["run", str(_fixed_grammar_spec(tmp_path)), "--out", str(straight)]) == 0
    assert (straight / "grammars" / "g0.lark").read_text() == (straight / "grammars" / "g1.lark").read_text()
    _kill_and_resume(_fixed_grammar_spec(tmp_path), tmp_path / "run", kill_after=3)  # in generation 0's training
    for name in COMPARED:
        assert (tmp_path / "run" / name).read_bytes() == (straight / name).read_bytes(), name


def test_selector_needing_an_empty_split_stops_before_any_work(tmp_path, capsys):
    spec = write_spec(tmp_path, {"task.select": 0})
    assert main(["run", str(spec), "--out", str(tmp_path / "run")]) == 2
    assert "population.selector: 'select-accuracy' needs a non-empty 'select' split" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_tensorboard_events_when_the_extra_is_installed(straight_run):
    pytest.importorskip("tensorboard")
    assert list((straight_run / "tensorboard").glob("events.out.tfevents.*"))


def test_a_model_that_cannot_be_built_stops_before_any_work(tmp_path, capsys):
    spec = write_spec(tmp_path, {"model.backbone": {"plugin": "gine", "depth": 2},
                                 "model.encoder": {"plugin": "pixelshuffle-vit"}})
    assert main(["run", str(spec), "--out", str(tmp_path / "run")]) == 2  # 8x8 images, unshuffle 16
    assert "does not divide the input size 8 x 8" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_initial_programs_are_offered_first_and_a_bad_one_stops_the_run(tmp_path, capsys):
    initial = '"(push (add (connect (next_port (push (add (connect identity)))))))"'
    changes = {"population.initial": [initial.strip('"')], "baseline.runs": 0, "run.generations": 1}
    spec = write_spec(tmp_path, changes)
    assert main(["run", str(spec), "--out", str(tmp_path / "run")]) == 0
    population = [json.loads(line) for line in (tmp_path / "run" / "population" / "g0.jsonl").read_text().splitlines()]
    seeded = [m for m in population if m["synthesizer"] == "initial"]
    assert [m["program"] for m in seeded] == [initial.strip('"')]

    write_spec(tmp_path, {**changes, "population.initial": ["(push (add"]})
    assert main(["run", str(spec), "--out", str(tmp_path / "bad")]) == 2
    assert "population.initial[0]:" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture(scope="module")
def recorded_run(tmp_path_factory):
    """A run with ``population.repeats = 2`` whose executor and reporter (a fixture plugin)
    record every training and every event."""
    tmp = tmp_path_factory.mktemp("recorded")
    os.environ.setdefault("FRAMEWORK_CACHE", str(tmp / "cache"))
    spec = write_spec(tmp, {"population.repeats": 2,
                            "executor": {"plugin": "recording", "log": str(tmp / "trainings.jsonl")},
                            "plugins.paths": [str(FIXTURE_PLUGINS / "recording.py")]})
    assert main(["run", str(spec), "--out", str(tmp / "run")]) == 0
    return tmp / "run", _rows(tmp / "trainings.jsonl")


def test_repeated_trainings_are_averaged(recorded_run):
    run_dir, trainings = recorded_run
    by_key: dict[str, list[dict]] = {}
    for row in trainings:
        by_key.setdefault(row["key"], []).append(row)
    candidates = [row for row in _rows(run_dir / "metrics.jsonl") if row["type"] == "candidate"]
    assert candidates
    for row in candidates:
        repeats = by_key[row["id"]]
        assert len(repeats) == 2 and repeats[0]["seed"] != repeats[1]["seed"]
        assert row["scores"]["repeats"] == 2
        for name in ("train_accuracy", "select_accuracy", "eval_accuracy", "final_loss"):
            mean = (repeats[0]["scores"][name] + repeats[1]["scores"][name]) / 2
            assert row["scores"][name] == pytest.approx(mean), (row["id"], name)
    assert any(r[0]["scores"]["final_loss"] != r[1]["scores"]["final_loss"] for r in by_key.values() if len(r) == 2)


def test_reporters_hear_every_generation_and_report_makes_them_hear_it_again(recorded_run, capsys):
    run_dir, _ = recorded_run
    heard = run_dir / "heard.jsonl"
    during_the_run = _rows(heard)
    assert during_the_run == [{"event": "generation_end", "generation": 0},
                              {"event": "generation_end", "generation": 1},
                              {"event": "run_end", "baseline": 2}]
    heard.unlink()
    (run_dir / "plots" / "g1.png").unlink()
    for drawing in (run_dir / "drawings" / "g0").glob("*.svg"):
        drawing.unlink()
    assert main(["report", str(run_dir)]) == 0
    assert _rows(heard) == during_the_run
    assert (run_dir / "plots" / "g1.png").is_file()
    population = _rows(run_dir / "population" / "g0.jsonl")
    assert sorted(p.name for p in (run_dir / "drawings" / "g0").glob("*.svg")) == sorted(
        f"{m['id']}.svg" for m in population if m["kept"])


def _swapped_results(monkeypatch):
    """stitch's result with the rewritten programs rotated: each builds another survivor's graph."""
    from attrs import evolve

    from framework_plugins.library.stitch import StitchLearner

    compress = StitchLearner.compress

    def swapped(self, grammar, programs):
        result = compress(self, grammar, programs)
        return evolve(result, programs=[*result.programs[1:], result.programs[0]])

    monkeypatch.setattr(StitchLearner, "compress", swapped)


def _no_inventions(monkeypatch):
    """The graph domain raising on any grammar with inventions (so only on the learner's result)."""
    from framework_plugins.graph_domain import GraphDomain

    evaluate = GraphDomain.evaluate

    def raising(self, program, grammar=None):
        if grammar is not None and grammar.inventions:
            raise LookupError("inventions are not supported")
        return evaluate(self, program, grammar)

    monkeypatch.setattr(GraphDomain, "evaluate", raising)


@pytest.mark.parametrize(("fault", "message"), [
    (_swapped_results, "library_learner 'stitch': its result changes the meaning of g0-"),
    (_no_inventions, "domain 'graph': evaluate() raised LookupError: inventions are not supported on g0-"),
])
def test_a_library_result_that_changes_a_meaning_or_cannot_be_checked_is_refused(tmp_path, capsys, monkeypatch,
                                                                                  fault, message):
    # The engine must refuse it, keep the grammar and the programs as they were, and name the
    # plugin at fault alike on the console and in the generation's record.
    fault(monkeypatch)
    spec = write_spec(tmp_path, {"baseline.runs": 0})
    assert main(["run", str(spec), "--out", str(tmp_path / "run")]) == 0
    err = " ".join(capsys.readouterr().err.split())
    state = read_json(tmp_path / "run" / "checkpoint.json")
    record = state["history"][0]
    assert record["library_error"].startswith(message)
    assert record["library_error"].endswith("; the grammar keeps its productions (no inventions this generation)")
    assert f"library learning skipped: {record['library_error']}" in err
    assert record["inventions"] == [] and record["compression_ratio"] is None
    assert "inv_" not in (tmp_path / "run" / "grammars" / "g1.lark").read_text()


def test_outputs_discarded_earlier_are_not_explored_again(tmp_path):
    # The same six programs (six distinct graphs) every generation: generation 0 trains the
    # first four and drops two; generation 1 must skip those two and take the last two.
    programs = ["(push (add (connect identity)))", "(push (add (next_port (connect identity))))",
                "(push (add (prev_port (connect identity))))", "(push (add (connect (next_port (connect identity)))))",
                "(push (add (next_port (next_port (connect identity)))))",
                "(push (add (connect (prev_port (connect identity)))))"]
    spec = write_spec(tmp_path, {"synthesizers": [{"plugin": "fixed", "programs": programs}],
                                 "library.iterations": None, "library.enabled": False, "baseline.runs": 0,
                                 "plugins.paths": [str(FIXTURE_PLUGINS / "recording.py")]})
    assert main(["run", str(spec), "--out", str(tmp_path / "run")]) == 0
    g0 = _rows(tmp_path / "run" / "population" / "g0.jsonl")
    g1 = _rows(tmp_path / "run" / "population" / "g1.jsonl")
    assert sorted(m["program"] for m in g0) == sorted(programs[:4])
    assert sorted(m["program"] for m in g1 if m["generation"] == 1) == sorted(programs[4:])
    explored = read_json(tmp_path / "run" / "checkpoint.json")["history"][1]["explored"]
    assert explored["duplicates"] == 2 and explored["new"] == 2
