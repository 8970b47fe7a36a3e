"""Exploration: turn synthesizer proposals into new, distinct, evaluated programs.

The engine calls :func:`explore` once per generation to refill the
population. It draws batches from the configured synthesizers in turn (round
robin, so each gets a fair share of the budget and the interleaving is
deterministic), evaluates each program with the domain, and keeps a program
only when its output is new: not equivalent (``domain.key`` to bucket,
``domain.equivalent`` to decide) to any member of the population or to any
program kept earlier in the call.

With ``replace_smaller`` (the seed's behaviour), a program whose output is
equivalent to a member's but whose mass (base productions after expanding
inventions) is smaller replaces that member; the same holds among the new
programs themselves. Everything is counted, so a run's log can say where the
budget went.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import TYPE_CHECKING, Any, Callable, Hashable, Mapping, Sequence

from attrs import field, frozen

from framework.contracts import UsesDomain
from framework.domain import Rejection
from framework.dsl.program import Program, mass

if TYPE_CHECKING:
    import random

    from framework.contracts import Domain, Member, Synthesizer
    from framework.dsl.grammar import Grammar


@frozen
class Found:
    """A new program whose output no member and no earlier find has."""

    program: Program
    output: Any
    key: Hashable
    mass: int
    synthesizer: str


@frozen
class Replacement:
    """A smaller program building an output equivalent to population member ``index``'s."""

    index: int
    old: Program
    new: Found


@frozen
class ExploreStats:
    """Where the budget went. ``rejected`` counts by the domain's reason code."""

    proposed: int
    evaluated: int
    rejected: Mapping[str, int]
    repeats: int  # the very same program proposed again (not evaluated twice)
    duplicates: int  # evaluated, but equivalent to a member or an earlier find
    found: int
    replaced: int
    seconds: float
    proposed_by: Mapping[str, int] = field(factory=dict)
    found_by: Mapping[str, int] = field(factory=dict)

    @property
    def programs_per_second(self) -> float:
        """Programs proposed (and evaluated or skipped) per second of wall time."""
        return self.proposed / self.seconds if self.seconds > 0 else 0.0


@frozen
class ExploreResult:
    """New programs in the order found, replacements by member index, and counts."""

    found: tuple[Found, ...]
    replacements: tuple[Replacement, ...]
    stats: ExploreStats


class _Known:
    """The outputs seen so far, bucketed by key; each entry is a member or a find."""

    __slots__ = ("domain", "buckets")

    def __init__(self, domain: Domain) -> None:
        self.domain = domain
        # key -> list of [output, mass or None (not computed yet), ("member", i) | ("found", j)]
        self.buckets: dict[Hashable, list[list[Any]]] = {}

    def add(self, key: Hashable, output: Any, program_mass: int | None, where: tuple[str, int]) -> None:
        self.buckets.setdefault(key, []).append([output, program_mass, where])

    def match(self, key: Hashable, output: Any) -> list[Any] | None:
        for entry in self.buckets.get(key, ()):
            if self.domain.equivalent(entry[0], output):
                return entry
        return None


def explore(
    domain: Domain,
    grammar: Grammar,
    synthesizers: Sequence[tuple[str, Synthesizer]],
    population: Sequence[Member],
    want: int,
    rng: random.Random,
    budget: int,
    replace_smaller: bool = True,
    progress: Callable[[ExploreStats], None] | None = None,
    exclude: Sequence[Any] = (),
) -> ExploreResult:
    """Draw programs until ``want`` new outputs are found or ``budget`` programs are proposed.

    :param domain: evaluates programs (``evaluate(program, grammar)``) and
        deduplicates outputs (``key``, ``equivalent``).
    :param grammar: the grammar version in force; synthesizers propose in it.
    :param synthesizers: ``(name, synthesizer)`` pairs, drawn from round robin,
        one batch at a time; the name is recorded on each find.
    :param population: current members (``.program``, ``.output``); their
        programs are also handed to the synthesizers (mutation, crossover).
    :param want: how many new programs to keep at most.
    :param rng: the one random source for every synthesizer (deterministic
        under a seed, since batches are drawn in a fixed order).
    :param budget: most programs to draw from the synthesizers in all.
    :param replace_smaller: replace a member (or an earlier find) by a
        program of smaller mass with an equivalent output.
    :param progress: called with the running counts after each batch.
    :param exclude: outputs tried before and dropped (earlier generations'
        discarded candidates): equivalent programs count as duplicates and
        replace nothing.
    """
    if want < 0 or budget < 0:
        raise ValueError(f"want and budget must be >= 0, got want={want}, budget={budget}")
    started = time.perf_counter()
    known = _Known(domain)
    members = list(population)
    for i, member in enumerate(members):
        known.add(domain.key(member.output), member.output, None, ("member", i))
    for i, output in enumerate(exclude):
        known.add(domain.key(output), output, None, ("excluded", i))
    seen: set[Program] = {m.program for m in members}
    programs = [m.program for m in members]
    found: list[Found] = []
    replacements: dict[int, Replacement] = {}
    rejected: Counter[str] = Counter()
    proposed_by: Counter[str] = Counter()
    found_by: Counter[str] = Counter()
    counts = {"proposed": 0, "evaluated": 0, "repeats": 0, "duplicates": 0}

    def stats() -> ExploreStats:
        return ExploreStats(
            rejected=dict(rejected), found=len(found), replaced=len(replacements),
            seconds=time.perf_counter() - started, proposed_by=dict(proposed_by),
            found_by={n: c for n, c in found_by.items() if c}, **counts,
        )

    def mass_of(entry: list[Any]) -> int:
        if entry[1] is None:  # a member: its mass is computed only when it matters
            entry[1] = mass(members[entry[2][1]].program, grammar)
        return entry[1]

    def consider(name: str, program: Program) -> None:
        if program in seen:
            counts["repeats"] += 1
            return
        seen.add(program)
        output = domain.evaluate(program, grammar)
        counts["evaluated"] += 1
        if isinstance(output, Rejection):
            rejected[output.reason] += 1
            return
        key = domain.key(output)
        entry = known.match(key, output)
        if entry is None:
            find = Found(program, output, key, mass(program, grammar), name)
            known.add(key, output, find.mass, ("found", len(found)))
            found.append(find)
            found_by[name] += 1
            return
        counts["duplicates"] += 1
        if not replace_smaller or entry[2][0] == "excluded":
            return
        program_mass = mass(program, grammar)
        if program_mass >= mass_of(entry):
            return
        find = Found(program, output, key, program_mass, name)
        kind, index = entry[2]
        if kind == "member":
            replacements[index] = Replacement(index, members[index].program, find)
        else:
            found_by[found[index].synthesizer] -= 1
            found_by[name] += 1
            found[index] = find
        entry[0], entry[1] = output, program_mass

    for _, synthesizer in synthesizers:
        if isinstance(synthesizer, UsesDomain):
            synthesizer.attach(domain)
    streams = [(name, iter(s.propose(grammar, programs, budget, rng))) for name, s in synthesizers]
    while streams and len(found) < want and counts["proposed"] < budget:
        for name, stream in list(streams):
            batch = next(stream, None)
            if batch is None:
                streams.remove((name, stream))
                continue
            for program in batch[: budget - counts["proposed"]]:
                counts["proposed"] += 1
                proposed_by[name] += 1
                consider(name, program)
                if len(found) >= want:
                    break
            if progress is not None:
                progress(stats())
            if len(found) >= want or counts["proposed"] >= budget:
                break
    return ExploreResult(tuple(found), tuple(replacements[i] for i in sorted(replacements)), stats())
