"""The run directory's layout: one value names every path a run writes or reads.

The engine, ``framework report`` and every reporter plugin take their paths
from a :class:`RunDir`, so the layout is written down once (docs/runs.md
lists the same files)::

    spec.toml  run.json  data.json  executor.json  checkpoint.json  metrics.jsonl
    summary.json  summary.md
    grammars/g<g>.lark      population/g<g>.jsonl
    plots/g<g>.png          drawings/g<g>/<id>.svg
    networks/<id>.safetensors  networks/<id>.json   start.json
    probes/<id>/<method>.json  drawings/importance/<id>-<method>.svg
    tensorboard/
    .lock                   (held while a process works in the directory)
"""

from __future__ import annotations

import os
from pathlib import Path

from attrs import field, frozen


@frozen
class RunDir:
    """The paths of one run directory (nothing is created until something is written)."""

    root: Path = field(converter=Path)

    def __str__(self) -> str:  # messages name the folder
        return str(self.root)

    def __fspath__(self) -> str:  # a RunDir is where it is: Path(run_dir), RunDir(run_dir) work
        return str(self.root)

    @property
    def spec(self) -> Path:
        """The resolved spec, every default written out (its bytes are the run's hash)."""
        return self.root / "spec.toml"

    @property
    def run_json(self) -> Path:
        """The spec's hash and the package versions."""
        return self.root / "run.json"

    @property
    def data(self) -> Path:
        """Size, positive rate and majority-class accuracy of each split."""
        return self.root / "data.json"

    @property
    def executor(self) -> Path:
        """Which executor trained the networks, on which device (rewritten by each run or resume)."""
        return self.root / "executor.json"

    @property
    def checkpoint(self) -> Path:
        """The run state, rewritten after every trained network."""
        return self.root / "checkpoint.json"

    @property
    def metrics(self) -> Path:
        return self.root / "metrics.jsonl"

    @property
    def summary_json(self) -> Path:
        return self.root / "summary.json"

    @property
    def summary_md(self) -> Path:
        return self.root / "summary.md"

    @property
    def lock(self) -> Path:
        """The lock file a process holds while it writes the run (:mod:`framework.run_lock`)."""
        return self.root / ".lock"

    @property
    def tensorboard(self) -> Path:
        """The TensorBoard event files' folder."""
        return self.root / "tensorboard"

    def grammar(self, generation: int) -> Path:
        """The grammar version generation ``generation`` explores with."""
        return self.root / grammar_name(generation)

    def population(self, generation: int) -> Path:
        """Every member of generation ``generation``, ranked."""
        return self.root / "population" / f"g{generation}.jsonl"

    def plot(self, generation: int) -> Path:
        return self.root / "plots" / f"g{generation}.png"

    def drawings(self, generation: int) -> Path:
        """The folder of generation ``generation``'s survivor drawings."""
        return self.root / "drawings" / f"g{generation}"

    def drawing(self, generation: int, candidate_id: str) -> Path:
        return self.drawings(generation) / f"{candidate_id}.svg"

    @property
    def networks(self) -> Path:
        """The folder of saved networks (docs/artifacts.md)."""
        return self.root / "networks"

    def network_weights(self, key: str) -> Path:
        """A saved network's state dict (safetensors); ``key`` is a candidate id or ``baseline-<i>``."""
        return self.networks / f"{key}.safetensors"

    def network_manifest(self, key: str) -> Path:
        """A saved network's manifest: how to rebuild it, what it scored."""
        return self.networks / f"{key}.json"

    @property
    def start(self) -> Path:
        """What a run started ``from`` another carried over (``[start]``)."""
        return self.root / "start.json"

    def probe(self, key: str, method: str) -> Path:
        """What ``framework probe --method METHOD`` found on network ``key``."""
        return self.root / "probes" / key / f"{method}.json"

    def importance_drawing(self, key: str, method: str) -> Path:
        """Network ``key``'s graph shaded by importance (next to the survivors' drawings)."""
        return self.root / "drawings" / "importance" / f"{key}-{method}.svg"


#: The names a run directory holds at its top level (anything else is not a run's).
LAYOUT = frozenset({
    "spec.toml", "run.json", "data.json", "executor.json", "checkpoint.json", "metrics.jsonl", "summary.json",
    "summary.md", "grammars", "population", "plots", "drawings", "tensorboard", ".lock", "networks", "start.json", "probes",
})


def foreign_entries(run_dir: RunDir) -> list[str]:
    """The names at the top of ``run_dir`` that no run writes (sorted; none when it is missing).
    Temporaries of an interrupted atomic write (``.name.*.tmp``) are a run's own."""
    if not run_dir.root.is_dir():
        return []
    return sorted(p.name for p in run_dir.root.iterdir()
                  if p.name not in LAYOUT and not (p.name.startswith(".") and p.name.endswith(".tmp")))


def grammar_name(generation: int) -> str:
    """A grammar version's path relative to the run directory, as the checkpoint records it."""
    return f"grammars/g{generation}.lark"


def cache_dir() -> Path:
    """Where tasks cache generated data (outside any run): ``$FRAMEWORK_CACHE`` or ``~/.cache/framework``."""
    return Path(os.environ.get("FRAMEWORK_CACHE") or Path.home() / ".cache" / "framework")
