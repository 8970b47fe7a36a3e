"""The ``behavioural`` synthesizer: search by behaviour, one program per distinct output.

For continuation-passing DSLs (the graph DSL), whose domain exposes its small
steps (:class:`framework.Continuations`). A program there is a chain
of steps ending in a terminator (``identity``); a step is a production with
every argument but the last (the continuation) filled by a small closed
sub-program (productions that are not small steps, such as a recursive
call, are left out). A **prefix** of the chain leaves the machine in a state (graph,
cursor, stack); that state is the prefix's behaviour: prefixes with equal
states (``Continuations.key``) give equal outputs under every completion, so
only the first one found, the smallest, is kept. Each search step runs one
step from a kept state: one domain evaluation, counted against the budget.

The search is two-level, small to large:

* **anchors**, one per distinct output: the empty prefix, then every prefix
  whose closed program (``prefix + terminator``) builds an output no member
  and no earlier find has (``domain.key`` / ``domain.equivalent``). That
  program is proposed; its state becomes an anchor. Anchors are expanded
  smallest first.
* from an anchor, a breadth-first search over added size (up to ``reach``
  productions past the anchor) through states never seen before; a branch
  ends where it builds a new output (that state is a new anchor) or at
  ``reach``.

So every proposal is new when proposed, and the search goes as deep as the
outputs it finds lead, where size-ordered enumeration drowns in programs
that build one node. Sub-programs (``func``'s sub-routine, the probes and
branches of ``if_positions_equal``) are every closed program of at most
``sub_size`` productions.

Population members and earlier proposals count as known outputs, and the
ones whose program is such a chain are anchors too (mutation by extension).
Across calls with the same grammar the synthesizer goes on from what it
proposed and expanded; :meth:`BehaviouralSynthesizer.state` holds exactly
that (program texts, JSON-able), so a restored synthesizer proposes what an
uninterrupted one would. Deterministic: no randomness.

Spec usage::

    [[synthesizers]]
    plugin = "behavioural"
    max_size = 40
    reach = 6
"""

from __future__ import annotations

import heapq
import itertools
import random
from typing import Any, Hashable, Iterator, Mapping, Sequence

from attrs import field, frozen
from attrs.validators import ge, instance_of, le

from framework import Continuations, Domain, Grammar, HasContinuations, Program, Rejection, UsageError, nodes, size
from framework.dsl.heap_search import HeapSearch
from framework.dsl.pcfg import MAX_SIZE_LIMIT, compile_table

Step = tuple[str, tuple[Program, ...]]


@frozen
class BehaviouralOptions:
    """Options of the ``behavioural`` synthesizer.

    ``max_size``: largest program proposed (productions, an invention counting
    as one). ``reach``: how many productions past an anchor a branch may
    grow before it is given up without a new output. ``sub_size``: largest
    sub-program filling a non-continuation argument. ``batch_size``: each
    find is handed to exploration at once; without one, an empty batch after
    this many evaluations lets the other synthesizers take their turn.
    """

    max_size: int = field(default=40, validator=[instance_of(int), ge(2), le(MAX_SIZE_LIMIT)])
    reach: int = field(default=6, validator=[instance_of(int), ge(1)])
    sub_size: int = field(default=2, validator=[instance_of(int), ge(1), le(MAX_SIZE_LIMIT)])
    batch_size: int = field(default=512, validator=[instance_of(int), ge(1)])


class _Shape:
    """A grammar seen as chains of steps: the step productions, the terminators, the moves."""

    def __init__(self, grammar: Grammar, options: BehaviouralOptions, semantics: Continuations) -> None:
        start = grammar.start
        self.steps = [p for p in grammar.by_nonterminal(start)
                      if p.arity and p.arguments[-1] == start and semantics.is_step(p.name)
                      and _continues(grammar, p.name)]
        self.terminators = [p.name for p in grammar.by_nonterminal(start)
                            if p.arity == 0 and semantics.is_step(p.name)]
        if not self.steps or not self.terminators:
            raise UsageError(
                f"the behavioural synthesizer needs a continuation-passing grammar (productions of "
                f"{start!r} whose last argument is the {start!r} to run next, and nullary ones to stop); "
                f"{grammar.source} has {len(self.steps)} step and {len(self.terminators)} stopping production(s)")
        self.step_names = {p.name for p in self.steps}
        table = compile_table(grammar)
        pools: dict[str, list[Program]] = {}
        for production in self.steps:
            for nonterminal in production.arguments[:-1]:
                if nonterminal not in pools:
                    search = HeapSearch(table, options.sub_size, nonterminal)
                    pools[nonterminal] = sorted((p for _, p in search
                                                 if all(semantics.is_step(n.production) for n in nodes(p))), key=size)
        #: (step production, its closed arguments, size of the step), smallest first
        self.moves: list[tuple[str, tuple[Program, ...], int]] = []
        for production in self.steps:
            choices = [pools[n] for n in production.arguments[:-1]]
            for arguments in itertools.product(*choices):
                cost = 1 + sum(size(a) for a in arguments)
                if cost <= options.reach:
                    self.moves.append((production.name, arguments, cost))
        self.moves.sort(key=lambda move: move[2])

    def decompose(self, program: Program) -> tuple[tuple[Step, ...], str] | None:
        """``program`` as (steps, terminator), or None when it is not such a chain."""
        steps, node = [], program
        while node.production in self.step_names:
            steps.append((node.production, node.children[:-1]))
            node = node.children[-1]
        if node.production in self.terminators and not node.children:
            return tuple(steps), node.production
        return None


