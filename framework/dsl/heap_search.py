"""Heap search: every program of a PCFG up to a size, most probable first, each once.

Fijalkow, Lagarde, Matricon, Ellis, Ohlmann, Potta, "Scaling Neural Program
Synthesis with Distribution-based Search", AAAI 2022, section 4.

The grammar is split into classes ``(nonterminal, exact size)``. A class's
programs are produced lazily in non-increasing probability by a heap: when the
top ``q`` is popped, the programs that differ from ``q`` by replacing one
child with that child's successor in its own class are pushed (each program
once, via a seen-table). The successor of a program in its class is recorded,
so a child's successor costs one dict lookup after the first time. Classes
fix sizes, so the size limit is exact and complete: no program within it is
skipped, none outside it is built. A top-level heap merges the start
nonterminal's classes.

Work is lazy: a class's heap starts with one placeholder per way of splitting
its size among a rule's arguments, keyed by the best probability such a split
can reach (:class:`~framework.dsl.pcfg.SizeTable`, exact to the bit), and
builds the program only when the placeholder reaches the top.

The loop builds :class:`~framework.dsl.program.Program` objects directly and
never touches text, Lark or attrs.
"""

from __future__ import annotations

import gc
import heapq
import itertools
from typing import Iterator

from framework.dsl.pcfg import NEG_INF, ProductionTable, SizeTable
from framework.dsl.program import Program

_MISSING = object()


