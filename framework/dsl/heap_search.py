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

import heapq
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
    """

    def __init__(self, table: ProductionTable, max_size: int, nonterminal: str | None = None) -> None:
        self._sizes = SizeTable(table, max_size)
        self._width = max_size + 1
        self._rules = table.rules
        self._rule_logprob = {name: lp for rules in table.rules for (name, lp, _) in rules}
        # per class id (nonterminal * width + size): its heap, None until first asked
        self._heaps: list[list | None] = [None] * (len(table.nonterminals) * self._width)
        # program -> (logprob, class id); doubles as the seen-table
        self._info: dict[Program, tuple[float, int]] = {}
        # program -> next program of the same class (None: it was the last)
        self._succ: dict[object, Program | None] = {}
        self._tick = 0  # insertion counter: deterministic tie-breaking
        start = table.index(nonterminal)
        best = self._sizes.best[start]
        # top-level heap: (-logprob, tick, class id, program or None for "not started")
        self._top = []
        for size in range(1, self._width):
            if best[size] != NEG_INF:
                self._top.append((-best[size], self._next_tick(), start * self._width + size, None))
        heapq.heapify(self._top)
        self.yielded = 0

    def _next_tick(self) -> int:
        self._tick += 1
        return self._tick

    def __iter__(self) -> Iterator[tuple[float, Program]]:
        return self

    def __next__(self) -> tuple[float, Program]:
        top = self._top
        while top:
            neg, tick, cls, program = top[0]
            if program is None:  # first program of this class: now it is needed
                first = self._successor(cls, cls)
                heapq.heapreplace(top, (-self._info[first][0], tick, cls, first))
                continue
            following = self._successor(cls, program)
            if following is None:
                heapq.heappop(top)
            else:
                heapq.heapreplace(top, (-self._info[following][0], self._next_tick(), cls, following))
            self.yielded += 1
            return -neg, program
        raise StopIteration

    def _successor(self, cls: int, program: object) -> Program | None:
        """The program after ``program`` in class ``cls`` (``program = cls`` asks for the first).

        ``program`` is always either already in the successor table or the
        class's most recent pop, so popping the class heap gives its successor.
        """
        succ = self._succ
        found = succ.get(program, _MISSING)
        if found is not _MISSING:
            return found
        heap = self._heaps[cls]
        if heap is None:
            heap = self._heaps[cls] = self._placeholders(cls)
        info = self._info
        while heap:
            neg, tick, item = heapq.heappop(heap)
            if item.__class__ is tuple:  # placeholder: (rule name, argument classes)
                name, classes = item
                children = tuple(self._successor(c, c) for c in classes)
                built = Program(name, children)
                logprob = self._logprob(name, children)
                info[built] = (logprob, cls)
                if logprob != -neg:  # cannot happen (SizeTable is exact); stay correct anyway
                    heapq.heappush(heap, (-logprob, self._next_tick(), built))
                    continue
                item = built
            succ[program] = item
            self._push_neighbours(heap, item)
            return item
        succ[program] = None
        return None

    def _push_neighbours(self, heap: list, program: Program) -> None:
        """Push every program made from ``program`` by advancing one child in its class."""
        info = self._info
        succ = self._succ
        children = program.children
        name = program.production
        for i, child in enumerate(children):
            child_lp, child_cls = info[child]
            following = succ.get(child, _MISSING)
            if following is _MISSING:
                following = self._successor(child_cls, child)
            if following is None:
                continue
            replaced = children[:i] + (following,) + children[i + 1:]
            candidate = Program(name, replaced)
            if candidate in info:
                continue
            logprob = self._logprob(name, replaced)
            info[candidate] = (logprob, info[program][1])
            self._tick += 1
            heapq.heappush(heap, (-logprob, self._tick, candidate))

    def _logprob(self, name: str, children: tuple[Program, ...]) -> float:
        """``rule + child_1 + child_2 + ...``, accumulated left to right like SizeTable.best."""
        value = self._rule_logprob[name]
        info = self._info
        for child in children:
            value += info[child][0]
        return value

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
                heap.append((-key, self._next_tick(), (name, classes)))
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
