"""Executors: who trains a generation's networks.

``run(jobs, train, on_result)`` trains every job and calls
``on_result(job, scores)`` as each finishes, in job order, so the engine can
checkpoint after every network. ``train(job)`` is the engine's function
that builds and trains one network; jobs are plain frozen records, so an
executor that fans them out to other processes (a population-batched or a
Ray executor) needs nothing else.

* ``local``: one after another, on the run's device.
"""

from __future__ import annotations

from framework import NoOptions, PluginInfo, hookimpl


class LocalExecutor:
    def __init__(self, options: NoOptions) -> None:
        pass

    def run(self, jobs, train, on_result) -> None:
        for job in jobs:
            on_result(job, train(job))


@hookimpl
def register_executors():
    return [PluginInfo("local", "executor", LocalExecutor, summary="train one network after another on one device")]
