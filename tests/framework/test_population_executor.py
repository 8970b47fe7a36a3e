"""The population executor in a whole run: the same survivors as local, and an exact resume."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from framework.cli import main
from framework.report import read_json

FIXTURE = Path(__file__).parents[1] / "fixtures" / "plugins" / "float64_task.py"

#: The quickstart's shape, smaller: 2 generations of 6 candidates, 3 baseline runs.
SPEC = """
[run]
name = "population"
seed = 0
generations = 2
device = "cpu"

[plugins]
paths = ["{fixture}"]

[domain]
plugin = "graph"
equivalence = "ported"

[task]
plugin = "synthetic-float64"
side = 8
noise = 1.0
train = 32
select = 32
eval = 32

[[synthesizers]]
plugin = "enumerative"
max_size = 12

[library]
plugin = "stitch"
iterations = 1

[model]
dim = 16
encoder = {{plugin = "mlp", hidden = [16]}}

[training]
epochs = 2
batch_size = 8

[population]
size = 6
keep = 3
explore_budget = 20000
selector = "select-accuracy"

[baseline]
runs = 3

[executor]
{executor}
"""

COMPARED = ("checkpoint.json", "metrics.jsonl", "summary.json", "population/g0.jsonl", "population/g1.jsonl",
            "grammars/g1.lark")


def spec(tmp_path: Path, executor: str) -> Path:
    path = tmp_path / "spec.toml"
    path.write_text(SPEC.format(fixture=FIXTURE, executor=executor))
    return path


@pytest.fixture(autouse=True)
def _float32_after(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("FRAMEWORK_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
    yield
    torch.set_default_dtype(torch.float32)


@pytest.fixture(scope="module")
def population_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("population")
    try:
        assert main(["run", str(spec(tmp, 'plugin = "population"\nchunk = 2')), "--out", str(tmp / "run")]) == 0
    finally:
        torch.set_default_dtype(torch.float32)
    return tmp / "run"


def members(run_dir: Path, generation: int) -> list[tuple[str, bool, float]]:
    rows = [json.loads(line) for line in (run_dir / "population" / f"g{generation}.jsonl").read_text().splitlines()]
    return [(row["id"], row["kept"], row["scores"]["select_accuracy"]) for row in rows]


def test_population_executor_keeps_the_survivors_local_keeps(tmp_path, population_run):
    assert main(["run", str(spec(tmp_path, 'plugin = "local"')), "--out", str(tmp_path / "local")]) == 0
    for generation in (0, 1):
        assert members(population_run, generation) == members(tmp_path / "local", generation)
    local, population = read_json(tmp_path / "local" / "checkpoint.json"), read_json(population_run / "checkpoint.json")
    for a, b in zip(local["baseline"], population["baseline"]):
        assert a["eval_accuracy"] == b["eval_accuracy"]
        assert a["final_loss"] == pytest.approx(b["final_loss"], rel=1e-9)
    assert read_json(population_run / "executor.json") == {"executor": "population", "device": "cpu"}
    assert read_json(tmp_path / "local" / "executor.json")["executor"] == "local"


def _training_generation_0(run_dir: Path) -> bool:
    try:
        state = read_json(run_dir / "checkpoint.json")
    except (FileNotFoundError, json.JSONDecodeError):
        return False
    return state["generation"] == 0 and state["phase"] == "train"


@pytest.mark.slow
def test_killed_mid_chunk_and_resumed_ends_with_the_same_artifacts(tmp_path, population_run):
    path = spec(tmp_path, 'plugin = "population"\nchunk = 2')
    run_dir = tmp_path / "run"
    command = [sys.executable, "-m", "framework.cli", "run", str(path), "--out", str(run_dir)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    # generation 0's candidates were found and its first chunk of 2 is training: kill it there
    while not _training_generation_0(run_dir) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL, "the run finished before it could be killed"
    assert read_json(run_dir / "checkpoint.json")["phase"] != "done"
    try:
        assert main(["run", str(path), "--out", str(run_dir), "--resume"]) == 0
    finally:
        torch.set_default_dtype(torch.float32)
    for name in COMPARED:
        assert (run_dir / name).read_bytes() == (population_run / name).read_bytes(), name


def test_a_network_that_cannot_be_built_fails_alone_and_reports_keep_job_order(tmp_path):
    from framework.engine import TrainJob
    from framework.network_trainer import NetworkTrainer
    from framework.run_dir import RunDir
    from framework.spec import load_spec
    from framework.task import Split, TaskData
    from framework_plugins.executors import PopulationExecutor, PopulationOptions

    class Trainer(NetworkTrainer):  # the engine's trainer; two jobs' networks cannot be built
        def build_model(self, graph):
            if graph == "broken":
                raise ValueError("cannot build this one")
            return super().build_model(graph)

    x = torch.rand(16, 1, 8, 8)
    y = (x.mean(dim=(1, 2, 3)) > 0.5).float()
    data = TaskData(Split(x, y), Split(x[:0], y[:0]), Split(x, y), input_shape=(1, 8, 8))
    path = spec(tmp_path, 'plugin = "population"')
    loaded, plugins = load_spec(path)
    (tmp_path / "run").mkdir()
    trainer = Trainer(loaded, path.parent, plugins.registry, data, run_dir=RunDir(tmp_path / "run"))

    class Broken:
        graph = "broken"

    jobs = [TrainJob(key, Broken() if key in "be" else None, seed) for seed, key in enumerate("abcde")]
    heard = []
    PopulationExecutor(PopulationOptions()).run(jobs, trainer, lambda job, trained: heard.append((job.key, trained)))
    assert [key for key, _ in heard] == list("abcde")
    assert read_json(tmp_path / "run" / "executor.json") == {"executor": "population", "device": "cpu"}
    for key in "be":
        assert dict(heard)[key].scores.failed == "ValueError: cannot build this one" and dict(heard)[key].weights is None
    assert all(t.scores.failed is None and t.weights for key, t in heard if key in "acd")
