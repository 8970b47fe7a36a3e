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

Every proposal is checked before evaluation (a list for a batch; in it,
programs of the grammar's start type, every production known, every child
of the right type and count). A synthesizer that breaks that, raises, or
overruns its time (``seconds``, ``seconds_by``) is stopped for this call, the
reason kept in :attr:`ExploreStats.stopped`; the other synthesizers go on.

The domain is contained the same way, program by program: a program on which
``evaluate``, ``key``, ``equivalent`` or ``to_graph`` raises (or ``to_graph``
returns no :class:`~framework.PortGraph`) is rejected and counted in
:attr:`ExploreStats.faults`; exploration goes on with the next one.
"""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Callable, Hashable, Iterator, Mapping, Sequence

from attrs import field, frozen

from framework.contracts import Population, Proposal, Scored, UsesDomain
from framework.domain import Rejection
from framework.dsl.program import Program, mass
from framework.errors import FrameworkError
from framework.graph import PortGraph

if TYPE_CHECKING:
    import random

    from framework.contracts import Domain, Member, Synthesizer
    from framework.dsl.grammar import Grammar


@frozen
class Found:
    """A new program whose output no member and no earlier find has."""

    program: Program
    output: Any
    graph: PortGraph  # the domain's to_graph(output)
    key: Hashable
    mass: int
    synthesizer: str
    parent: str | None = None  # the population member's id the synthesizer made it from


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
    #: synthesizer name -> why it was stopped before the call ended (broke the contract, overran)
    stopped: Mapping[str, str] = field(factory=dict)
    #: the domain's failures -> programs rejected for them; one entry per method and exception
    #: type, the message of the first (``"evaluate() raised KeyError: 'x'"``)
    faults: Mapping[str, int] = field(factory=dict)

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
    seconds: float | None = None,
    seconds_by: Mapping[str, float] = {},
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
        replace nothing. A :class:`~framework.Rejection` here or as a
        member's output matches nothing (the domain never sees it).
    :param seconds: wall-clock limit of the whole call (None: none); when it
        runs out, every synthesizer still going is stopped with that reason.
    :param seconds_by: a synthesizer's own limit by name: the time spent
        inside its ``propose`` (drawing its batches) in this call.

    A member may carry ``id`` and ``score`` (its selection score) besides
    ``program`` and ``output``; synthesizers receive them as a
    :class:`~framework.Population`, members in the order given (best first).
    """
    if want < 0 or budget < 0:
        raise ValueError(f"want and budget must be >= 0, got want={want}, budget={budget}")
    started = time.perf_counter()
    known = _Known(domain)
    faults = _Faults()
    members = list(population)
    for where, outputs in (("member", [m.output for m in members]), ("excluded", exclude)):
        for i, output in enumerate(outputs):
            if isinstance(output, Rejection):  # no output (the domain rejects it now): nothing can match it
                continue
            try:
                known.add(domain.key(output), output, None, (where, i))
            except Exception as exc:  # noqa: BLE001 - not matched against, so an equivalent program is new
                faults.add(_DomainFault("key", exc))
    seen: set[Program] = {m.program for m in members}
    found: list[Found] = []
    replacements: dict[int, Replacement] = {}
    rejected: Counter[str] = Counter()
    proposed_by: Counter[str] = Counter()
    found_by: Counter[str] = Counter()
    counts = {"proposed": 0, "evaluated": 0, "repeats": 0, "duplicates": 0}
    stopped: dict[str, str] = {}

    def stats() -> ExploreStats:
        return ExploreStats(
            rejected=dict(rejected), found=len(found), replaced=len(replacements),
            seconds=time.perf_counter() - started, proposed_by=dict(proposed_by),
            found_by={n: c for n, c in found_by.items() if c}, stopped=dict(stopped), faults=dict(faults.counts),
            **counts,
        )

    def mass_of(entry: list[Any]) -> int:
        if entry[1] is None:  # a member: its mass is computed only when it matters
            entry[1] = mass(members[entry[2][1]].program, grammar)
        return entry[1]

    def consider(name: str, program: Program, parent: str | None) -> None:
        if program in seen:
            counts["repeats"] += 1
            return
        seen.add(program)
        counts["evaluated"] += 1
        stage = "evaluate"  # the domain method running, should it raise (one try: this is the hot loop)
        try:
            output = domain.evaluate(program, grammar)
            if isinstance(output, Rejection):
                rejected[output.reason] += 1
                return
            stage = "key"
            key = domain.key(output)
            stage = "equivalent"
            entry = known.match(key, output)
            # the mass of a find, or of a smaller program building a known output; None: a plain duplicate
            program_mass = None
            if entry is None or replace_smaller and entry[2][0] != "excluded":
                program_mass = mass(program, grammar)
                if entry is not None and program_mass >= mass_of(entry):
                    program_mass = None
            stage = "to_graph"
            graph = None if program_mass is None else _graph(domain, output)
        except _DomainFault as fault:
            faults.add(fault)
            return
        except Exception as exc:  # noqa: BLE001 - the domain's failure on one program, contained
            faults.add(_DomainFault(stage, exc))
            return
        if entry is not None:
            counts["duplicates"] += 1
        if program_mass is None:
            return
        find = Found(program, output, graph, key, program_mass, name, parent)
        if entry is None:
            known.add(key, output, program_mass, ("found", len(found)))
            found.append(find)
            found_by[name] += 1
            return
        kind, index = entry[2]
        if kind == "member":
            replacements[index] = Replacement(index, members[index].program, find)
        else:
            found_by[found[index].synthesizer] -= 1
            found_by[name] += 1
            found[index] = find
        entry[0], entry[1] = output, program_mass

    scored = Population([Scored(m.program, getattr(m, "id", None), getattr(m, "score", None)) for m in members])
    ids = {m.id for m in scored.scored if m.id is not None}
    checker = _Checker(grammar)
    deadline = None if seconds is None else started + seconds
    streams: list[_Stream] = []
    for name, synthesizer in synthesizers:
        stream = _Stream(name, seconds_by.get(name))
        try:
            if isinstance(synthesizer, UsesDomain):
                synthesizer.attach(domain)
            with _time_limit(stream.left(deadline)):
                stream.iterator = iter(synthesizer.propose(grammar, scored, budget, rng))
        except _Overran:
            stopped[name] = stream.overran(seconds, deadline)
        except Exception as exc:  # noqa: BLE001 - a plugin's failure, contained to this synthesizer
            stopped[name] = f"propose() raised {type(exc).__name__}: {exc}"
        else:
            streams.append(stream)
    while streams and len(found) < want and counts["proposed"] < budget:
        for stream in list(streams):
            name = stream.name
            try:
                batch = stream.next_batch(deadline)
                if batch is None:
                    streams.remove(stream)
                    continue
                proposals = [checker.checked(item, ids) for item in batch[: budget - counts["proposed"]]]
            except _Overran:
                stopped[name] = stream.overran(seconds, deadline)
                streams.remove(stream)
                continue
            except _Broken as exc:
                stopped[name] = str(exc)
                streams.remove(stream)
                continue
            except Exception as exc:  # noqa: BLE001 - a plugin's failure, contained to this synthesizer
                stopped[name] = f"propose() raised {type(exc).__name__}: {exc}"
                streams.remove(stream)
                continue
            for program, parent in proposals:
                counts["proposed"] += 1
                proposed_by[name] += 1
                consider(name, program, parent)
                if len(found) >= want:
                    break
            if progress is not None:
                progress(stats())
            if len(found) >= want or counts["proposed"] >= budget:
                break
    return ExploreResult(tuple(found), tuple(replacements[i] for i in sorted(replacements)), stats())


