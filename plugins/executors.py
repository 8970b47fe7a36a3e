"""Executors: who trains a generation's networks (and who runs a study's runs).

``run(jobs, train, on_result)`` runs ``train(job)`` for every job and calls
``on_result(job, result)`` in job order as results arrive (a finished job
waits only for the jobs before it), so the engine checkpoints after every
network and the checkpoints follow the same sequence on every executor.
``train`` is a picklable callable (the engine's
:class:`framework.network_trainer.NetworkTrainer`, whose result is a
:class:`framework.networks.Trained`: scores and the network's weights, which the
engine saves; or a study's run runner); when a job's
worker dies on every attempt, ``train.lost(job, reason)`` gives the result
recorded for it, and the others go on.

* ``local``: one after another, in this process, on the run's device.
* ``process``: a pool of worker processes on this machine.
* ``ray``: Ray tasks on a local Ray instance or a cluster (the ``ray`` extra;
  Ray is imported only when this executor is built).
* ``population``: a run's networks together, batched (:mod:`framework.population`);
  the same results as ``local`` (to rounding), far fewer kernel launches on a GPU.
  It trains with the parts of the engine's ``NetworkTrainer`` (``build``, ``data``,
  ``training``, ``device``, ``trained``, ``failure``, ``record``); any other
  runner's jobs (a study's runs) it runs one after another, as ``local``.
* ``auto``: ``population`` when the run's device is CUDA, ``local`` otherwise.
"""

from __future__ import annotations

import os
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from typing import Any, Callable, Sequence

from attrs import field, frozen
from attrs.validators import ge, gt, instance_of, optional

from framework import NoOptions, PluginInfo, UsageError, hookimpl


class LocalExecutor:
    def __init__(self, options: NoOptions) -> None:
        pass

    def run(self, jobs, train, on_result) -> None:
        for job in jobs:
            on_result(job, train(job))


class InOrder:
    """Hands results to ``on_result`` in job order, whatever order they finish in."""

    def __init__(self, jobs: Sequence[Any], on_result: Callable[[Any, Any], None]) -> None:
        self.jobs, self.on_result = jobs, on_result
        self.results: dict[int, Any] = {}
        self.delivered = 0

    def add(self, index: int, result: Any) -> None:
        self.results[index] = result
        while self.delivered in self.results:
            self.on_result(self.jobs[self.delivered], self.results.pop(self.delivered))
            self.delivered += 1


@frozen
class ProcessOptions:
    """``workers``: processes in the pool (default: one per CPU). ``retries``: new attempts
    for the jobs in flight when a worker process dies (the pool cannot tell which one killed it)."""

    workers: int | None = field(default=None, validator=optional(gt(0)))
    retries: int = field(default=1, validator=ge(0))


