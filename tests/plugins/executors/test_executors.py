"""The local and process executors, and the ray executor's registration without Ray."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from job_doubles import DiesOnce, Sleeps

from framework import UsageError
from framework.plugins import build_registry
from framework.plugins import build_plugin


def _executor(name: str, **options):
    return build_plugin(build_registry(), "executor", name, options)


def _collect(executor, jobs, train):
    seen = []
    executor.run(jobs, train, lambda job, result: seen.append((job, result)))
    return seen


def test_process_pool_results_come_in_job_order(tmp_path):
    seen = _collect(_executor("process", workers=2), list("abcd"), DiesOnce(str(tmp_path), always=()))
    assert seen == [(job, f"result {job}") for job in "abcd"] and (tmp_path / "b").exists()


def test_process_pool_survives_a_killed_worker_and_marks_a_job_that_always_dies(tmp_path):
    # one worker: "b" kills it (its queue is lost with it), the retry runs "b" and "c" again
    seen = _collect(_executor("process", workers=1, retries=1), list("abc"), DiesOnce(str(tmp_path), ("c",)))
    assert [job for job, _ in seen] == list("abc")
    assert seen[:2] == [("a", "result a"), ("b", "result b")]
    assert seen[2][1].startswith("lost c: worker process died") and "gave up after 2 attempts" in seen[2][1]


def test_an_interrupted_driver_stops_its_workers_and_exits(tmp_path):
    # SIGINT to the driver alone (as a scheduler sends it; a terminal's Ctrl-C reaches the
    # workers too): the jobs in flight must stop with it, not hold its exit
    driver = subprocess.Popen([sys.executable, "-c", (
        "import sys; sys.path.insert(0, sys.argv[2]); from job_doubles import Sleeps; "
        "from framework.plugins import build_registry, build_plugin; "
        "pool = build_plugin(build_registry(), 'executor', 'process', {'workers': 2}); "
        "pool.run(list('abc'), Sleeps(sys.argv[1]), lambda job, result: None)"),
        str(tmp_path), str(Path(__file__).parents[2])], stderr=subprocess.PIPE, text=True)
    try:
        while not ((tmp_path / "a").exists() and (tmp_path / "b").exists()):
            assert driver.poll() is None, driver.stderr.read()
            time.sleep(0.1)
        driver.send_signal(signal.SIGINT)
        _, stderr = driver.communicate(timeout=120)  # the jobs sleep 600 s: a hang fails here
    finally:
        driver.kill()
    assert driver.returncode != 0 and "KeyboardInterrupt" in stderr
    assert not (tmp_path / "c").exists()  # the queued job never started


def test_ray_is_registered_without_importing_it():
    code = ("import sys; from framework.plugins import build_registry; "
            "assert build_registry().get('executor', 'ray'); assert 'ray' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_ray_missing_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` fails as if it were not installed
    monkeypatch.delitem(sys.modules, "framework_plugins.ray_executor", raising=False)
    with pytest.raises(UsageError, match=r"needs Ray, which is not installed.*pip install 'framework\[ray\]'"):
        _executor("ray")


def test_executor_options_are_checked():
    from framework.spec import SpecError

    with pytest.raises(SpecError, match="workers"):
        _executor("process", workers=0)


def test_results_are_handed_on_in_job_order_whatever_order_they_finish_in():
    from framework_plugins.executors import InOrder

    seen = []
    ordered = InOrder(list("abcd"), lambda job, result: seen.append((job, result)))
    for index in (2, 1, 3):
        ordered.add(index, index * 10)
    assert seen == []  # "a" not back yet: nothing may be checkpointed past it
    ordered.add(0, 0)
    assert seen == [("a", 0), ("b", 10), ("c", 20), ("d", 30)]


def test_a_pickled_trainer_carries_the_spec_only(tmp_path):
    import pickle

    from tiny_study import SPEC

    from framework.network_trainer import NetworkTrainer
    from framework.spec import load_spec

    (tmp_path / "spec.toml").write_text(SPEC)
    spec, plugins = load_spec(tmp_path / "spec.toml")
    trainer = NetworkTrainer(spec, tmp_path, plugins.registry, data=object(), console=object())
    copy = pickle.loads(pickle.dumps(trainer))
    assert copy.spec == spec and copy.spec_dir == tmp_path
    assert copy._registry is None and copy._data is None and copy.console is None
    assert copy.data.train.x.shape[0] == 16  # loaded again in the process that unpickled it
