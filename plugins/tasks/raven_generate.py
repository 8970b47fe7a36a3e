"""Raven's-progressive-matrix generation on raven-gen, seeded per puzzle and fanned out to processes.

raven-gen (GPL-3.0) is an optional extra: it is imported only inside the
functions here, which only the ``raven`` task calls, so listing plugins or
using any other task never loads it.

The generation follows the G-SSNN experiment (``gssnn.md``, "The
experiment", and the original ``generate_data``): matrix types ONE_SHAPE,
FOUR_SHAPE, FIVE_SHAPE, TWO_SHAPE_VERTICAL_SEP, TWO_SHAPE_HORIZONTAL_SEP and
SHAPE_IN_SHAPE with weights .15/.2/.2/.15/.15/.15; the size rule always
CONSTANT; no oblique rotations; the original's minimum entity sizes per
matrix type (:data:`SIZE_MIN`); background grey drawn from {28, 56, ..., 224};
the whole 3x3 matrix rendered as one 128 x 128 grey image (panels of
128 // 3 = 42 px, so the last two pixel rows and columns stay background, as
in the original) with line and border thickness 1 and the correct answer in
the ninth panel. Only the answer is rendered: the original also drew one wrong
alternative, which the experiment never used.

Determinism. raven-gen draws only from the global ``np.random``; each puzzle
reseeds it from ``(seed, split, index)``, so a puzzle does not depend on which
process made it or on how many there were. raven-gen's default rule lists come
from iterating a ``set`` of enum members, whose order changes with Python's
hash seed from process to process; :func:`_ruleset` therefore spells every
list out in a fixed order (same rules, same uniform choice).

Speed: about 15-20 puzzles per second per core (most time in ``deepcopy``
inside rule sampling), hence the process pool and the on-disk cache of the
``raven`` task.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from functools import partial
from typing import Callable, Iterable, Mapping

import numpy as np
from attrs import field, frozen

from .raven_rules import LAYOUT_ATTRS, MAX_COMPONENTS, RULES, SLOTS
from .seeds import seed_material

#: Matrix types and weights of the paper's experiment.
PAPER_MATRIX_TYPES: Mapping[str, float] = {
    "ONE_SHAPE": 0.15,
    "FOUR_SHAPE": 0.2,
    "FIVE_SHAPE": 0.2,
    "TWO_SHAPE_VERTICAL_SEP": 0.15,
    "TWO_SHAPE_HORIZONTAL_SEP": 0.15,
    "SHAPE_IN_SHAPE": 0.15,
}

#: Every matrix type a spec may name (raven-gen's ``MatrixType`` order).
MATRIX_TYPES = (
    "ONE_SHAPE",
    "FOUR_SHAPE",
    "FIVE_SHAPE",
    "NINE_SHAPE",
    "TWO_SHAPE_VERTICAL_SEP",
    "TWO_SHAPE_HORIZONTAL_SEP",
    "SHAPE_IN_SHAPE",
)

#: raven-gen matrix types refused, with the reason given to the user.
UNSUPPORTED_MATRIX_TYPES: Mapping[str, str] = {
    "FOUR_SHAPE_IN_SHAPE": (
        "raven-gen 0.3.2 computes its inner shapes' colour bounds from the outer "
        "shape's (Matrix.get_attribute_bounds), so the inner shapes are always white"
    ),
}

#: Minimum entity size setting (index into raven-gen's SIZE_VALUES
#: 0.4 ... 0.9) per (matrix type, component), as the original experiment set it.
SIZE_MIN: Mapping[tuple[str, str], int] = {
    ("FOUR_SHAPE", "NONE"): 3,
    ("FIVE_SHAPE", "NONE"): 5,
    ("TWO_SHAPE_VERTICAL_SEP", "LEFT"): 3,
    ("TWO_SHAPE_VERTICAL_SEP", "RIGHT"): 3,
    ("TWO_SHAPE_HORIZONTAL_SEP", "UP"): 3,
    ("TWO_SHAPE_HORIZONTAL_SEP", "DOWN"): 3,
    ("SHAPE_IN_SHAPE", "OUT"): 5,
    ("SHAPE_IN_SHAPE", "IN"): 5,
}

#: Background greys of the paper's experiment.
BACKGROUNDS = tuple(range(28, 225, 28))

#: ``progress(done, total)``, called as puzzles arrive.
Progress = Callable[[int, int], None]


@frozen
class GenerationSettings:
    """Everything that decides a puzzle's pixels and rules, besides its seed.

    The ``raven`` task hashes these (with the seed, split and count) into the
    name of its cache file.
    """

    #: (matrix type name, probability) pairs; probabilities sum to 1.
    matrix_types: tuple[tuple[str, float], ...] = field(
        factory=lambda: tuple(PAPER_MATRIX_TYPES.items())
    )
    image_size: int = 128
    backgrounds: tuple[int, ...] = BACKGROUNDS
    line_thickness: int = 1
    border_thickness: int = 1
    size_min: tuple[tuple[str, str, int], ...] = tuple((m, c, v) for (m, c), v in SIZE_MIN.items())


@frozen
class Puzzles:
    """Generated puzzles as arrays (row ``i`` is puzzle ``i`` of its split).

    ``images``: uint8 ``[n, S, S]``; ``rules``: int8 ``[n, 2, 4]`` and
    ``layout_attr``: int8 ``[n, 2]`` (encoded as in :mod:`.raven_rules`);
    ``matrix_type``: int8 ``[n]`` (index into :data:`MATRIX_TYPES`);
    ``background``: uint8 ``[n]`` (the grey of the background).
    """

    images: np.ndarray
    rules: np.ndarray
    layout_attr: np.ndarray
    matrix_type: np.ndarray
    background: np.ndarray


def puzzle_seed(seed: int, split: str, index: int) -> int:
    """The global ``np.random`` seed of one puzzle: independent streams per split and index."""
    return int(np.random.SeedSequence(seed_material(seed, split, index)).generate_state(1)[0])


def configure(settings: GenerationSettings) -> None:
    """Set raven-gen's module-level switches for these settings (idempotent).

    raven-gen keeps the angle range and the attribute bounds in module and
    class globals, so every process that generates (the pool's workers and,
    for serial generation, this one) calls this first.
    """
    from raven_gen import Matrix, MatrixType

    Matrix.oblique_angle_rotations(allowed=False)
    for matrix_type, component, size_min in settings.size_min:
        for (component_type, _layout), bounds in Matrix.attribute_bounds[MatrixType[matrix_type]].items():
            if component_type.name == component:
                bounds["size_min"] = size_min


def _ruleset():
    """The paper's rule set (size always CONSTANT), every list in a fixed order."""
    from raven_gen import Ruleset, RuleType

    every = tuple(RuleType)
    return Ruleset(
        position_rules=every,
        number_rules=every,
        shape_rules=tuple(r for r in every if r is not RuleType.ARITHMETIC),
        size_rules=(RuleType.CONSTANT,),
        color_rules=every,
    )