class ProcessExecutor:
    def __init__(self, options: ProcessOptions) -> None:
        self.workers = options.workers or os.cpu_count() or 1
        self.retries = options.retries
        self._workers: ProcessPoolExecutor | None = None

    def run(self, jobs, train, on_result) -> None:
        jobs = list(jobs)
        ordered = InOrder(jobs, on_result)
        attempts = dict.fromkeys(range(len(jobs)), 0)
        while attempts:
            lost = self._attempt(jobs, sorted(attempts), train, ordered)
            for i in [i for i in attempts if i not in lost]:
                del attempts[i]
            for i, reason in lost.items():
                attempts[i] += 1
                if attempts[i] > self.retries:
                    del attempts[i]
                    ordered.add(i, train.lost(jobs[i], f"{reason}; gave up after {self.retries + 1} attempts"))

    def _attempt(self, jobs: list[Any], todo: list[int], train: Any, ordered: InOrder) -> dict[int, str]:
        """Run ``todo`` in the pool; the jobs lost to a dead worker, with the reason."""
        pool = self._pool()
        futures = {pool.submit(train, jobs[i]): i for i in todo}
        lost: dict[int, str] = {}
        try:
            pending = set(futures)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in sorted(done, key=futures.get):
                    try:
                        ordered.add(futures[future], future.result())
                    except BrokenProcessPool as exc:
                        lost[futures[future]] = f"worker process died: {exc}"
        except BaseException:
            _stop_now(pool)
            self._workers = None
            raise
        if lost:  # a broken pool takes no more work
            pool.shutdown()
            self._workers = None
        return lost

    def _pool(self) -> ProcessPoolExecutor:
        """One pool for the executor's life: workers keep the task's data between generations."""
        if self._workers is None:
            threads = max(1, (os.cpu_count() or 1) // self.workers)
            self._workers = ProcessPoolExecutor(self.workers, mp_context=get_context("spawn"),
                                                initializer=_share_cores, initargs=(threads,))
        return self._workers


def _stop_now(pool: ProcessPoolExecutor) -> None:
    """Stop the pool and the jobs in flight: ``shutdown(wait=False)`` alone leaves the running
    jobs to finish, and the interpreter's exit waits for them, so an interrupted driver would
    hang for as long as its longest training (Python 3.14 adds ``terminate_workers``)."""
    workers = list((pool._processes or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for worker in workers:
        worker.terminate()


def _share_cores(threads: int) -> None:
    """Each worker gets its share of the cores (torch would take them all in each)."""
    import torch

    torch.set_num_threads(threads)


@frozen
class RayOptions:
    """``address``: a running cluster (``"auto"``: the one ``ray start`` joined on this
    machine; ``"ray://host:10001"``: a remote head); none starts a local instance with
    the machine's CPUs. ``num_cpus`` / ``num_gpus``: per task (``num_gpus`` defaults to 1
    where the cluster has GPUs, else 0). ``retries``: new attempts for a task whose worker died."""

    address: str | None = None
    num_cpus: float = field(default=1.0, validator=gt(0))
    num_gpus: float | None = field(default=None, validator=optional(ge(0)))
    retries: int = field(default=2, validator=ge(0))


def _ray_executor(options: RayOptions) -> Any:
    try:
        from .ray_executor import RayExecutor
    except ModuleNotFoundError as exc:
        if exc.name != "ray":
            raise
        raise UsageError("executor plugin 'ray' needs Ray, which is not installed; "
                         "install it with: pip install 'framework[ray]'") from None
    return RayExecutor(options)


@frozen
class PopulationOptions:
    """Options of ``executor = {plugin = "population", ...}`` (and ``auto``).

    Attributes:
        chunk: networks trained together at most; 0 sizes chunks from free
            device memory on CUDA (16 on CPU, where larger chunks train slower).
    """

    chunk: int = field(default=0, validator=[instance_of(int), ge(0)])


def _trains_networks(train: Any) -> bool:
    """Whether ``train`` is the engine's ``NetworkTrainer``, whose parts train networks another way
    (a study's run runner, or a contract suite's stand-in, only runs a job)."""
    return callable(getattr(train, "build", None))


class PopulationExecutor:
    """Trains a run's networks together; any other runner's jobs run one after another."""

    def __init__(self, options: PopulationOptions) -> None:
        self.chunk = options.chunk or None

    def run(self, jobs, train, on_result) -> None:
        from framework.population import check_boundaries, train_population

        if not _trains_networks(train):
            LocalExecutor(NoOptions()).run(jobs, train, on_result)
            return
        train.record("population")
        ordered = InOrder(jobs, on_result)
        built, models, starts = [], [], []
        device, data = train.device, train.data
        sample = data.train.x[: train.training.batch_size].to(device)
        for index, job in enumerate(jobs):
            try:
                model, start = train.build(job)
                check_boundaries(model.to(device), sample)  # a plugin's fault fails its job, as in local
            except Exception as exc:  # this job fails; the others train
                ordered.add(index, train.failure(exc))
            else:
                built.append(index)
                models.append(model)
                starts.append(start)
        train_population(
            models,
            [jobs[i].seed for i in built],
            data,
            train.training,
            device=device,
            chunk=self.chunk,
            on_result=lambda i, result: ordered.add(built[i], train.trained(models[i], result, starts[i])),
        )


class AutoExecutor:
    def __init__(self, options: PopulationOptions) -> None:
        self.population, self.local = PopulationExecutor(options), LocalExecutor(NoOptions())

    def run(self, jobs, train, on_result) -> None:
        if not _trains_networks(train):
            self.local.run(jobs, train, on_result)
        elif train.device.type == "cuda":
            self.population.run(jobs, train, on_result)
        else:
            train.record("local")
            self.local.run(jobs, train, on_result)


@hookimpl
def register_executors():
    return [
        PluginInfo("local", "executor", LocalExecutor, summary="train one network after another on one device"),
        PluginInfo("process", "executor", ProcessExecutor, ProcessOptions,
                   summary="a pool of worker processes on this machine"),
        PluginInfo("ray", "executor", _ray_executor, RayOptions,
                   summary="Ray tasks on a local instance or a cluster (the ray extra)"),
        PluginInfo("population", "executor", PopulationExecutor, PopulationOptions,
                   summary="train a generation's networks together in one batched pass (for GPUs)"),
        PluginInfo("auto", "executor", AutoExecutor, PopulationOptions,
                   summary="population on CUDA, local otherwise"),
    ]
