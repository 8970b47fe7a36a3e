"""Import DGL only when a DGL backbone is built, and explain why when it cannot be.

DGL's only Linux build on PyPI (``dgl==2.1.0``) loads native libraries built
against torch 2.2.x. Next to another torch, ``import dgl`` fails, and a
mismatched native library could in principle take the interpreter down with
it. So the first request for DGL tries ``import dgl`` in a child interpreter
(same executable, same ``sys.path``); only when that succeeds is DGL imported
here. The verdict is cached for the life of the process. When ``dgl`` is not
installed at all, the check is free (no child process).

Nothing in this module runs at plugin-listing time.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import signal
import subprocess
import sys
from types import ModuleType

from framework import UsageError

#: Seconds the child interpreter may take to import torch and dgl.
PROBE_TIMEOUT = 300

_PROBE = "import json, sys; sys.path[:] = json.loads(sys.argv[1]); import dgl, dgl.nn.pytorch"


@functools.cache
def dgl_import_error() -> str | None:
    """Why ``import dgl`` fails in this interpreter, or None when it works.

    Cached: call ``dgl_import_error.cache_clear()`` after changing ``sys.path``.
    """
    if "dgl.nn.pytorch" in sys.modules:
        return None
    spec = importlib.util.find_spec("dgl")
    if spec is None:
        return "No module named 'dgl'"
    if spec.origin is None:  # a namespace package: some folder named dgl/ on sys.path
        return f"'dgl' is only a folder without __init__.py ({', '.join(spec.submodule_search_locations)})"
    try:
        probe = subprocess.run(
            [sys.executable, "-c", _PROBE, json.dumps(sys.path)],
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return f"import dgl took more than {PROBE_TIMEOUT} s"
    if probe.returncode == 0:
        return None
    if probe.returncode < 0:
        return f"import dgl killed the interpreter ({signal.Signals(-probe.returncode).name})"
    lines = probe.stderr.strip().splitlines()
    return lines[-1] if lines else f"import dgl exited with status {probe.returncode}"


def require_dgl(plugin: str) -> ModuleType:
    """Return the ``dgl`` module, or raise a :class:`UsageError` naming ``plugin`` and the fix."""
    reason = dgl_import_error()
    if reason is not None:
        native = plugin.removeprefix("dgl-")
        raise UsageError(
            f"backbone {plugin!r} needs DGL, which does not import here: {reason}. "
            f"DGL 2.1.0 (the only Linux build on PyPI) works only next to torch 2.2.x: run "
            f"scripts/dgl-env to build a venv that has it (see docs/dgl.md), "
            f"or use the native backbone {native!r}."
        )
    import dgl
    import dgl.nn.pytorch  # noqa: F401  (the layers' module; imported once here)

    return dgl
