"""The ray executor on a local Ray instance with 2 CPUs (skipped where Ray is not installed)."""

from __future__ import annotations

import json
import sys

import pytest

ray = pytest.importorskip("ray")

import job_doubles  # noqa: E402
from job_doubles import DiesOnce  # noqa: E402
from tiny_study import SPEC  # noqa: E402

from framework.cli import main  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    from framework_plugins.ray_executor import connect

    if not ray.is_initialized():
        ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    connect(None)  # already up: the executor joins it
    # Ray's workers do not share the test's sys.path: ship the doubles by value
    ray.cloudpickle.register_pickle_by_value(job_doubles)
    yield
    ray.cloudpickle.unregister_pickle_by_value(job_doubles)
    ray.shutdown()


def _ray_executor(**options):
    from framework.plugins import build_plugin, build_registry

    return build_plugin(build_registry(), "executor", "ray", options)


def test_a_worker_killed_mid_task_is_retried_and_one_that_always_dies_is_marked(tmp_path):
    seen = []
    _ray_executor(retries=1).run(list("abc"), DiesOnce(str(tmp_path), ("c",)), lambda j, r: seen.append((j, r)))
    assert seen[:2] == [("a", "result a"), ("b", "result b")] and (tmp_path / "b").exists()
    job, result = seen[2]
    assert job == "c" and result.startswith("lost c: WorkerCrashedError") and "after 2 attempts" in result


def test_a_run_trains_its_networks_on_ray_as_it_would_locally(tmp_path, monkeypatch):
    monkeypatch.setenv("FRAMEWORK_CACHE", str(tmp_path / "cache"))
    local, on_ray = tmp_path / "local.toml", tmp_path / "ray.toml"
    local.write_text(SPEC)
    on_ray.write_text(SPEC + '\n[executor]\nplugin = "ray"\n')
    assert main(["run", str(local), "--out", str(tmp_path / "local")]) == 0
    assert main(["run", str(on_ray), "--out", str(tmp_path / "ray")]) == 0
    for name in ("metrics.jsonl", "population/g0.jsonl", "summary.json", "data.json"):
        assert (tmp_path / "ray" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name
    rows = [json.loads(line) for line in (tmp_path / "ray" / "metrics.jsonl").read_text().splitlines()]
    assert not any(row.get("scores", {}).get("failed") for row in rows if row["type"] != "generation")


def test_a_local_instance_writes_nothing_to_the_home_directory(tmp_path):
    import os
    import subprocess

    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")} | {"HOME": str(home)}
    code = ("from framework_plugins.ray_executor import connect; import ray, os; connect(None); "
            "assert ray.cluster_resources()['CPU'] == os.cpu_count(); "
            "assert os.environ['RAY_USAGE_STATS_ENABLED'] == '0'; ray.shutdown()")
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=300)
    assert not list(home.rglob("*")), "the local Ray instance wrote to the home directory"