class HeapSearch:
    """Iterator of ``(logprob, program)`` pairs in non-increasing ``logprob``.

    Yields every program of ``nonterminal`` (the grammar's start when
    ``None``) with at most ``max_size`` nodes exactly once, then stops.
    Deterministic: ties come out in a fixed order that depends only on the
    table. Holds every program it has built, so memory grows with the number
    yielded.

    Every program built here is canonical (one object per distinct program:
    children always come from the classes' successor chains), so the tables
    are keyed by ``id(program)`` and each class's seen-table by ``(production,
    child ids)``: int tuples hash in C, where ``Program.__hash__`` is a Python call.
    """

    def __init__(self, table: ProductionTable, max_size: int, nonterminal: str | None = None) -> None:
        self._sizes = SizeTable(table, max_size)
        self._width = max_size + 1
        self._rules = table.rules
        self._rule_logprob = {name: lp for rules in table.rules for (name, lp, _) in rules}
        # per class id (nonterminal * width + size): its heap, None until first asked
        self._heaps: list[list | None] = [None] * (len(table.nonterminals) * self._width)
        # id(program) -> (logprob, class id, program); holds every program built
        self._info: dict[int, tuple[float, int, Program]] = {}
        # id(program) -> next program of its class (None: it was the last);
        # the key -1 - class holds the class's first program
        self._succ: dict[int, Program | None] = {}
        # per class id: (production, child ids) of the programs with two or more
        # children pushed so far (a unary program has one predecessor, so needs
        # none). Per class, because one production over the same children can
        # belong to two classes when a table splits a nonterminal by context
        # (framework.dsl.rules.sharpen).
        self._seen: list[set[tuple[str, tuple[int, ...]]] | None] = [None] * len(self._heaps)
        self._tick = 0  # insertion counter: deterministic tie-breaking
        start = table.index(nonterminal)
        best = self._sizes.best[start]
        # top-level heap: (-logprob, tick, class id, program or None for "not started")
        self._top = []
        for size in range(1, self._width):
            if best[size] != NEG_INF:
                self._tick += 1
                self._top.append((-best[size], self._tick, start * self._width + size, None))
        heapq.heapify(self._top)
        self.yielded = 0

    def __iter__(self) -> Iterator[tuple[float, Program]]:
        return self

    def take(self, count: int) -> list[tuple[float, Program]]:
        """The next ``count`` pairs (fewer once the search is exhausted), built with the GC paused.

        The search creates no reference cycles, but its tables grow with
        every program, and the cyclic collector's passes over them would
        otherwise cost a good part of the time. Collection resumes (if it was
        on) before this returns.
        """
        enabled = gc.isenabled()
        gc.disable()
        try:
            return list(itertools.islice(self, count))
        finally:
            if enabled:
                gc.enable()

    def __next__(self) -> tuple[float, Program]:
        top = self._top
        while top:
            neg, tick, cls, program = top[0]
            if program is None:  # first program of this class: now it is needed
                first = self._first(cls)  # a deeper class may have asked for it already
                heapq.heapreplace(top, (-self._info[id(first)][0], tick, cls, first))
                continue
            following = self._succ.get(id(program), _MISSING)
            if following is _MISSING:
                following = self._successor(cls, id(program))
            if following is None:
                heapq.heappop(top)
            else:
                self._tick += 1
                heapq.heapreplace(top, (-self._info[id(following)][0], self._tick, cls, following))
            self.yielded += 1
            return -neg, program
        raise StopIteration

    def _successor(self, cls: int, key: int) -> Program | None:
        """The program after the one with ``id`` ``key`` in class ``cls`` (``-1 - cls``: the first).

        That program is always the class's most recent pop (an older one
        already has its successor recorded), so the heap's top is the answer.
        """
        heap = self._heaps[cls]
        if heap is None:
            heap = self._heaps[cls] = self._placeholders(cls)
            self._seen[cls] = set()
        info, succ = self._info, self._succ
        while heap:
            neg, tick, item = heapq.heappop(heap)
            if item.__class__ is tuple:  # placeholder: (rule name, argument classes)
                name, classes = item
                children = tuple(self._first(c) for c in classes)
                built = Program(name, children)
                logprob = self._rule_logprob[name]
                for child in children:
                    logprob += info[id(child)][0]
                info[id(built)] = (logprob, cls, built)
                if logprob != -neg:  # cannot happen (SizeTable is exact); stay correct anyway
                    heapq.heappush(heap, (-logprob, tick, built))
                    continue
                item = built
            succ[key] = item
            self._push_neighbours(heap, item, cls)
            return item
        succ[key] = None
        return None

    def _first(self, cls: int) -> Program:
        """The most probable program of a non-empty class."""
        first = self._succ.get(-1 - cls, _MISSING)
        if first is _MISSING:
            first = self._successor(cls, -1 - cls)
        return first

    def _push_neighbours(self, heap: list, program: Program, cls: int) -> None:
        """Push every program made from ``program`` by advancing one child in its class.

        Left-to-right accumulation of the log-probability (rule, then each
        child) keeps it bit-identical to :attr:`SizeTable.best`.
        """
        children = program.children
        if not children:
            return
        info, succ = self._info, self._succ
        name = program.production
        rule_logprob = self._rule_logprob[name]
        if len(children) == 1:
            key = id(children[0])
            following = succ.get(key, _MISSING)
            if following is _MISSING:
                following = self._successor(info[key][1], key)
            if following is None:
                return
            candidate = Program(name, (following,))
            logprob = rule_logprob + info[id(following)][0]
            info[id(candidate)] = (logprob, cls, candidate)
            self._tick += 1
            heapq.heappush(heap, (-logprob, self._tick, candidate))
            return
        seen = self._seen[cls]
        ids = tuple(map(id, children))
        for i, key in enumerate(ids):
            following = succ.get(key, _MISSING)
            if following is _MISSING:
                following = self._successor(info[key][1], key)
            if following is None:
                continue
            new_ids = (*ids[:i], id(following), *ids[i + 1:])
            if (name, new_ids) in seen:
                continue
            seen.add((name, new_ids))
            logprob = rule_logprob
            for child in new_ids:
                logprob += info[child][0]
            candidate = Program(name, (*children[:i], following, *children[i + 1:]))
            info[id(candidate)] = (logprob, cls, candidate)
            self._tick += 1
            heapq.heappush(heap, (-logprob, self._tick, candidate))

    def _placeholders(self, cls: int) -> list:
        """The initial heap of class ``cls``: one entry per rule and split of the size.

        Each entry is keyed by the best log-probability of a program with that
        rule and split, computed from the size table (the program itself is
        built only when the entry reaches the top).
        """
        width = self._width
        x, size = divmod(cls, width)
        best = self._sizes.best
        heap = []
        for name, logprob, args in self._rules[x]:
            for key, classes in _splits(args, size - 1, logprob, best, width):
                self._tick += 1
                heap.append((-key, self._tick, (name, classes)))
        heapq.heapify(heap)
        return heap


def _splits(args, budget, logprob, best, width):
    """Every split of ``budget`` nodes among ``args`` whose classes are all non-empty.

    Yields ``(key, argument classes)``, ``key`` accumulated left to right
    from ``logprob``. Splits that cannot be completed are pruned with the
    prefix table read backwards (a suffix with no program stops the branch).
    """
    k = len(args)
    if k == 0:
        if budget == 0:
            yield logprob, ()
        return
    # feasible[i][b]: args[i:] can use exactly b nodes
    feasible = [[False] * (budget + 1) for _ in range(k + 1)]
    feasible[k][0] = True
    for i in range(k - 1, -1, -1):
        arg_best = best[args[i]]
        for b in range(1, budget + 1):
            feasible[i][b] = any(
                arg_best[part] != NEG_INF and feasible[i + 1][b - part] for part in range(1, b + 1)
            )
    if not feasible[0][budget]:
        return
    classes: list[int] = []

    def walk(i: int, left: int, key: float):
        if i == k:
            yield key, tuple(classes)
            return
        arg, arg_best = args[i], best[args[i]]
        for part in range(1, left + 1):
            if arg_best[part] != NEG_INF and feasible[i + 1][left - part]:
                classes.append(arg * width + part)
                yield from walk(i + 1, left - part, key + arg_best[part])
                classes.pop()

    yield from walk(0, budget, logprob)
