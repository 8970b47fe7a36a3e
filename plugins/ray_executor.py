"""The ``ray`` executor: one Ray task per job, on a local Ray instance or a cluster.

Imported only when a spec or a study names the executor, so Ray stays an
optional extra. Ray retries a task whose worker process (or node) died, up to
``retries`` times; after that the job is recorded as lost, with Ray's reason,
and the other jobs go on. A task that raised (a framework error: bad input)
stops the run, as it would locally.

The driver keeps the run directory: tasks receive the job and the picklable
``train`` callable (put once in Ray's object store) and return results only.
"""

from __future__ import annotations

import os

# Before Ray is imported: no usage statistics, and no token written to the home directory.
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("RAY_AUTH_MODE", "disabled")

from typing import Any  # noqa: E402

import ray  # noqa: E402
from ray.exceptions import RayError, RayTaskError  # noqa: E402

from framework import FrameworkError  # noqa: E402

from .executors import InOrder, RayOptions  # noqa: E402


class RayExecutor:
    def __init__(self, options: RayOptions) -> None:
        self.options = options

    def run(self, jobs, train, on_result) -> None:
        jobs = list(jobs)
        if not jobs:
            return
        connect(self.options.address)
        options = self.options
        gpus = options.num_gpus if options.num_gpus is not None else float(ray.cluster_resources().get("GPU", 0) >= 1)
        task = ray.remote(_train).options(num_cpus=options.num_cpus, num_gpus=gpus,
                                          max_retries=options.retries, retry_exceptions=False)
        shared = ray.put(train)
        refs = [task.remote(shared, job) for job in jobs]
        index = {ref: i for i, ref in enumerate(refs)}
        ordered = InOrder(jobs, on_result)
        pending = list(refs)
        try:
            while pending:
                done, pending = ray.wait(pending, num_returns=1)
                for ref in done:
                    ordered.add(index[ref], _result(ref, train, jobs[index[ref]], options.retries))
        except BaseException:
            for ref in pending:
                ray.cancel(ref, force=True)
            raise


def connect(address: str | None) -> None:
    """Join ``address``, or start a local instance with this machine's CPUs (once per process)."""
    if ray.is_initialized():
        return
    if address:
        ray.init(address=address, logging_level="WARNING")
    else:
        ray.init(num_cpus=os.cpu_count(), include_dashboard=False, logging_level="WARNING")


def _train(train: Any, job: Any) -> Any:
    return train(job)


def _result(ref: Any, train: Any, job: Any, retries: int) -> Any:
    try:
        return ray.get(ref)
    except RayTaskError as exc:  # the task itself raised: the trainer lets only framework errors out
        cause = getattr(exc, "cause", None)
        if isinstance(cause, FrameworkError):
            raise cause from None
        raise FrameworkError(f"a Ray task failed: {exc}") from None
    except RayError as exc:  # the worker or its node died, on every attempt
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return train.lost(job, f"{type(exc).__name__}: {reason} (after {retries + 1} attempts)")
