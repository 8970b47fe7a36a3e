"""`framework study`: grid validation, run directories, report, status, resume after SIGKILL."""

from __future__ import annotations

import json
import math
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tiny_runs import task_cache  # noqa: F401 (an autouse fixture)
from tiny_study import SPEC, run_files, write_study

from framework.cli import main
from framework.report import read_json
from framework.study_report import interval, paired


@pytest.fixture(scope="module")
def local_study(tmp_path_factory):
    """The tiny study run straight through on the local executor."""
    folder = tmp_path_factory.mktemp("local-study")
    assert main(["study", str(write_study(folder)), "--out", str(folder / "out")]) == 0
    return folder / "out"


def test_every_cell_and_seed_is_an_ordinary_run_directory(local_study):
    for train in (16, 32):
        for seed in (0, 1):
            run_dir = local_study / "runs" / f"task.train={train}" / f"seed-{seed}"
            for name in ("spec.toml", "checkpoint.json", "summary.json", "metrics.jsonl", "population/g0.jsonl"):
                assert (run_dir / name).is_file(), (run_dir, name)
            spec = (run_dir / "spec.toml").read_text()
            assert f"train = {train}\n" in spec and f"seed = {seed}\n" in spec
            assert read_json(run_dir / "data.json")["train"]["n"] == train
            assert read_json(run_dir / "checkpoint.json")["phase"] == "done"


def test_the_report_gives_each_arm_per_cell_with_intervals_over_seeds(local_study):
    summary = read_json(local_study / "summary.json")
    assert [c["cell"] for c in summary["cells"]] == [{"task.train": 16}, {"task.train": 32}]
    runs = {(r["cell"]["task.train"], r["seed"]): r for r in summary["runs"]}
    for cell in summary["cells"]:
        mine = [runs[(cell["cell"]["task.train"], seed)] for seed in (0, 1)]
        for arm in ("baseline", "best", "survivors"):
            values = [r[arm] for r in mine]
            assert cell[arm]["n"] == 2 and cell[arm]["mean"] == pytest.approx(sum(values) / 2)
            assert cell[arm]["low"] <= cell[arm]["mean"] <= cell[arm]["high"]
        differences = [r["best"] - r["baseline"] for r in mine]
        assert cell["best_minus_baseline"]["mean"] == pytest.approx(sum(differences) / 2)
        assert 0 < cell["best_minus_baseline"]["p_value"] <= 1
    markdown = (local_study / "summary.md").read_text()
    assert "| task.train=16 | 2/2 |" in markdown and "plots/data-efficiency.png" in markdown
    assert (local_study / "plots" / "data-efficiency.png").read_bytes()[:4] == b"\x89PNG"


def test_best_selected_is_the_top_ranked_member_of_the_last_generation(local_study):
    run_dir = local_study / "runs" / "task.train=16" / "seed-0"
    population = [json.loads(line) for line in (run_dir / "population" / "g0.jsonl").read_text().splitlines()]
    top = min(population, key=lambda m: m["rank"])
    row = next(r for r in read_json(local_study / "summary.json")["runs"] if r["path"].endswith("16/seed-0"))
    assert row["best"] == top["scores"]["eval_accuracy"]
    assert row["survivors"] == pytest.approx(
        sum(m["scores"]["eval_accuracy"] for m in population if m["kept"]) / sum(m["kept"] for m in population))


def test_statistics_match_scipy_and_published_values():
    # t(0.975, df=2) = 4.303: mean 2, sd 1, n 3 -> half width 4.303 / sqrt(3)
    result = interval([1.0, 2.0, 3.0])
    assert result["mean"] == 2.0 and result["high"] - 2.0 == pytest.approx(4.302653 / math.sqrt(3), rel=1e-6)
    # every sign pattern of 3 differences: all positive is the most extreme of 8, two-sided 2/8
    assert paired([0.1, 0.2, 0.3])["p_value"] == pytest.approx(0.25)
    # sums of the 8 sign patterns: +-0.6, +-0.4, +-0.2, 0, 0; six reach |0.2|
    assert paired([0.1, -0.2, 0.3])["p_value"] == pytest.approx(0.75)
    assert interval([0.5])["low"] is None and paired([0.5])["p_value"] is None


def test_status_shows_what_is_done(local_study, tmp_path, capsys):
    study = write_study(tmp_path)
    assert main(["study", str(study), "--out", str(local_study), "--status"]) == 0
    out = capsys.readouterr().out
    assert "4 of 4 runs done" in out
    assert main(["study", str(study), "--out", str(tmp_path / "none"), "--status"]) == 0
    assert "0 of 4 runs done" in capsys.readouterr().out and not (tmp_path / "none").exists()


def test_report_rewrites_the_report_and_runs_nothing(local_study, tmp_path):
    before = run_files(local_study)
    (local_study / "summary.md").unlink()
    assert main(["study", str(write_study(tmp_path)), "--out", str(local_study), "--report"]) == 0
    assert run_files(local_study) == before


def test_a_finished_study_runs_nothing_again(local_study, tmp_path, capsys):
    before = run_files(local_study)
    assert main(["study", str(write_study(tmp_path)), "--out", str(local_study)]) == 0
    assert "4 done, 0 to run" in capsys.readouterr().err
    assert run_files(local_study) == before