def generate_one(
    settings: GenerationSettings, seed: int, job: tuple[str, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    """Puzzle ``job = (split, index)``: (image, rules, layout_attr, matrix type, background)."""
    from raven_gen import Matrix, MatrixType

    split, index = job
    np.random.seed(puzzle_seed(seed, split, index))
    names = [name for name, _ in settings.matrix_types]
    weights = [weight for _, weight in settings.matrix_types]
    name = names[np.random.choice(len(names), p=weights)]
    matrix = Matrix.make(MatrixType[name], ruleset=_ruleset(), n_alternatives=0)
    background = int(np.random.choice(settings.backgrounds))
    image = matrix.generate_matrix(
        matrix.answer,
        background,
        settings.image_size,
        settings.line_thickness,
        settings.border_thickness,
    )
    rules = np.zeros((MAX_COMPONENTS, len(SLOTS)), np.int8)
    layout_attr = np.zeros(MAX_COMPONENTS, np.int8)
    for c, component_rules in enumerate(matrix.rules):
        for s, rule in enumerate(component_rules.all):
            rules[c, s] = 1 + RULES.index(rule.name.name.lower())
        layout_attr[c] = 1 + LAYOUT_ATTRS.index(component_rules.configuration.attr.name.lower())
    return np.asarray(image, np.uint8), rules, layout_attr, MATRIX_TYPES.index(name), background


def generate(
    settings: GenerationSettings,
    seed: int,
    counts: Mapping[str, int],
    *,
    workers: int = 1,
    progress: Progress | None = None,
) -> dict[str, Puzzles]:
    """Puzzles ``0 .. counts[split]-1`` of each split: the same arrays for any ``workers``.

    ``workers > 1`` generates in one pool of spawned processes for all splits
    (spawn, not fork: the parent may hold torch threads or a CUDA context).
    ``progress(done, total)`` counts puzzles over all splits.
    """
    jobs = [(split, index) for split, count in counts.items() for index in range(count)]
    make = partial(generate_one, settings, seed)
    workers = max(1, min(workers, len(jobs)))
    results = []
    with contextlib.ExitStack() as stack:
        if workers == 1:
            configure(settings)
            outputs: Iterable = map(make, jobs)
        else:
            context = multiprocessing.get_context("spawn")
            pool = stack.enter_context(context.Pool(workers, initializer=configure, initargs=(settings,)))
            outputs = pool.imap(make, jobs, chunksize=max(1, min(8, len(jobs) // (4 * workers))))
        for output in outputs:
            results.append(output)
            if progress is not None:
                progress(len(results), len(jobs))
    by_split: dict[str, Puzzles] = {}
    for split, count in counts.items():
        by_split[split] = _stack(results[:count], settings.image_size)
        results = results[count:]
    return by_split


def _stack(results: list, size: int) -> Puzzles:
    n = len(results)
    return Puzzles(
        images=np.array([r[0] for r in results], np.uint8).reshape(n, size, size),
        rules=np.array([r[1] for r in results], np.int8).reshape(n, MAX_COMPONENTS, len(SLOTS)),
        layout_attr=np.array([r[2] for r in results], np.int8).reshape(n, MAX_COMPONENTS),
        matrix_type=np.array([r[3] for r in results], np.int8),
        background=np.array([r[4] for r in results], np.uint8),
    )
