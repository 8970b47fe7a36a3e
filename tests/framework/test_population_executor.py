"""The population executor in a whole run: the same survivors as local, and an exact resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
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

[model]
dim = 16
encoder = {{plugin = "mlp", hidden = [16]}}

[training]
epochs = 2
batch_size = 8

[library]
plugin = "stitch"
iterations = 1

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
    """The spec above with ``[executor]`` set to ``executor`` (TOML lines), written into ``tmp_path``."""
    (tmp_path / "spec.toml").write_text(SPEC.format(fixture=FIXTURE, executor=executor))
    return tmp_path / "spec.toml"


@pytest.fixture(autouse=True)
def _float32_after(tmp_path_factory, monkeypatch):
    """A shared task cache; the float64 task's default dtype undone after each test."""
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


@pytest.mark.slow
def test_killed_mid_chunk_and_resumed_ends_with_the_same_artifacts(tmp_path, population_run):
    path = spec(tmp_path, 'plugin = "population"\nchunk = 2')
    run_dir = tmp_path / "run"
    command = [sys.executable, "-m", "framework.cli", "run", str(path), "--out", str(run_dir)]
    # g0-002 opens generation 0's second chunk of 2: its result is recorded, its chunk-mate's is not
    killed = subprocess.run(command, env={**os.environ, "FRAMEWORK_KILL_AT": "trained:g0-002"}, capture_output=True)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    state = read_json(run_dir / "checkpoint.json")
    assert [c["id"] for c in state["pending"] if c["scores"]] == ["g0-000", "g0-001", "g0-002"]
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

    class Broken:
        graph = None

    class Trainer(NetworkTrainer):  # the engine's trainer; two jobs' networks cannot be built
        def build(self, job):
            if isinstance(job.candidate, Broken):
                raise ValueError("cannot build this one")
            return super().build(job)

    x = torch.rand(16, 1, 8, 8)
    y = (x.mean(dim=(1, 2, 3)) > 0.5).float()
    data = TaskData(Split(x, y), Split(x[:0], y[:0]), Split(x, y), input_shape=(1, 8, 8))
    path = spec(tmp_path, 'plugin = "population"')
    loaded, plugins = load_spec(path)
    (tmp_path / "run").mkdir()
    trainer = Trainer(loaded, path.parent, plugins.registry, data, run_dir=RunDir(tmp_path / "run"))

    jobs = [TrainJob(key, Broken() if key in "be" else None, seed) for seed, key in enumerate("abcde")]
    heard = []
    PopulationExecutor(PopulationOptions()).run(jobs, trainer, lambda job, trained: heard.append((job.key, trained)))
    assert [key for key, _ in heard] == list("abcde")
    assert read_json(tmp_path / "run" / "executor.json") == {"executor": "population", "device": "cpu"}
    for key in "be":
        assert dict(heard)[key].scores.failed == "ValueError: cannot build this one" and dict(heard)[key].weights is None
    assert all(t.scores.failed is None and t.weights for key, t in heard if key in "acd")


def test_a_plugin_fault_at_the_first_forward_fails_its_candidate_as_under_local(tmp_path):
    from framework.engine import TrainJob
    from framework.network_trainer import NetworkTrainer
    from framework.nn.testing import port_graph
    from framework.run_dir import RunDir
    from framework.spec import load_spec
    from framework.task import Split, TaskData
    from framework_plugins.executors import LocalExecutor, PopulationExecutor, PopulationOptions
    from framework import NoOptions

    class Candidate:
        def __init__(self, nodes: int, broken: bool) -> None:
            self.graph, self.broken = port_graph(nodes, extra_edges=1), broken

    class Trainer(NetworkTrainer):  # one candidate's injector points a message past its graph's last node
        def build(self, job):
            model, start = super().build(job)
            if job.candidate.broken:
                model.injector.edge_index[1, 0] = model.injector.num_nodes
            return model, start

    x = torch.rand(16, 1, 8, 8)
    y = (x.mean(dim=(1, 2, 3)) > 0.5).float()
    data = TaskData(Split(x, y), Split(x[:0], y[:0]), Split(x, y), input_shape=(1, 8, 8))
    path = spec(tmp_path, 'plugin = "population"')
    loaded, plugins = load_spec(path)
    jobs = [TrainJob(key, Candidate(nodes, key == "b"), seed) for seed, (key, nodes) in enumerate(zip("abc", (3, 5, 7)))]
    heard = {}
    for name, executor in (("local", LocalExecutor(NoOptions())), ("population", PopulationExecutor(PopulationOptions()))):
        (tmp_path / name).mkdir()
        trainer = Trainer(loaded, path.parent, plugins.registry, data, run_dir=RunDir(tmp_path / name))
        executor.run(jobs, trainer, lambda job, trained: heard.setdefault(name, []).append(trained.scores))
    local, population = heard["local"], heard["population"]
    assert population[1].failed == local[1].failed
    assert population[1].failed.startswith("injector 'gssnn': edge_index holds node positions outside 0..4")
    assert [s.failed for s in population] == [None, local[1].failed, None]
    assert [population[i].eval_accuracy for i in (0, 2)] == [local[i].eval_accuracy for i in (0, 2)]
