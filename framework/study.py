"""Studies: one base spec run over a grid of settings and several seeds.

A study file names a base spec, the seeds and a grid of TOML paths into the
spec, each with the values to try::

    [study]
    name = "data-efficiency"
    spec = "paper-reduced.toml"     # relative to the study file
    seeds = [0, 1, 2]
    [study.grid]
    "task.train" = [32, 64, 128]
    "model.injector.plugin" = ["gssnn", "none"]

Every cell of the grid (one value per key) and every seed is an ordinary run
directory, ``<study dir>/runs/<cell>/seed-<s>``, with its own spec, checkpoint
and artifacts; a baseline training that runs of several cells would repeat
(the same task, encoder, training and seed) is done once and shared in
``<study dir>/baselines/`` (:mod:`framework.shared_baselines`). The grid is
validated like the spec itself before anything runs: each key and value is
applied to the base spec's TOML and the result
structured and checked against the plugins, so a typo names its TOML path
and the key it probably meant. Running a study again continues it: finished
runs are kept, unfinished ones resume from their checkpoints.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import re
from pathlib import Path
from typing import Any, Mapping

import attrs
from attrs import field, frozen
from attrs.validators import ge, min_len, deep_iterable

from framework._registry import Registry
from framework.convert import SpecError, structure
from framework.errors import FrameworkError, UsageError
from framework.plugins import plugin_options
from framework.report import read_json
from framework.run_dir import RunDir
from framework.shared_baselines import FOLDER as BASELINES
from framework.spec import ExecutorChoice, Spec, check_plugins, load_spec, read_toml, spec_to_toml, structure_spec
from framework.store import write_json_atomic

#: Keys the study sets in every run's spec itself.
_RESERVED = {"run.seed": "the seeds come from study.seeds", "run.name": "the study names its runs",
             "run.out": "the study places its runs"}

_seeds = [deep_iterable(ge(0)), min_len(1)]


@frozen
class StudySection:
    """``[study]``: the base spec, the seeds, the grid (and settings shared by every run), where
    the study goes and who runs it.

    ``x``: the grid key on the data-efficiency plot's horizontal axis.
    """

    name: str
    spec: str
    seeds: tuple[int, ...] = field(default=(0,), validator=_seeds)
    grid: dict[str, tuple[Any, ...]] = field(factory=dict)
    #: TOML paths set to the same value in every run (validated like grid keys)
    set: dict[str, Any] = field(factory=dict)
    out: str | None = None  # default: runs/<name>, relative to the working directory
    x: str = "task.train"
    executor: ExecutorChoice = ExecutorChoice()


@frozen
class StudyFile:
    study: StudySection


@frozen
class StudyRun:
    """One cell of the grid with one seed: ``path`` is its run directory within the study."""

    cell: tuple[tuple[str, Any], ...]
    seed: int
    path: str
    spec: Spec


@frozen
class Study:
    """A loaded, validated study: every run's spec is built and checked."""

    name: str
    source: Path
    spec_dir: Path  # the base spec's folder (its relative paths resolve there)
    out: Path
    seeds: tuple[int, ...]
    grid: tuple[tuple[str, tuple[Any, ...]], ...]
    x: str | None  # the plot's axis, when it is a grid key
    executor: ExecutorChoice
    runs: tuple[StudyRun, ...]


def load_study(path: str | Path, out: Path | None = None) -> tuple[Study, Registry]:
    """Read and validate a study file and the base spec it names; build every run's spec."""
    path = Path(path)
    data = read_toml(path)
    grid = data.get("study", {}).get("grid", {}) if isinstance(data.get("study"), dict) else {}
    scalars = [f'study.grid."{key}": expected an array of values, got {_shown(value)}'
               for key, value in (grid.items() if isinstance(grid, dict) else ()) if not isinstance(value, list)]
    if scalars:
        raise SpecError(str(path), scalars)
    section = structure(data, StudyFile, str(path)).study
    base_path = path.parent / section.spec
    registry = load_spec(base_path)[1].registry
    base = read_toml(base_path)
    problems = _key_problems("study.set", {key: [value] for key, value in section.set.items()}, base, registry)
    try:
        base = _with(base, list(section.set.items()))
    except UsageError:
        pass  # reported above, with the key that caused it
    if section.x != attrs.fields(StudySection).x.default and section.x not in section.grid:
        problems.append(f"study.x: {section.x!r} is not a grid key (grid keys: {', '.join(section.grid) or 'none'})")
    problems += _key_problems("study.grid", section.grid, base, registry)
    executor = section.executor
    try:
        plugin_options(registry, executor.kind, executor.plugin, executor.options, path="study.executor")
    except FrameworkError as exc:
        problems.extend(getattr(exc, "problems", [f"study.executor.plugin: {exc}"]))
    if problems:
        raise SpecError(str(path), problems)
    grid = tuple((key, tuple(values)) for key, values in section.grid.items())
    runs = []
    for values in itertools.product(*(v for _, v in grid)):
        cell = tuple(zip((k for k, _ in grid), values))
        name = cell_name(cell)
        for seed in section.seeds:
            overrides = [*cell, ("run.seed", seed), ("run.name", f"{section.name}-{name}-seed{seed}")]
            data = _with(base, overrides)
            data.get("run", {}).pop("out", None)
            try:
                spec = structure_spec(data, str(base_path))
                problems = check_plugins(data, registry, spec)
            except SpecError as exc:
                spec, problems = None, exc.problems
            if problems:
                raise SpecError(str(path), [f"study.grid cell {name}: {p}" for p in problems])
            runs.append(StudyRun(cell, seed, f"runs/{name}/seed-{seed}", spec))
    x = section.x if section.x in section.grid else None
    study = Study(section.name, path, base_path.parent, Path(out or section.out or Path("runs") / section.name),
                  section.seeds, grid, x, section.executor, tuple(runs))
    return study, registry


