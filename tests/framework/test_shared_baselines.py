"""A study trains each distinct baseline once and shares it: the cells of one seed that differ
only in G-SSNN keys reuse it, and their run directories are those of runs that trained it."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from tiny_runs import task_cache  # noqa: F401 (an autouse fixture)
from tiny_study import run_files, write_study

from framework.cli import main
from framework.network_trainer import NetworkTrainer
from framework.networks import Trained
from framework.report import read_json
from framework.run_state import Scores
from framework.shared_baselines import Reused, find_shared, share, training

INJECTORS = '"model.injector.plugin" = ["gssnn", "none"]'
CELLS = ("model.injector.plugin=gssnn", "model.injector.plugin=none")


@pytest.fixture
def baseline_trainings(monkeypatch):
    """The seeds of the baseline networks this process trains (the trainer's own calls)."""
    seeds: list[int] = []
    train = NetworkTrainer.__call__

    def counted(self, job):
        if job.candidate is None:
            seeds.append(job.seed)
        return train(self, job)

    monkeypatch.setattr(NetworkTrainer, "__call__", counted)
    return seeds


def _run_study(folder: Path, grid: str = INJECTORS) -> Path:
    assert main(["study", str(write_study(folder, grid=grid)), "--out", str(folder / "out")]) == 0
    return folder / "out"


@pytest.fixture(scope="module")
def injector_study(tmp_path_factory):
    """The tiny study over the injector (2 cells x 2 seeds), run straight through."""
    return _run_study(tmp_path_factory.mktemp("injector-study"))


def test_cells_differing_in_the_injector_train_each_seeds_baseline_once(tmp_path, baseline_trainings, capsys):
    out = _run_study(tmp_path)
    assert len(baseline_trainings) == 2 == len(set(baseline_trainings)), "one baseline training per seed"
    err = capsys.readouterr().err
    for seed in (0, 1):
        assert f"(reused: trained by runs/{CELLS[0]}/seed-{seed})" in " ".join(err.split())
        trained, reused = (out / "runs" / cell / f"seed-{seed}" for cell in CELLS)
        weights = "networks/baseline-0.safetensors"
        assert (trained / weights).read_bytes() == (reused / weights).read_bytes()
        assert read_json(trained / "checkpoint.json")["baseline"] == read_json(reused / "checkpoint.json")["baseline"]


def test_a_reused_baseline_leaves_the_run_directory_of_a_run_that_trained_it(injector_study, tmp_path):
    for seed in (0, 1):
        reused = injector_study / "runs" / CELLS[1] / f"seed-{seed}"
        alone = tmp_path / f"alone-{seed}"  # the same spec as a plain run: nothing shared
        assert main(["run", str(reused / "spec.toml"), "--out", str(alone)]) == 0
        assert run_files(reused) == run_files(alone)
        manifest = read_json(reused / "networks" / "baseline-0.json")
        assert manifest["model"]["injector"]["plugin"] == "none"  # its own spec's manifest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alone-0", "alone-1"], "a plain run shares nothing"


@pytest.mark.parametrize("grid", ['"model.encoder.dropout" = [0.0, 0.1]', '"training.lr" = [0.001, 0.002]',
                                  '"task.train" = [16, 12]'])
def test_a_cell_that_changes_what_the_baseline_reads_does_not_share(tmp_path, baseline_trainings, grid):
    _run_study(tmp_path, grid)
    assert len(baseline_trainings) == 4, "each cell and seed trains its own baseline"


def test_the_model_width_is_not_the_baselines_so_it_shares(tmp_path, baseline_trainings):
    _run_study(tmp_path, '"model.dim" = [8, 16]')  # the encoder alone is built with one output
    assert len(baseline_trainings) == 2


def test_a_study_killed_after_the_first_training_resumes_to_the_same_artifacts(
        injector_study, tmp_path, baseline_trainings):
    study, out = write_study(tmp_path, grid=INJECTORS), tmp_path / "out"
    killed = subprocess.run([sys.executable, "-m", "framework.cli", "study", str(study), "--out", str(out)],
                            env={**os.environ, "FRAMEWORK_KILL_AT": "trained:baseline-0"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert killed.returncode == -9, "the first run should die right after its baseline"
    assert read_json(out / "runs" / CELLS[0] / "seed-0" / "checkpoint.json")["baseline"]
    assert main(["study", str(study), "--out", str(out)]) == 0
    assert len(baseline_trainings) == 1, "only seed 1's baseline is left to train"
    assert run_files(out) == run_files(injector_study)


def _trained(failed: str | None = None) -> Trained:
    scores = Scores(0.75, 0.5, 0.625, 0.7, 0.4, 0.6, 0.3, failed=failed, eval_accuracies=(0.625,))
    return Trained(scores, None if failed else b"weights", 7, {"network": "baseline-0"})


def test_a_shared_entry_gives_back_what_was_trained_and_who_trained_it(tmp_path):
    folder, run_dir = tmp_path / "study" / "baselines", tmp_path / "study" / "runs" / "a" / "seed-0"
    share(folder, "k", {"seed": 1}, _trained(), run_dir)
    assert find_shared(folder, "k") == Reused(_trained(), "runs/a/seed-0")
    assert find_shared(folder, "other") is None


def test_failures_are_not_shared_and_weights_that_do_not_match_their_hash_are_no_entry(tmp_path):
    folder = tmp_path / "baselines"
    share(folder, "failed", {}, _trained(failed="loss became nan"), tmp_path / "run")
    assert not folder.exists()
    share(folder, "k", {}, _trained(), tmp_path / "run")
    (weights,) = folder.glob("*.safetensors")
    weights.write_bytes(b"weights, edited")
    assert find_shared(folder, "k") is None
    weights.unlink()
    assert find_shared(folder, "k") is None


def test_a_run_waits_for_another_training_its_baseline_then_reuses_it(injector_study, tmp_path):
    """Runs started together (a study's workers): the one holding the lock trains, the other
    waits and, finding the baseline shared when the lock is free, does not train it again."""
    study, out = write_study(tmp_path, grid=INJECTORS), tmp_path / "out"
    source = injector_study / "baselines"
    entry = next(p for p in sorted(source.glob("*.json")) if f"runs/{CELLS[0]}/seed-0" in p.read_text())
    folder = out / "baselines"
    with training(folder, [entry.stem], on_wait=lambda path: pytest.fail("the test holds the lock first")):
        process = subprocess.Popen([sys.executable, "-m", "framework.cli", "study", str(study), "--out", str(out)],
                                   env={**os.environ, "COLUMNS": "500"}, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True)
        watchdog = threading.Timer(300, process.kill)  # a run that waits without saying so fails, not hangs
        watchdog.start()
        seen = []
        for line in process.stderr:  # the first run, gssnn seed 0, waits for this lock
            seen.append(line)
            if "waiting for it" in line:
                break
        assert "waiting for it" in "".join(seen), "".join(seen)
        for name in (entry.name, f"{read_json(entry)['sha256']}.safetensors"):  # what the other run shares
            (folder / name).write_bytes((source / name).read_bytes())
    err = process.communicate()[1]
    watchdog.cancel()
    assert process.returncode == 0, err
    assert f"(reused: trained by runs/{CELLS[0]}/seed-0)" in " ".join(err.split())
    assert run_files(out) == run_files(injector_study)
