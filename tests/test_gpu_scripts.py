"""scripts/gpu-wheels and scripts/gpu-check: the parts that run without a GPU.

The whole check was rehearsed on the CPU (``scripts/gpu-check --rehearse``) in a
virtual environment made from a Python without lark, cattrs, stitch-core and
raven-gen, installing them offline from the wheels ``scripts/gpu-wheels`` fetched.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).parents[1]


def _pins(text: str) -> dict[str, str]:
    return dict(re.findall(r"([a-z][a-z0-9-]*)==([0-9][0-9a-z.]*)", text))


def test_the_wheels_are_the_pinned_versions():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pinned = _pins(" ".join(project["dependencies"] + project["optional-dependencies"]["raven"]))
    fetched = _pins((REPO / "scripts" / "gpu-wheels").read_text())
    assert set(fetched) == {"lark", "cattrs", "stitch-core", "raven-gen"}
    for name in ("stitch-core", "raven-gen"):
        assert fetched[name] == pinned[name], name
    assert "wheels/" in (REPO / ".gitignore").read_text().split()


@pytest.mark.skipif(sys.platform != "linux", reason="a bash script")
def test_gpu_check_without_cuda_says_skipped_in_out(tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA: gpu-check would run")
    env = {**os.environ, "OUT": str(tmp_path / "out"), "PYTHON": sys.executable,
           "GPU_CHECK_VENV": str(tmp_path / "venv")}
    done = subprocess.run([str(REPO / "scripts" / "gpu-check")], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"status": "skipped", "reason": "no CUDA device"}
    assert json.loads((tmp_path / "out" / "gpu-check.json").read_text())["status"] == "skipped"
    assert not (tmp_path / "venv").exists()  # nothing installed where there is nothing to check