class _DomainFault(Exception):
    """The domain raised (or returned no PortGraph from ``to_graph``) on one program."""

    def __init__(self, method: str, exc: Exception | None, message: str = "") -> None:
        self.group = (method, type(exc).__name__ if exc is not None else "")
        self.message = message or f"{method}() raised {type(exc).__name__}: {exc}"
        super().__init__(self.message)


class _Faults:
    """The domain's faults by method and exception type, each group named by its first message."""

    def __init__(self) -> None:
        self.names: dict[tuple[str, str], str] = {}
        self.counts: Counter[str] = Counter()

    def add(self, fault: _DomainFault) -> None:
        self.counts[self.names.setdefault(fault.group, _clipped(fault.message, 160))] += 1


def _graph(domain: Domain, output: Any) -> PortGraph:
    graph = domain.to_graph(output)
    if not isinstance(graph, PortGraph):
        raise _DomainFault("to_graph", None, f"to_graph() returned a {type(graph).__name__} where a "
                                             "framework.PortGraph is expected")
    return graph


class _Broken(FrameworkError):
    """A synthesizer broke the proposal contract (the message says how)."""


class _Overran(BaseException):
    """Raised inside a synthesizer's ``propose`` when its time ran out (a BaseException, so
    a synthesizer's own ``except Exception`` does not swallow it)."""