@pytest.mark.parametrize("change", [("seeds = [0, 1]", "seeds = [0, 2]"),
                                    ("[study.grid]", "[study.set]\n\"training.epochs\" = 2\n[study.grid]")])
def test_another_study_in_the_same_directory_is_refused(local_study, tmp_path, capsys, change):
    study = write_study(tmp_path)
    study.write_text(study.read_text().replace(*change))
    assert main(["study", str(study), "--out", str(local_study)]) == 2
    assert "holds another study" in capsys.readouterr().err


def test_settings_shared_by_every_run(tmp_path):
    study = write_study(tmp_path, extra='[study.set]\n"training.batch_size" = 4')
    from framework.study import load_study

    loaded, _ = load_study(study, tmp_path / "out")
    assert {run.spec.training.batch_size for run in loaded.runs} == {4}


def test_runs_go_seed_by_seed_so_a_stopped_study_covers_the_grid(tmp_path):
    from framework.study import load_study, pending_jobs

    loaded, _ = load_study(write_study(tmp_path), tmp_path / "out")
    assert [job.key for job in pending_jobs(loaded)] == [
        "runs/task.train=16/seed-0", "runs/task.train=32/seed-0",
        "runs/task.train=16/seed-1", "runs/task.train=32/seed-1"]


@pytest.mark.parametrize(("grid", "message"), [
    ('"task.trian" = [16]', "study.grid.\"task.trian\" = 16: task.trian: unknown key (did you mean 'train'?)"),
    ('"modle.dim" = [8]', "study.grid.\"modle.dim\" = 8: modle: unknown key (did you mean 'model'?)"),
    ('"training.epochs" = [1, "two"]', 'study.grid."training.epochs" = "two": training.epochs: expected an integer'),
    ('"model.injector.plugin" = ["gsnn"]', "unknown injector plugin 'gsnn' (did you mean 'gssnn'?)"),
    ('"run.seed" = [3]', 'study.grid."run.seed": set by the study (the seeds come from study.seeds)'),
    ('"training.epochs" = 2', 'study.grid."training.epochs": expected an array of values, got 2'),
    ('"run.device.kind" = ["x"]', 'study.grid."run.device.kind" = "x": run.device: expected a string, got a table'),
    ('"training.epochs.x" = [1]', "training.epochs: not a table, so it has no key 'x'"),
    ('"task.train" = [16]\n[study.x]', "study.x: expected a string, got a table"),
    ('"task.train" = [16]\n[study.set]\n"training.epoks" = 2',
     "study.set.\"training.epoks\" = 2: training.epoks: unknown key (did you mean 'epochs'?)"),
])
def test_grid_keys_are_validated_like_the_spec_before_anything_runs(tmp_path, capsys, grid, message):
    study = write_study(tmp_path, extra=grid)
    study.write_text(study.read_text().replace('"task.train" = [16, 32]\n', ""))
    assert main(["study", str(study), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_study_keys_and_the_executor_are_validated(tmp_path, capsys):
    study = write_study(tmp_path)
    study.write_text(study.read_text().replace("seeds = [0, 1]", "seeds = [0, 1]\nseed = 3"))
    assert main(["study", str(study), "--status"]) == 2
    assert "study.seed: unknown key (did you mean 'seeds'?)" in capsys.readouterr().err
    study = write_study(tmp_path)
    assert main(["study", str(study), "--executor", "rya", "--out", str(tmp_path / "out")]) == 2
    assert "unknown executor plugin 'rya' (did you mean 'ray'?)" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def _runs_done(out: Path) -> int:
    return sum(1 for p in out.glob("runs/*/seed-*/checkpoint.json") if '"phase": "done"' in p.read_text())


@pytest.mark.slow
def test_a_killed_study_resumes_to_the_same_run_directories(local_study, tmp_path):
    study, out = write_study(tmp_path), tmp_path / "out"
    command = [sys.executable, "-m", "framework.cli", "study", str(study), "--out", str(out)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    started = out / "runs" / "task.train=32" / "seed-0" / "checkpoint.json"
    while not started.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)  # one run finished, the next one under way
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL, "the study finished before it could be killed"
    assert 1 <= _runs_done(out) < 4
    assert main(["study", str(study), "--out", str(out)]) == 0
    assert run_files(out) == run_files(local_study)


@pytest.fixture
def executor_ready(request):
    """The executor's name; for ``ray``, a local instance with 2 CPUs (skipped without Ray)."""
    if request.param != "ray":
        yield request.param
        return
    ray = pytest.importorskip("ray")
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    yield "ray"
    if started:
        ray.shutdown()


@pytest.mark.slow
@pytest.mark.parametrize("executor_ready", ["process", "ray"], indirect=True)
def test_the_study_fanned_out_gives_the_same_run_directories(local_study, tmp_path, executor_ready, capsys):
    out = tmp_path / "out"
    assert main(["study", str(write_study(tmp_path)), "--out", str(out), "--executor", executor_ready]) == 0
    assert f"with the {executor_ready!r} executor" in capsys.readouterr().err
    assert _shared_apart(run_files(out)) == _shared_apart(run_files(local_study))


def _shared_apart(files: dict[str, bytes]) -> dict[str, bytes]:
    """A study's files but its shared baselines, whose keys name the torch threads each run had
    (the executor sets them: one in each worker of a pool of two processes, two for local)."""
    return {name: data for name, data in files.items() if not name.startswith("baselines/")}
