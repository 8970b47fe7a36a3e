"""The ``enumerative`` synthesizer: heap search, most probable programs first.

Proposes every program of the grammar up to ``max_size`` nodes exactly once,
in non-increasing probability under the grammar's PCFG (heap search,
Fijalkow et al., AAAI 2022; :class:`framework.HeapSearch`). Deterministic:
the same grammar gives the same sequence.

Across calls it continues where it stopped as long as the grammar (its
productions and weights) is unchanged, and restarts on a new grammar version:
the order depends on the weights, and a program seen under the old version is
the explorer's business to skip (it dedupes by output). For checkpoints,
:meth:`EnumerativeSynthesizer.state` says where it stands (JSON-able) and
:meth:`~EnumerativeSynthesizer.restore` puts a fresh synthesizer back there,
so a resumed run proposes what an uninterrupted one would.

With ``prune`` (the default) the domain's rewrite rules (``rewrite_rules()``,
when it has them) are compiled into the grammar first
(:func:`framework.dsl.rules.sharpen`): the enumeration is then the plain one
with every program containing a redundant pattern left out (same order of
probability).

Spec usage::

    [[synthesizers]]
    plugin = "enumerative"
    max_size = 20
"""

from __future__ import annotations

import random
import time
from typing import Any, Iterator, Mapping, Sequence

from attrs import field, frozen
from attrs.validators import ge, gt, instance_of, le, optional

from framework import Domain, Grammar, HasRewriteRules, Program
from framework.dsl.heap_search import HeapSearch
from framework.dsl.pcfg import MAX_SIZE_LIMIT, ProductionTable, compile_table
from framework.dsl.rules import Rule, parse_rules, sharpen


@frozen
class EnumerativeOptions:
    """Options of the ``enumerative`` synthesizer.

    ``max_size``: largest program (nodes, an invention counting as one).
    ``batch_size``: programs per batch handed to the explorer.
    ``time_limit``: optional wall-clock seconds per call, on top of the
    engine's program budget (checked between batches, so a call may overrun
    by one batch; with a time limit the count of programs is no longer
    deterministic, their order still is).
    ``prune``: leave out programs containing a left side of the domain's
    rewrite rules (they have an equivalent smaller program).
    """

    max_size: int = field(default=20, validator=[instance_of(int), ge(1), le(MAX_SIZE_LIMIT)])
    batch_size: int = field(default=512, validator=[instance_of(int), ge(1)])
    time_limit: float | None = field(default=None, validator=optional(gt(0)))
    prune: bool = field(default=True, validator=instance_of(bool))


class EnumerativeSynthesizer:
    """Heap search that resumes across calls while the grammar stays the same."""

    def __init__(self, options: EnumerativeOptions = EnumerativeOptions()) -> None:
        self.options = options
        self._table: ProductionTable | None = None
        self._search: HeapSearch | None = None
        self._resume: tuple[str, int] | None = None  # (grammar fingerprint, programs to skip)
        self._rules: tuple[Rule, ...] = ()

    def attach(self, domain: Domain) -> None:
        """Take the domain's rewrite rules (with ``prune``; none when it declares none)."""
        if self.options.prune and isinstance(domain, HasRewriteRules):
            self._rules = parse_rules(domain.rewrite_rules())

    def state(self) -> dict[str, Any]:
        """Where the enumeration stands: the grammar's fingerprint and the programs taken."""
        if self._search is None or self._table is None:
            return {}
        return {"grammar": self._table.fingerprint(), "position": self._search.yielded}

    def restore(self, state: Mapping[str, Any]) -> None:
        """Continue from :meth:`state` on the next call, if that call's grammar is the same one."""
        self._table = self._search = None
        self._resume = (state["grammar"], int(state["position"])) if state else None

    def propose(
        self, grammar: Grammar, population: Sequence[Program], budget: int, rng: random.Random
    ) -> Iterator[list[Program]]:
        """Yield the next ``budget`` programs of the enumeration, in batches.

        ``population`` and ``rng`` are not used: the order is the PCFG's.
        """
        table = sharpen(compile_table(grammar), self._rules)
        if self._search is None or table != self._table:
            self._table, self._search = table, HeapSearch(table, self.options.max_size)
            if self._resume is not None and self._resume[0] == table.fingerprint():
                _skip(self._search, self._resume[1])
            self._resume = None
        search = self._search
        deadline = None if self.options.time_limit is None else time.monotonic() + self.options.time_limit
        left = budget
        while left > 0:
            batch = [program for _, program in search.take(min(self.options.batch_size, left))]
            if not batch:
                return
            left -= len(batch)
            yield batch
            if deadline is not None and time.monotonic() >= deadline:
                return


def _skip(search: HeapSearch, count: int) -> None:
    """Advance ``search`` by ``count`` programs (replaying a checkpointed position)."""
    while count > 0:
        taken = len(search.take(min(count, 65536)))
        if not taken:
            return
        count -= taken