def _continues(grammar: Grammar, name: str) -> bool:
    """Whether ``name``'s last argument is its continuation (always, for a base production).

    An invention's last hole must occur once, at the end of its body's chain
    of continuations; otherwise it is not a step (it stays usable inside
    sub-programs).
    """
    production = grammar.production(name)
    if production.body is None:
        return True
    last = f"#{production.arity - 1}"
    if sum(1 for n in nodes(production.body) if n.production == last) != 1:
        return False
    node = production.body
    while node.production != last:
        if node.production.startswith("#") or not node.children:
            return False
        inner = grammar.production(node.production)
        if inner.arguments[-1] != production.nonterminal or not _continues(grammar, inner.name):
            return False
        node = node.children[-1]
    return True


def _build(steps: Sequence[Step], terminator: str) -> Program:
    program = Program(terminator)
    for name, arguments in reversed(steps):
        program = Program(name, (*arguments, program))
    return program


class _Known:
    """Outputs known so far, bucketed by ``domain.key``, decided by ``domain.equivalent``."""

    def __init__(self, domain: Domain) -> None:
        self.domain = domain
        self.buckets: dict[Hashable, list[Any]] = {}

    def add_if_new(self, output: Any) -> bool:
        bucket = self.buckets.setdefault(self.domain.key(output), [])
        if any(self.domain.equivalent(o, output) for o in bucket):
            return False
        bucket.append(output)
        return True


class BehaviouralSynthesizer:
    """Search over program prefixes by the machine state they leave; proposes only new outputs."""

    def __init__(self, options: BehaviouralOptions = BehaviouralOptions()) -> None:
        self.options = options
        self._domain: Domain | None = None
        self._fingerprint: str | None = None  # the grammar the proposals below were made under
        self._grammar: Grammar | None = None
        self._proposed: list[Program] = []
        self._expanded: set[Program] = set()
        self._restored: tuple[list[str], list[str]] | None = None  # texts, parsed by the next call
        #: domain evaluations made (steps run), over every call: what benchmarks count
        self.evaluations = 0

    def attach(self, domain: Domain) -> None:
        """Use ``domain``'s small steps (it must expose them: ``continuations(grammar)``)."""
        if not isinstance(domain, HasContinuations):
            raise UsageError(
                f"the behavioural synthesizer needs a domain with continuations(grammar) "
                f"(framework.Continuations); {type(domain).__name__} has none")
        self._domain = domain

    def state(self) -> dict[str, Any]:
        """What was proposed and expanded under the current grammar (program texts)."""
        if self._fingerprint is None:
            return {}
        if self._restored is not None:  # restored, not run since: the same texts
            return {"grammar": self._fingerprint, "proposed": self._restored[0], "expanded": self._restored[1]}
        show = self._grammar.print
        return {"grammar": self._fingerprint, "proposed": [show(p) for p in self._proposed],
                "expanded": sorted(show(p) for p in self._expanded)}

    def restore(self, state: Mapping[str, Any]) -> None:
        """Go on from :meth:`state` when the next call's grammar is the same one."""
        self._proposed, self._expanded = [], set()
        if not state:
            self._fingerprint, self._restored = None, None
            return
        self._fingerprint = state["grammar"]
        self._restored = (list(state["proposed"]), list(state["expanded"]))

    def propose(
        self, grammar: Grammar, population: Sequence[Program], budget: int, rng: random.Random
    ) -> Iterator[list[Program]]:
        """Yield new-output programs in batches, spending at most ``budget`` evaluations.

        ``rng`` is not used: the search is deterministic.
        """
        if self._domain is None:
            raise UsageError("the behavioural synthesizer needs its domain: run it through framework.explore")
        fingerprint = compile_table(grammar).fingerprint()
        if fingerprint != self._fingerprint:  # a new grammar version: start afresh
            self._fingerprint, self._proposed, self._expanded, self._restored = fingerprint, [], set(), None
        elif self._restored is not None:
            texts, expanded = self._restored
            self._proposed = [grammar.parse(t, "behavioural state") for t in texts]
            self._expanded = {grammar.parse(t, "behavioural state") for t in expanded}
            self._restored = None
        self._grammar = grammar
        yield from _Search(self, grammar, population, budget).run()


