"""Faults around the run directory (issue 12): kills in exact windows, two processes, a file or
foreign files as --out, corrupt checkpoints, a full disk, what --resume says, the summary."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from test_engine import COMPARED
from tiny_runs import task_cache, write_spec  # noqa: F401 (task_cache: an autouse fixture)

from framework.cli import main
from framework.report import read_json
from framework.run_dir import RunDir


def _run(spec: Path, out: Path, *extra: str, kill_at: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "FRAMEWORK_KILL_AT": kill_at or ""}
    return subprocess.run([sys.executable, "-m", "framework.cli", "run", str(spec), "--out", str(out), *extra],
                          env=env, capture_output=True, text=True)


def _tensorboard_values(run_dir: Path) -> dict[str, list[tuple[int, float]]]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(run_dir / "tensorboard"))
    accumulator.Reload()
    return {tag: [(e.step, e.value) for e in accumulator.Scalars(tag)] for tag in accumulator.Tags()["scalars"]}


def _every_artifact(run_dir: Path) -> dict[str, bytes]:
    """Every file of the run (the TensorBoard events too) but the lock."""
    return {str(p.relative_to(run_dir)): p.read_bytes() for p in sorted(run_dir.rglob("*"))
            if p.is_file() and p.name != ".lock"}


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("straight-faults")
    os.environ.setdefault("FRAMEWORK_CACHE", str(tmp / "cache"))
    assert _run(write_spec(tmp), tmp / "run").returncode == 0
    return tmp / "run"


@pytest.mark.slow
@pytest.mark.parametrize("point", ["selected:g0", "reported:g0", "trained:g1-001", "selected:g1"])
def test_a_kill_at_a_named_point_resumes_to_every_artifact_of_a_straight_run(tmp_path, straight, point):
    spec, out = write_spec(tmp_path), tmp_path / "run"
    killed = _run(spec, out, kill_at=point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    if point == "selected:g0":  # the window the issue found: checkpoint advanced, nothing drawn yet
        assert read_json(out / "checkpoint.json")["generation"] == 1 and not (out / "plots" / "g0.png").exists()
    resumed = _run(spec, out, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming" in resumed.stderr and "networks already trained" in resumed.stderr
    expected, got = _every_artifact(straight), _every_artifact(out)
    assert sorted(got) == sorted(expected)
    for name in expected:
        assert got[name] == expected[name], name
    assert {"plots/g0.png", "plots/g1.png", *COMPARED} <= set(got)
    if (straight / "tensorboard").exists():
        assert _tensorboard_values(out) == _tensorboard_values(straight)


@contextmanager
def _another_process_holding_the_lock(run_dir: Path) -> Iterator[subprocess.Popen]:
    """A process that holds ``run_dir``'s lock until the block ends, then dies by SIGKILL
    (no clean-up: its lock file stays behind)."""
    holder = subprocess.Popen([sys.executable, "-c", (
        "import time; from framework.run_dir import RunDir; from framework.run_lock import locked\n"
        f"with locked(RunDir({str(run_dir)!r})):\n    print('held', flush=True); time.sleep(600)")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        yield holder
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()


def _files(run_dir: Path) -> dict[str, tuple[int, bytes]]:
    """Every file of a run with its modification time: what "nothing rewritten" compares (not the
    lock file, which a killed run leaves behind and the next process takes over)."""
    return {str(p.relative_to(run_dir)): (p.stat().st_mtime_ns, p.read_bytes())
            for p in sorted(run_dir.rglob("*")) if p.is_file() and p.name != ".lock"}


def test_the_same_command_again_reprints_a_finished_runs_summary_and_rewrites_nothing(tmp_path, straight):
    before = _files(straight)
    again = _run(write_spec(tmp_path), straight)
    assert again.returncode == 0, again.stderr
    assert (f"{straight}: already done with this spec (finished after 2 generations; 8 networks already "
            "trained (2 baseline, 6 candidates)); nothing was run or rewritten") in again.stderr
    assert "accuracy on the eval split" in again.stderr and "baseline (encoder alone)" in again.stderr
    assert "baseline: training" not in again.stderr and "Traceback" not in again.stderr
    assert _files(straight) == before
    renamed = write_spec(tmp_path, {"run.name": "renamed"})  # cannot change results: the same run, with a note
    again = _run(renamed, straight)
    assert again.returncode == 0, again.stderr
    assert "note: run.name differs from the run's spec" in again.stderr and "already done" in again.stderr
    assert _files(straight) == before


def test_the_same_command_again_on_another_spec_names_the_changed_keys(tmp_path, straight):
    before = _files(straight)
    spec = write_spec(tmp_path, {"run.seed": 3, "training.epochs": 3})
    again = _run(spec, straight)
    assert again.returncode == 2
    assert f"{straight} holds a run of another spec (it differs in run.seed, training.epochs)" in again.stderr
    assert "--out DIR, or another run.name in the spec" in again.stderr and "Traceback" not in again.stderr
    assert _files(straight) == before


def test_the_same_command_again_on_an_unfinished_run_says_to_resume_and_respects_the_lock(tmp_path):
    spec, out = write_spec(tmp_path), tmp_path / "run"
    assert _run(spec, out, kill_at="trained:baseline-0").returncode == -signal.SIGKILL
    before = _files(out)
    again = _run(spec, out)
    assert again.returncode == 2
    assert (f"{out} holds an unfinished run of this spec (generation 0, phase explore; 1 network already "
            "trained (1 baseline, 0 candidates)); continue it by adding --resume") in again.stderr
    assert _files(out) == before
    with _another_process_holding_the_lock(out) as holder:
        again = _run(spec, out)
        assert again.returncode == 2 and f"in use by another framework process (pid {holder.pid})" in again.stderr


def test_resume_says_where_it_continues_and_allows_result_neutral_keys(tmp_path, straight, capsys):
    spec = write_spec(tmp_path, {"run.name": "renamed"})
    before = (straight / "checkpoint.json").read_bytes()
    assert main(["run", str(spec), "--out", str(straight), "--resume"]) == 0
    err = capsys.readouterr().err
    assert "note: run.name differs from the run's spec; resuming (it cannot change results)" in err
    assert "finished after 2 generations; 8 networks already trained (2 baseline, 6 candidates)" in err
    assert (straight / "checkpoint.json").read_bytes() == before
    assert 'name = "tiny"' in (straight / "spec.toml").read_text()


def test_resume_with_changed_keys_names_them(tmp_path, straight, capsys):
    spec = write_spec(tmp_path, {"run.seed": 3, "training.epochs": 3})
    assert main(["run", str(spec), "--out", str(straight), "--resume"]) == 2
    assert "the spec changed since this run started (run.seed, training.epochs)" in capsys.readouterr().err


def test_a_second_process_is_refused_while_the_first_holds_the_lock(tmp_path, capsys):
    from framework.run_lock import locked

    run_dir = RunDir(tmp_path / "run")
    with _another_process_holding_the_lock(run_dir.root) as holder:
        assert main(["run", str(write_spec(tmp_path)), "--out", str(run_dir.root)]) == 2
        assert f"is in use by another framework process (pid {holder.pid})" in capsys.readouterr().err
        assert sorted(p.name for p in run_dir.root.iterdir()) == [".lock"]  # the refused run wrote nothing
        run_dir.spec.write_text(write_spec(tmp_path).read_text())
        assert main(["report", str(run_dir.root)]) == 2
        assert f"(pid {holder.pid})" in capsys.readouterr().err
        run_dir.spec.unlink()
    # the holder died without clean-up: its lock file (with its pid) is stale, and the next run takes it
    assert run_dir.lock.read_text().strip() == str(holder.pid)
    with locked(run_dir):
        assert run_dir.lock.read_text().strip() == str(os.getpid())
    assert not run_dir.lock.exists()


def test_out_naming_a_file_or_a_folder_of_other_files_is_refused(tmp_path, capsys):
    spec = write_spec(tmp_path)
    (tmp_path / "afile").write_text("x")
    assert main(["run", str(spec), "--out", str(tmp_path / "afile")]) == 2
    assert "afile is a file, not a run directory; choose a directory with --out" in capsys.readouterr().err
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "cat.jpg").write_text("x")
    assert main(["run", str(spec), "--out", str(tmp_path / "photos")]) == 2
    assert "holds files that are not a run's (cat.jpg)" in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "photos").iterdir()] == ["cat.jpg"]


@pytest.mark.parametrize(("content", "reason"), [("", "empty"), ('{"generation": ', "corrupt (JSONDecodeError)"),
                                                 ('{"generation": "x"}', "corrupt")])
def test_an_empty_or_corrupt_checkpoint_is_one_line(tmp_path, capsys, content, reason):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "checkpoint.json").write_text(content)
    assert main(["run", str(write_spec(tmp_path)), "--out", str(run_dir), "--resume"]) == 2
    err = capsys.readouterr().err
    assert f"checkpoint.json: {reason}" in err and "start it again in a new directory with --out" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    (run_dir / "spec.toml").write_text(write_spec(tmp_path).read_text())
    assert main(["report", str(run_dir)]) == 2
    assert f"checkpoint.json: {reason}" in capsys.readouterr().err


def test_a_full_disk_mid_run_says_how_to_resume(tmp_path, capsys, monkeypatch):
    from framework import store

    replace, calls = store.os.replace, []

    def fills_up(src, dst):
        calls.append(dst)
        if str(dst).endswith("g0.jsonl"):  # the first population file: mid-run, after the baseline
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))
        return replace(src, dst)

    monkeypatch.setattr(store.os, "replace", fills_up)
    spec, out = write_spec(tmp_path), tmp_path / "run"
    assert main(["run", str(spec), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "cannot write (No space left on device" in err and "g0.jsonl" in err
    assert f"then resume with: framework run {spec} --out {out} --resume" in err
    assert "Traceback" not in err
    monkeypatch.setattr(store.os, "replace", replace)
    assert main(["run", str(spec), "--out", str(out), "--resume"]) == 0


def test_the_summary_reports_every_arm_side_by_side(straight):
    summary = read_json(straight / "summary.json")
    population = [json.loads(line) for line in (straight / "population" / "g1.jsonl").open()]
    best = population[0]
    assert best["kept"] and summary["best_selected"]["id"] == best["id"]
    assert summary["best_selected"]["selection"] == max(m["selection"] for m in population)
    assert summary["best_selected"]["mean"] == best["scores"]["eval_accuracy"]
    assert summary["best_selected"]["n"] == 1 and summary["best_selected"]["low"] is None  # n = 1: no interval
    kept = [m["scores"]["eval_accuracy"] for m in population if m["kept"]]
    assert summary["survivors"]["n"] == 2 and summary["survivors"]["mean"] == pytest.approx(sum(kept) / 2)
    metrics = [json.loads(line) for line in (straight / "metrics.jsonl").open()]
    candidates = [m["scores"]["eval_accuracy"] for m in metrics if m["type"] == "candidate"]
    assert summary["trained"]["n"] == len(candidates) == 6
    assert summary["trained"]["mean"] == pytest.approx(sum(candidates) / len(candidates))
    assert summary["baseline"]["n"] == 2 and summary["baseline"]["low"] is not None
    markdown = (straight / "summary.md").read_text()
    for label in ("G-SSNN survivors (generation 1) | 2 |", "G-SSNN, every trained candidate | 6 |",
                  f"best-selected candidate {best['id']} (by selection score) | 1 |",
                  "baseline (encoder alone) | 2 |", "majority class (fitted on train)"):
        assert label in markdown
    best_row = next(line for line in markdown.splitlines() if line.startswith("| best-selected"))
    assert best_row.split(" | ")[3] == "-"  # no interval for n = 1


def test_tensorboard_holds_one_point_per_generation_even_after_report(straight, capsys):
    pytest.importorskip("tensorboard")
    before = _tensorboard_values(straight)
    assert before["population/failed"] == [(0, 0.0), (1, 0.0)]
    assert main(["report", str(straight)]) == 0
    assert _tensorboard_values(straight) == before
    assert [p.name for p in (straight / "tensorboard").iterdir()] == ["events.out.tfevents.framework"]


def test_the_layout_names_every_top_level_path_of_run_dir(tmp_path):
    # a new RunDir path must join LAYOUT, or a run directory holding it would be refused as foreign
    import inspect

    from framework.run_dir import LAYOUT, foreign_entries

    run = RunDir(tmp_path)
    paths = [getattr(run, name) for name, value in inspect.getmembers(RunDir) if isinstance(value, property)]
    paths += [run.grammar(0), run.population(0), run.plot(0), run.drawings(0), run.drawing(0, "g0-000")]
    tops = {p.relative_to(tmp_path).parts[0] for p in paths}
    assert tops <= LAYOUT
    for name in tops:
        (tmp_path / name).touch()
    (tmp_path / ".checkpoint.json.abc.tmp").touch()  # an interrupted atomic write is the run's own
    assert foreign_entries(run) == []
