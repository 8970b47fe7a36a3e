"""The ``raven`` task: Raven's-progressive-matrix images labelled by the rules that made them.

The G-SSNN paper's task ("Symbolic Synthesis of Neural Networks", arXiv
2303.03340): one 1 x 128 x 128 image in [-1, 1] per puzzle (the whole 3x3
matrix with its correct answer in the ninth panel), target ``constant_color``
(1 if any component's colour rule is CONSTANT). Generation is described in
:mod:`.raven_generate`; the other targets in :mod:`.raven_rules`.

Each split is generated from its own seed stream and cached on disk as one
tensor file whose name hashes every generation setting, the seed, the split
and the count, so a second run reads it instead of regenerating (about 15
puzzles per second per core). The file holds the rules, not the labels:
changing ``target`` reuses it.

Spec usage::

    [task]
    plugin = "raven"
    target = "constant_color"
    train = 128
    select = 256
    eval = 1200
    workers = 2
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import tempfile
import time
from importlib.metadata import PackageNotFoundError, distribution, version
from pathlib import Path
from typing import Any, Mapping

import attrs
import numpy as np
from attrs import field, frozen
from attrs.validators import ge, instance_of

from framework import OptionError, Split, TaskData, UsageError
from framework.store import exclusive

from .raven_generate import (
    MATRIX_TYPES,
    PAPER_MATRIX_TYPES,
    UNSUPPORTED_MATRIX_TYPES,
    GenerationSettings,
    Progress,
    Puzzles,
)
from .raven_rules import TARGETS, labels
from .seeds import SPLITS

#: Bump when the cache file's layout or the generation code changes meaning.
CACHE_FORMAT = 1


def _check_target(_instance: Any, attribute: Any, value: str) -> None:
    if value not in TARGETS:
        raise OptionError(f"unknown raven target {value!r}; valid targets: {', '.join(TARGETS)}", attribute)


def _check_matrix_types(_instance: Any, attribute: Any, value: Mapping[str, float]) -> None:
    for name, weight in value.items():
        if name in UNSUPPORTED_MATRIX_TYPES:
            raise OptionError(
                f"matrix type {name!r} is not offered: {UNSUPPORTED_MATRIX_TYPES[name]}; "
                f"valid matrix types: {', '.join(MATRIX_TYPES)}",
                attribute,
            )
        if name not in MATRIX_TYPES:
            raise OptionError(f"unknown matrix type {name!r}; valid matrix types: {', '.join(MATRIX_TYPES)}", attribute)
        if not isinstance(weight, (int, float)) or isinstance(weight, bool) or not weight >= 0:
            raise OptionError(f"matrix type {name!r}: weight must be a number >= 0, got {weight!r}", attribute)
    if not sum(value.values()) > 0:
        raise OptionError("matrix_types: at least one weight must be > 0", attribute)


_count = [instance_of(int), ge(0)]


@frozen
class RavenOptions:
    """Options of the ``raven`` task (the spec's ``[task]`` table).

    ``target``: one of :data:`~.raven_rules.TARGETS` (the paper's is
    ``constant_color``). ``train`` / ``select`` / ``eval``: puzzles per split
    (the paper: 128 train, 1200 eval, and it selected on training accuracy;
    ``select = 0`` reproduces that). ``workers``: generating processes, 0 for
    one per CPU core. ``image_size``: side of the rendered matrix in pixels
    (the paper's encoder expects 128). ``matrix_types``: matrix type ->
    sampling weight (normalised); FOUR_SHAPE_IN_SHAPE is refused (an upstream
    colour bug).
    """

    target: str = field(default="constant_color", validator=_check_target)
    train: int = field(default=128, validator=[*_count, ge(1)])
    select: int = field(default=256, validator=_count)
    eval: int = field(default=1200, validator=[*_count, ge(1)])
    workers: int = field(default=0, validator=_count)
    image_size: int = field(default=128, validator=[instance_of(int), ge(24)])
    matrix_types: dict[str, float] = field(
        factory=lambda: dict(PAPER_MATRIX_TYPES), validator=_check_matrix_types
    )


def generation_settings(options: RavenOptions) -> GenerationSettings:
    """The generation settings these options select (weights normalised, canonical order)."""
    total = sum(options.matrix_types.values())
    weighted = tuple(
        (name, options.matrix_types[name] / total)
        for name in MATRIX_TYPES
        if options.matrix_types.get(name, 0) > 0
    )
    return GenerationSettings(matrix_types=weighted, image_size=options.image_size)


def cache_path(cache_dir: Path, settings: GenerationSettings, seed: int, split: str, count: int) -> Path:
    """Where one split's puzzles are cached: the name hashes everything that decides them."""
    key = _cache_key(settings, seed, split, count)
    digest = hashlib.sha256(key.encode()).hexdigest()[:20]
    return Path(cache_dir) / "raven" / f"{split}-{count}-{digest}.pt"


def _cache_key(settings: GenerationSettings, seed: int, split: str, count: int) -> str:
    return json.dumps(
        {
            "format": CACHE_FORMAT,
            "generator": f"raven-gen {version('raven-gen')}",
            "settings": attrs.asdict(settings),
            "seed": seed,
            "split": split,
            "count": count,
        },
        sort_keys=True,
    )


def load_puzzles(
    cache_dir: Path,
    settings: GenerationSettings,
    seed: int,
    counts: Mapping[str, int],
    *,
    workers: int = 1,
    progress: Progress | None = None,
) -> dict[str, Puzzles]:
    """Each split's puzzles: read from its cache file, or generated (all missing splits in
    one pool) and then cached atomically."""
    from . import raven_generate

    keys = {split: _cache_key(settings, seed, split, count) for split, count in counts.items()}
    paths = {split: cache_path(cache_dir, settings, seed, split, count) for split, count in counts.items()}
    puzzles = {split: _read_cache(paths[split], keys[split]) for split in counts}
    if all(p is not None for p in puzzles.values()):
        return puzzles
    with _generating(Path(cache_dir), sorted(k for split, k in keys.items() if puzzles[split] is None)):
        for split in counts:  # another process may have written them while this one waited
            if puzzles[split] is None:
                puzzles[split] = _read_cache(paths[split], keys[split])
        missing = {split: count for split, count in counts.items() if puzzles[split] is None}
        if missing:
            report = progress if progress is not None else _log_progress()
            made = raven_generate.generate(settings, seed, missing, workers=workers, progress=report)
            for split, fresh in made.items():
                _write_cache(paths[split], keys[split], fresh)
                puzzles[split] = fresh
    return puzzles


def _generating(cache_dir: Path, keys: list[str]) -> contextlib.AbstractContextManager[None]:
    """The lock on generating these cache entries: runs of one seed started together
    (a study's workers) generate its puzzles once, the others wait and read them."""
    digest = hashlib.sha256(json.dumps(keys).encode()).hexdigest()[:16]

    def waiting(path: Path) -> None:
        print(f"raven: another process is generating these puzzles ({path}); waiting for it",
              file=sys.stderr, flush=True)

    return exclusive(cache_dir / "raven" / "locks" / f"{digest}.lock", on_wait=waiting)


def _read_cache(path: Path, key: str) -> Puzzles | None:
    """The cached puzzles, or None when the file is missing, unreadable or written for other settings."""
    import torch

    if not path.exists():
        return None
    try:
        stored = torch.load(path, weights_only=True)
    except Exception as exc:  # unreadable (another torch, a damaged disk): regenerate
        print(f"raven: ignoring unreadable cache file {path}: {exc}", file=sys.stderr)
        return None
    if stored.get("key") != key:
        return None
    return Puzzles(**{name: stored[name].numpy() for name in attrs.fields_dict(Puzzles)})


def _write_cache(path: Path, key: str, puzzles: Puzzles) -> None:
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    payload: dict[str, Any] = {"key": key}
    for name, array in attrs.asdict(puzzles, recurse=False).items():
        payload[name] = torch.from_numpy(np.ascontiguousarray(array))
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(payload, f)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def to_split(puzzles: Puzzles, target: str) -> Split:
    """Images scaled to [-1, 1] (``2 * v / 255 - 1``, as the original read its PNGs) and labels."""
    import torch

    x = torch.from_numpy(puzzles.images).unsqueeze(1).float().div_(255.0).mul_(2.0).sub_(1.0)
    y = torch.from_numpy(labels(target, puzzles.rules, puzzles.layout_attr))
    return Split(x=x, y=y)


class RavenTask:
    """Loads (generating and caching on first use) the three splits of the ``raven`` task."""

    def __init__(self, options: RavenOptions = RavenOptions()) -> None:
        _require_raven_gen()
        self.options = options
        self.settings = generation_settings(options)

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Known without generating the puzzles, so ``framework validate`` can build the model."""
        return (1, self.options.image_size, self.options.image_size)

    def load(self, cache_dir: Path, seed: int, *, progress: Progress | None = None) -> TaskData:
        """The task's data for ``seed``; ``progress(done, total)`` replaces the default progress lines."""
        counts = {"train": self.options.train, "select": self.options.select, "eval": self.options.eval}
        workers = self.options.workers or os.cpu_count() or 1
        puzzles = load_puzzles(cache_dir, self.settings, seed, counts, workers=workers, progress=progress)
        splits = {split: to_split(puzzles[split], self.options.target) for split in SPLITS}
        size = self.options.image_size
        return TaskData(
            train=splits["train"],
            select=splits["select"],
            eval=splits["eval"],
            input_shape=self.input_shape,
            description=(
                f"raven: {size}x{size} Raven matrices from raven-gen; target "
                f"{self.options.target!r}: {TARGETS[self.options.target].description}"
            ),
        )


def _require_raven_gen() -> None:
    """Fail when the task is built, not minutes later, if the optional extra is missing."""
    try:
        import raven_gen  # noqa: F401  (imports OpenCV too)
    except ImportError as exc:
        raise UsageError(raven_gen_advice(exc)) from None


#: The OpenCV builds on PyPI; each installs the same ``cv2`` package, so one shadows another.
OPENCV_BUILDS = ("opencv-python", "opencv-contrib-python", "opencv-python-headless", "opencv-contrib-python-headless")


def installed_opencv_builds() -> list[str]:
    """The OpenCV distributions installed here (``OPENCV_BUILDS`` order)."""
    found = []
    for name in OPENCV_BUILDS:
        try:
            distribution(name)
        except PackageNotFoundError:
            continue
        found.append(name)
    return found


def raven_gen_advice(error: ImportError, builds: list[str] | None = None) -> str:
    """What to do when ``import raven_gen`` failed: the extra is missing, or OpenCV cannot load."""
    if getattr(error, "name", None) == "raven_gen":
        return ("the raven task needs the optional 'raven' extra (raven-gen, GPL-3.0, and OpenCV): "
                f"pip install 'framework[raven]' ({error})")
    builds = installed_opencv_builds() if builds is None else builds
    gui = [name for name in builds if not name.endswith("-headless")]
    if gui:
        return (f"raven-gen cannot load OpenCV ({error}): the GUI build {gui[0]} (raven-gen requires it) "
                "shadows the headless one and needs the system libGL; keep the headless build only: "
                f"pip uninstall -y {' '.join(gui)} && pip install --force-reinstall --no-deps "
                "opencv-python-headless (scripts/bootstrap does this)")
    return f"raven-gen cannot load OpenCV ({', '.join(builds) or 'none installed'}): {error}"


def _log_progress() -> Progress:
    """Default progress: a line on stderr every tenth of the puzzles.

    Plain lines, not a live bar: they read well in logs, and under a caller's
    rich live display (which redirects stderr above itself) they do not
    fight it for the terminal.
    """
    start = time.monotonic()

    def report(done: int, total: int) -> None:
        if done == total or done % max(1, total // 10) == 0:
            elapsed = time.monotonic() - start
            print(f"raven: generated {done}/{total} puzzles in {elapsed:.0f} s", file=sys.stderr, flush=True)

    return report