def cell_name(cell: tuple[tuple[str, Any], ...]) -> str:
    """A cell's folder name: ``task.train=32,model.injector.plugin=gssnn`` (``all`` for no grid)."""
    if not cell:
        return "all"
    return ",".join(re.sub(r"[^A-Za-z0-9._=+-]", "_", f"{key}={value}") for key, value in cell)


def _key_problems(table: str, keys: Mapping[str, Any], base: Mapping[str, Any], registry: Registry) -> list[str]:
    """Each key and value applied alone to the base spec, checked as the spec is."""
    problems = []
    for key, values in keys.items():
        label = f'{table}."{key}"'
        if key in _RESERVED:
            problems.append(f"{label}: set by the study ({_RESERVED[key]})")
            continue
        if not values:
            problems.append(f"{label}: expected at least one value")
        for value in values:
            try:
                data = _with(base, [(key, value)])
                spec = structure_spec(data)
                found = check_plugins(data, registry, spec)
            except SpecError as exc:
                found = exc.problems
            except UsageError as exc:
                found = [str(exc)]
            problems.extend(f"{label} = {_shown(value)}: {p}" for p in found)
    return problems


def _with(base: Mapping[str, Any], overrides: list[tuple[str, Any]]) -> dict[str, Any]:
    """A deep copy of the TOML data ``base`` with each ``(dotted path, value)`` set."""
    data = copy.deepcopy(dict(base))
    for path, value in overrides:
        keys = path.split(".")
        table = data
        for depth, key in enumerate(keys[:-1]):
            inner = table.setdefault(key, {})
            if isinstance(inner, str):  # `selector = "train-accuracy"` is short for {plugin = ...}
                inner = table[key] = {"plugin": inner}
            if not isinstance(inner, dict):
                raise UsageError(f"{'.'.join(keys[:depth + 1])}: not a table, so it has no key {keys[depth + 1]!r}")
            table = inner
        table[keys[-1]] = value
    return data


def _shown(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)


# ---------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------


@frozen
class RunJob:
    """One run of a study, as an executor ships it: the spec, where its directory is and the
    study's folder of shared baseline trainings."""

    key: str
    spec: Spec
    run_dir: str
    spec_dir: str
    baselines: str


@frozen
class RunOutcome:
    key: str
    failed: str | None = None


@frozen
class RunRunner:
    """Runs (or resumes) one study run; picklable, so any executor can run it elsewhere.

    ``verbose``: the run's progress goes to this process's stderr (the local executor);
    elsewhere runs are quiet and the study prints one line per finished run.
    """

    verbose: bool = False

    def __call__(self, job: RunJob) -> RunOutcome:
        from rich.console import Console

        from framework.engine import run
        from framework.plugins import build_plugins

        spec = job.spec
        console = Console(stderr=True) if self.verbose else Console(quiet=True)
        run_dir = RunDir(job.run_dir)
        try:
            plugins = build_plugins(spec.plugins.modules, spec.plugins.paths, base_dir=job.spec_dir)
            run(spec, plugins, run_dir, spec_dir=Path(job.spec_dir), resume=run_dir.checkpoint.is_file(),
                console=console, baselines=Path(job.baselines))
        except FrameworkError as exc:
            return RunOutcome(job.key, failed=str(exc))
        return RunOutcome(job.key)

    def lost(self, job: RunJob, reason: str) -> RunOutcome:
        return RunOutcome(job.key, failed=f"lost: {reason}")


def run_status(run_dir: Path) -> str:
    """``done``, ``not started`` or where an unfinished run stands."""
    try:
        state = read_json(RunDir(run_dir).checkpoint)
    except FileNotFoundError:
        return "not started"
    if state["phase"] == "done":
        return "done"
    return f"generation {state['generation']} ({state['phase']})"


def study_record(study: Study) -> dict[str, Any]:
    """``study.json``: what the study is; a study directory holds one study only."""
    return {
        "name": study.name,
        "seeds": list(study.seeds),
        "grid": {key: list(values) for key, values in study.grid},
        "runs": [{"path": r.path, "cell": dict(r.cell), "seed": r.seed, "spec_hash": _spec_hash(r.spec)}
                 for r in study.runs],
    }


def open_study_dir(study: Study) -> None:
    """Write ``study.json``, or check that the one there describes the same study."""
    record, path = study_record(study), study.out / "study.json"
    if path.exists() and read_json(path) != record:
        raise UsageError(f"{study.out} holds another study (its name, seeds, grid or specs differ); "
                         f"choose another --out or restore {study.source}")
    write_json_atomic(path, record)


def _spec_hash(spec: Spec) -> str:
    return hashlib.sha256(spec_to_toml(spec).encode()).hexdigest()


def pending_jobs(study: Study) -> list[RunJob]:
    """The runs not finished yet (resumed where they have a checkpoint), seed by seed: every
    cell's first seed comes first, so a study stopped early still covers the whole grid."""
    order = sorted(study.runs, key=lambda r: study.seeds.index(r.seed))  # stable: cells keep grid order
    baselines = str((study.out / BASELINES).resolve())
    return [RunJob(r.path, r.spec, str((study.out / r.path).resolve()), str(study.spec_dir.resolve()), baselines)
            for r in order if run_status(study.out / r.path) != "done"]
