"""Atomic file writes: a reader (or a resumed run) never sees half a file; and a lock for
work that processes started together should do once (:func:`exclusive`).

Every artifact is written to a temporary file in the same folder, flushed to
disk, then renamed over the target (``os.replace`` is atomic on POSIX). The
file gets the mode any new file gets (``0o666`` less the umask), not the
``0o600`` of ``mkstemp``'s temporary.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator


_umask_lock = threading.Lock()


def _new_file_mode() -> int:
    """``0o666`` less the process's umask (read by setting it, so under a lock)."""
    with _umask_lock:
        umask = os.umask(0o022)
        os.umask(umask)
    return 0o666 & ~umask


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, _new_file_mode())
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: str | os.PathLike[str], data: Any) -> None:
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def write_jsonl_atomic(path: str | os.PathLike[str], rows: Iterable[Any]) -> None:
    write_text_atomic(path, "".join(json.dumps(row, sort_keys=True) + "\n" for row in rows))


def read_jsonl(path: str | os.PathLike[str]) -> list[Any]:
    with open(path, encoding="utf-8") as file:
        return [json.loads(line) for line in file if line.strip()]


@contextlib.contextmanager
def exclusive(path: str | os.PathLike[str], on_wait: Callable[[Path], None] | None = None) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created, with its folder) for the ``with`` block,
    waiting while another process holds it; ``on_wait(path)`` hears first that it waits.

    For work several processes may start at once and one should do (generating a cache
    entry, training a shared network): take the lock, look again, do what is still missing.
    It is an ``flock``, which the kernel drops however its holder ends (``kill -9``
    included), so a killed holder leaves nothing stale; the empty lock file stays.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait(path)
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
