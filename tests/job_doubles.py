"""Job callables for the executor tests: they run in worker processes, and one kills its own."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from attrs import frozen


@frozen
class DiesOnce:
    """``train`` for string jobs: job ``"b"`` kills its worker process on its first attempt,
    the jobs in ``always`` on every attempt; the others return at once."""

    marker_dir: str
    always: tuple[str, ...] = ()

    def __call__(self, job: str) -> str:
        marker = Path(self.marker_dir) / job
        if job in self.always or (job == "b" and not marker.exists()):
            marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)
        return f"result {job}"

    def lost(self, job: str, reason: str) -> str:
        return f"lost {job}: {reason}"


@frozen
class Sleeps:
    """``train`` that marks its job and then sleeps: a job still in flight when the
    driver is interrupted."""

    marker_dir: str

    def __call__(self, job: str) -> str:
        (Path(self.marker_dir) / job).touch()
        time.sleep(600)
        return f"result {job}"
