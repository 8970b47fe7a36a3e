"""A tiny study (synthetic task, mlp encoder, 2 cells x 2 seeds) for the study and executor tests."""

from __future__ import annotations

from pathlib import Path

from tiny_runs import SMALLEST, spec_text

#: The smallest run (one generation of 2 candidates) the study is a grid of.
SPEC = spec_text(base=SMALLEST)

STUDY = """
[study]
name = "tiny"
spec = "spec.toml"
seeds = [0, 1]

[study.grid]
{grid}
{extra}
"""

#: The tiny study's grid: two training sizes.
SIZES = '"task.train" = [16, 32]'


def run_files(study_dir: Path) -> dict[str, bytes]:
    """Every file of a study directory, which must not depend on who ran it or whether it was
    killed: all but the temporary file of an atomic write that SIGKILL interrupted."""
    return {str(p.relative_to(study_dir)): p.read_bytes() for p in sorted(study_dir.rglob("*"))
            if p.is_file() and not p.name.endswith(".tmp")}


def write_study(folder: Path, extra: str = "", spec: str = SPEC, grid: str = SIZES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "spec.toml").write_text(spec)
    path = folder / "study.toml"
    path.write_text(STUDY.format(grid=grid, extra=extra))
    return path
