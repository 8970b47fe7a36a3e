"""The ``stitch`` library learner: top-down abstraction learning with stitch-core.

Paper: Bowers et al., "Top-Down Synthesis for Library Learning" (POPL 2023,
arXiv 2211.16605); the G-SSNN seed (arXiv 2303.03340) grew its graph DSL
with it between generations. Programs go to stitch as s-expressions, the
abstractions it finds come back as new productions (``inventions.py``: made
first-order and typed, deduplicated against the grammar's inventions by
expanded body, given fresh ``inv_k`` names) and the programs come back
rewritten to use them.

Inventions already in the input programs are passed to stitch as opaque
symbols: stitch may build on them (a new body may call ``inv_3``) and never
has to rediscover them; a rediscovery of an existing invention's meaning
(same expanded body, arguments possibly permuted) is mapped back onto it.

Spec usage::

    library = {plugin = "stitch", iterations = 3, max_arity = 2}
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from attrs import field, frozen
from attrs.validators import ge, gt, instance_of, le

from framework import FrameworkError, LibraryResult, Program, ProgramError, depth, size

from .inventions import Abstraction, translate
from .sexpr import to_sexpr

if TYPE_CHECKING:
    from framework import Grammar


#: The largest ``max_depth`` an option may set (the translation back recurses per level).
MAX_DEPTH = 200


@frozen
class StitchOptions:
    """Options of the ``stitch`` library learner.

    ``iterations``: at most this many inventions per call (stitch stops early
    when nothing compresses). ``max_arity``: most arguments an invention may
    take. ``threads``: stitch's worker threads (1 keeps ties deterministic).
    ``structure_penalty``: DreamCoder's penalty per symbol of an invention's
    body (higher: fewer, more useful inventions). ``allow_single_task``: also
    learn inventions that only one program uses. ``max_depth``: deepest program
    accepted (at most 200): stitch's work grows steeply with depth (two programs
    3000 deep ran for minutes at 1.2 GB) and translating its inventions back
    recurses once per level, so deeper input is refused at once.
    """

    iterations: int = field(default=3, validator=[instance_of(int), ge(1)])
    max_arity: int = field(default=2, validator=[instance_of(int), ge(0)])
    threads: int = field(default=1, validator=[instance_of(int), ge(1)])
    structure_penalty: float = field(default=1.0, converter=float, validator=gt(0.0))
    allow_single_task: bool = field(default=False, validator=instance_of(bool))
    max_depth: int = field(default=100, validator=[instance_of(int), ge(1), le(MAX_DEPTH)])


class StitchLearner:
    """Compresses programs with stitch-core; see the module docstring."""

    def __init__(self, options: StitchOptions = StitchOptions()) -> None:
        self.options = options

    def compress(self, grammar: Grammar, programs: Sequence[Program]) -> LibraryResult:
        """Learn inventions from ``programs`` and rewrite them; meaning is preserved.

        Raises :class:`~framework.FrameworkError` for programs that do not
        belong to ``grammar`` and when stitch-core fails.
        """
        programs = tuple(programs)
        for index, program in enumerate(programs):
            try:
                self.check(program)
            except ProgramError as exc:
                raise ProgramError(f"program {index}: {exc}") from None
        if not programs:
            return LibraryResult(grammar, programs, (), 1.0)
        abstractions, rewritten = self._run(_stitch_texts(grammar, programs))
        if not abstractions:
            return LibraryResult(grammar, programs, (), 1.0)
        inventions, new_programs, _ = translate(grammar, abstractions, rewritten)
        new_grammar = grammar.with_inventions(inventions) if inventions else grammar
        ratio = sum(map(stitch_cost, programs)) / sum(map(stitch_cost, new_programs))
        return LibraryResult(new_grammar, new_programs, inventions, ratio)

    def check(self, program: Program) -> None:
        """Refuse a program deeper than ``max_depth``, before any work (see :class:`StitchOptions`)."""
        levels = depth(program)
        if levels > self.options.max_depth:
            raise ProgramError(f"{levels} levels deep, deeper than the stitch learner's max_depth "
                               f"{self.options.max_depth} (option max_depth, at most {MAX_DEPTH})")

    def _run(self, texts: list[str]) -> tuple[list[Abstraction], list[str]]:
        import stitch_core

        options = self.options
        try:
            result = stitch_core.compress(
                texts,
                iterations=options.iterations,
                max_arity=options.max_arity,
                threads=options.threads,
                # first-order inventions: holes stand for whole subtrees
                no_curried_metavars=True,
                no_curried_bodies=True,
                # stitch's self-check of its utility estimate panics on nested uses of a
                # multi-use abstraction such as (func #0 #0) (the class of mlb2251/stitch#104);
                # the rewrite itself is sound: it expands back to the input (tested)
                no_mismatch_check=True,
                structure_penalty=repr(options.structure_penalty),
                allow_single_task=options.allow_single_task,
            )
        except stitch_core.StitchException as exc:
            raise FrameworkError(f"stitch-core failed on {len(texts)} programs: {exc}") from None
        abstractions = [Abstraction(a.name, a.body, a.arity) for a in result.abstractions]
        return abstractions, result.rewritten


def stitch_cost(program: Program) -> int:
    """Stitch's cost of a first-order program: 100 per symbol, 1 per application.

    A node with ``k`` children is ``k`` curried applications, so a program
    of ``n`` nodes costs ``100 n + (n - 1)``.
    """
    return 101 * size(program) - 1


def _stitch_texts(grammar: Grammar, programs: Sequence[Program]) -> list[str]:
    """The stitch text of each program; a program outside ``grammar`` is refused by index."""
    signatures = {name: (p.nonterminal, p.arguments) for name, p in grammar.productions.items()}
    texts = []
    for index, program in enumerate(programs):
        text = to_sexpr(program, signatures, grammar.start)
        if text is None:
            try:
                grammar.check(program)
            except ProgramError as exc:
                raise ProgramError(f"program {index} ({program!r}): {exc}") from None
            raise AssertionError(f"to_sexpr refused {program!r}, which the grammar accepts")
        texts.append(text)
    return texts


def make_stitch_learner(options: StitchOptions = StitchOptions()) -> StitchLearner:
    """The ``stitch`` plugin's factory."""
    return StitchLearner(options)
