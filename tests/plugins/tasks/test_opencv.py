"""One OpenCV that works headless: raven-gen requires the GUI build, which needs libGL.

raven-gen 0.3.2 depends on ``opencv-python``; the ``raven`` extra adds
``opencv-python-headless``. Both install the same ``cv2`` package, the GUI one
wins, and on a machine without the system libGL the task then fails after a
successful set-up. ``scripts/bootstrap`` keeps the headless build only; the
task's error names the real cause when the GUI build is back.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from framework_plugins.tasks.raven import installed_opencv_builds, raven_gen_advice

raven_gen = pytest.importorskip("raven_gen", reason="the raven extra is not installed")

LIBGL_PLACES = ("/lib/x86_64-linux-gnu/libGL.so.1", "/usr/lib/x86_64-linux-gnu/libGL.so.1", "/usr/lib64/libGL.so.1")


def test_the_installed_set_holds_one_headless_opencv():
    import cv2

    assert installed_opencv_builds() == ["opencv-python-headless"]
    gui = [line.split(":", 1)[1].strip() for line in cv2.getBuildInformation().splitlines()
           if line.strip().startswith("GUI:")]
    assert gui == ["NONE"]


def test_the_advice_names_the_gui_build_that_shadows_the_headless_one():
    error = ImportError("libGL.so.1: cannot open shared object file: No such file or directory")
    advice = raven_gen_advice(error, ["opencv-python", "opencv-python-headless"])
    assert "libGL.so.1: cannot open shared object file" in advice
    assert "pip uninstall -y opencv-python &&" in advice
    assert "opencv-python-headless" in advice


def test_the_advice_for_a_missing_extra_names_the_extra():
    error = ModuleNotFoundError("No module named 'raven_gen'", name="raven_gen")
    assert "pip install 'framework[raven]'" in raven_gen_advice(error, [])


def test_the_advice_with_only_the_headless_build_gives_the_error():
    advice = raven_gen_advice(ImportError("numpy.core.multiarray failed to import"), ["opencv-python-headless"])
    assert "numpy.core.multiarray failed to import" in advice
    assert "uninstall" not in advice


def _libgl() -> str | None:
    return next((place for place in LIBGL_PLACES if Path(place).exists()), None)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("unshare") is None
                    or _libgl() is None, reason="needs root, unshare and a system libGL to hide")
def test_the_raven_task_builds_with_libgl_hidden():
    """In a private mount namespace libGL.so.1 reads as an empty file: only a headless cv2 loads."""
    script = ("from framework.plugins import build_plugin, build_registry; "
              "build_plugin(build_registry(), 'task', 'raven'); import cv2; print('loaded', cv2.__file__)")
    command = f"mount --bind /dev/null {_libgl()} && exec {sys.executable} -c \"{script}\""
    done = subprocess.run(["unshare", "-m", "sh", "-c", command], capture_output=True, text=True, timeout=120)
    if "unshare failed" in done.stderr or "mount:" in done.stderr:
        pytest.skip(f"no private mount namespace here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    assert "loaded" in done.stdout