_DONE = object()  # what next() returns for a finished synthesizer (None would be a yielded None)


class _Stream:
    """One synthesizer's batches, with the time it has spent producing them."""

    def __init__(self, name: str, seconds: float | None) -> None:
        self.name, self.seconds, self.spent = name, seconds, 0.0
        self.iterator: Iterator[Any] = iter(())

    def left(self, deadline: float | None) -> float | None:
        """Seconds until this synthesizer's own limit or the call's deadline, whichever is first."""
        limits = []
        if self.seconds is not None:
            limits.append(self.seconds - self.spent)
        if deadline is not None:
            limits.append(deadline - time.perf_counter())
        return min(limits) if limits else None

    def next_batch(self, deadline: float | None) -> list[Any] | None:
        """The next batch (checked to be a list), None when the synthesizer is done."""
        left = self.left(deadline)
        if left is not None and left <= 0:
            raise _Overran
        started = time.perf_counter()
        try:
            with _time_limit(left):
                batch = next(self.iterator, _DONE)
        finally:
            self.spent += time.perf_counter() - started
        if batch is _DONE:
            return None
        if not isinstance(batch, (list, tuple)):
            raise _Broken(f"yielded a {type(batch).__name__} ({_short(batch)}) where a list of programs is expected")
        return batch

    def overran(self, seconds: float | None, deadline: float | None) -> str:
        if self.seconds is not None and self.spent >= self.seconds - 1e-3:
            return f"exceeded its explore_seconds ({self.seconds:g} s)"
        return f"stopped when population.explore_seconds ({seconds:g} s) ran out"


def _short(value: Any) -> str:
    return _clipped(repr(value), 60)


def _clipped(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


class _Checker:
    """Checks proposals against one grammar, remembering the type of every subtree it passed:
    synthesizers build programs from shared subtrees (heap search from earlier programs,
    mutation from members), so a proposal usually costs a lookup or two."""

    def __init__(self, grammar: Grammar) -> None:
        self.grammar = grammar
        self.signature = {p.name: (p.nonterminal, p.arguments) for p in grammar.productions.values()}
        self.typed: dict[Program, str] = {}

    def checked(self, item: Any, ids: set[str]) -> tuple[Program, str | None]:
        """``(program, parent)`` of one proposed item; :class:`_Broken` unless it is a well-typed
        program of the grammar's start type (or a :class:`Proposal` of one, naming a member)."""
        parent = None
        if isinstance(item, Proposal):
            item, parent = item.program, item.parent
            if parent is not None and parent not in ids:
                raise _Broken(f"named parent {parent!r}, which is not a member of the population")
        if not isinstance(item, Program):
            raise _Broken(f"proposed a {type(item).__name__} ({_short(item)}) where a Program is expected")
        try:
            valid = self._type(item) == self.grammar.start
        except RecursionError:  # deeper than Python's stack: the grammar's iterative check decides
            valid = False
        if not valid:
            try:
                self.grammar.check(item)  # the precise reason (and the verdict on a very deep program)
            except Exception as exc:  # noqa: BLE001 - a malformed tree (children not programs) too
                raise _Broken(f"proposed a program that is not in the grammar ({_short(item)}): {exc}") from None
        return item, parent

    def _type(self, node: Any) -> str | None:
        """The nonterminal ``node`` builds, None when it is no well-typed program."""
        if not isinstance(node, Program):
            return None
        known = self.typed.get(node)
        if known is not None:
            return known
        signature = self.signature.get(node.production)
        if signature is None or len(node.children) != len(signature[1]):
            return None
        for child, expected in zip(node.children, signature[1]):
            if self._type(child) != expected:
                return None
        self.typed[node] = signature[0]
        return signature[0]


@contextmanager
def _time_limit(seconds: float | None) -> Iterator[None]:
    """Raise :class:`_Overran` in the block after ``seconds`` (None: no limit).

    A SIGALRM timer, so a synthesizer that never yields is interrupted too;
    outside the main thread (no signals there) the limit is checked between
    batches only.
    """
    if seconds is None or threading.current_thread() is not threading.main_thread():
        yield
        return

    def overran(_signum: int, _frame: Any) -> None:
        raise _Overran

    previous = signal.signal(signal.SIGALRM, overran)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 1e-3))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
