"""One process at a time in a run directory: an exclusive lock on ``<run dir>/.lock``.

Two processes writing one run would both train everything and interleave their
checkpoints. The lock is an ``flock`` on the lock file, which the kernel drops
when its holder exits in any way (``kill -9`` included), so a lock file left
behind by a crashed run is stale by construction: the next run takes it over.
The file holds the holder's pid, which names the process in the refusal.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from typing import Iterator

from framework.errors import UsageError
from framework.run_dir import RunDir


@contextmanager
def locked(run_dir: RunDir) -> Iterator[None]:
    """Hold ``run_dir``'s lock for the ``with`` block (creating the directory); refuse when
    another live process holds it."""
    run_dir.root.mkdir(parents=True, exist_ok=True)
    fd = os.open(run_dir.lock, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            raise UsageError(f"{run_dir.root} is in use by another framework process (pid {holder}); "
                             "wait for it to finish or stop it, or choose another --out") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        try:
            yield
        finally:
            run_dir.lock.unlink(missing_ok=True)  # still holding it: no one else can be mid-open
    finally:
        os.close(fd)

