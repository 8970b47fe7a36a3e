"""Named points where a test can kill the run: ``FRAMEWORK_KILL_AT=<name>``.

A kill/resume test must hit exact windows (right after a checkpoint advanced,
before the reporters drew), which polling the checkpoint from outside cannot
do reliably. When the environment variable names the point the engine reaches,
the process sends itself ``SIGKILL`` there, as ``kill -9`` would. The points
(docs/runs.md lists them):

* ``trained:<key>``: the checkpoint holds network ``<key>`` (``baseline-0``, ``g0-002``);
* ``selected:g<g>``: generation ``g`` is selected and the checkpoint advanced past it,
  before metrics and the reporters' files are written;
* ``reported:g<g>``: the reporters have drawn generation ``g``.
"""

from __future__ import annotations

import os
import signal

VARIABLE = "FRAMEWORK_KILL_AT"


def kill_point(name: str) -> None:
    """Die here, at once and without clean-up, when ``$FRAMEWORK_KILL_AT`` is ``name``."""
    if os.environ.get(VARIABLE) == name:
        os.kill(os.getpid(), signal.SIGKILL)