class _Search:
    """One call's search (state kept on the synthesizer between calls)."""

    def __init__(self, owner: BehaviouralSynthesizer, grammar: Grammar, population: Sequence[Program],
                 budget: int) -> None:
        self.owner = owner
        self.options = owner.options
        self.domain = owner._domain
        self.grammar = grammar
        self.semantics: Continuations = self.domain.continuations(grammar)
        self.shape = _Shape(grammar, owner.options, self.semantics)
        self.budget = budget
        self.spent = 0
        self.known = _Known(self.domain)
        self.closed: set[tuple[Hashable, str]] = set()  # (output key, terminator) already closed
        self.seen: set[Hashable] = set()
        self.anchors: list[tuple[int, int, tuple[Step, ...], Any]] = []
        self.tick = 0
        self.population = population

    def charge(self) -> bool:
        if self.spent >= self.budget:
            return False
        self.spent += 1
        self.owner.evaluations += 1
        return True

    def replay(self, steps: tuple[Step, ...]) -> Any | None:
        """The state ``steps`` leave (charged), or None when the budget or the domain says no."""
        state = self.semantics.initial()
        for name, arguments in steps:
            if not self.charge():
                return None
            state = self.semantics.step(state, name, arguments)
            if isinstance(state, Rejection):
                return None
        return state

    def add_anchor(self, steps: tuple[Step, ...], state: Any) -> None:
        self.seen.add(self.semantics.key(state))
        prefix = _build(steps, self.shape.terminators[0])
        if prefix in self.owner._expanded:
            return
        self.tick += 1
        heapq.heappush(self.anchors, (sum(1 + sum(size(a) for a in args) for _, args in steps),
                                      self.tick, steps, state))

    def run(self) -> Iterator[list[Program]]:
        for program in (*self.population, *self.owner._proposed):
            output = self.domain.evaluate(program, self.grammar)
            if not isinstance(output, Rejection):
                self.known.add_if_new(output)
        self.add_anchor((), self.semantics.initial())
        for program in (*self.population, *self.owner._proposed):
            chain = self.shape.decompose(program)
            if chain is not None and chain[0]:
                state = self.replay(chain[0])
                if state is not None:
                    self.add_anchor(chain[0], state)
        # A find is handed over at once, alone, and counts as proposed once exploration asks
        # for more (so it has taken it): exploration may stop in the middle of a batch.
        last_batch = self.spent
        while self.anchors and self.spent < self.budget:
            anchor_size, _, steps, state = heapq.heappop(self.anchors)
            self.owner._expanded.add(_build(steps, self.shape.terminators[0]))
            for program in self.expand(anchor_size, steps, state):
                if program is not None:
                    yield [program]
                    self.owner._proposed.append(program)
                    last_batch = self.spent
                elif self.spent - last_batch >= self.options.batch_size:
                    yield []  # nothing new yet: the other synthesizers' turn
                    last_batch = self.spent

    def expand(self, anchor_size: int, steps: tuple[Step, ...], state: Any) -> Iterator[Program | None]:
        """Breadth-first by added size from one anchor; yields each find, and None after each evaluation."""
        semantics, options, moves = self.semantics, self.options, self.shape.moves
        room = min(options.reach, options.max_size - 1 - anchor_size)  # the terminator takes one
        levels: list[list[tuple[Any, tuple[Step, ...]]]] = [[] for _ in range(room + 1)]
        levels[0].append((state, ()))
        for depth in range(room):
            for current, added in levels[depth]:
                for name, arguments, cost in moves:
                    if depth + cost > room:
                        break
                    if not self.charge():
                        return
                    following = semantics.step(current, name, arguments)
                    yield None
                    if isinstance(following, Rejection):
                        continue
                    key = semantics.key(following)
                    if key in self.seen:
                        continue
                    self.seen.add(key)
                    path = (*added, (name, arguments))
                    new = self.close(following, (*steps, *path))
                    if new is None:
                        levels[depth + cost].append((following, path))
                    else:
                        self.add_anchor((*steps, *path), following)
                        yield new
            levels[depth] = []

    def close(self, state: Any, steps: tuple[Step, ...]) -> Program | None:
        """The program ``steps + terminator`` if its output is new (the first terminator that gives one)."""
        output_key = self.semantics.output_key(state)
        for terminator in self.shape.terminators:
            if (output_key, terminator) in self.closed:
                continue
            self.closed.add((output_key, terminator))
            output = self.semantics.close(state, terminator)
            if not isinstance(output, Rejection) and self.known.add_if_new(output):
                return _build(steps, terminator)
        return None
