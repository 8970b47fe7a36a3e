"""The ``stochastic`` synthesizer: PCFG sampling, subtree mutation and crossover.

Each proposal is, by the configured rates, one of

* a fresh sample from the grammar's PCFG at ``temperature``, conditioned on
  at most ``max_size`` nodes (exact, see :func:`framework.sample_program`);
* a mutation of a population member: a node chosen uniformly is replaced by
  a fresh sample of the same nonterminal that keeps the program within
  ``max_size``;
* a crossover of two members: a non-root node of the first is replaced by a
  different subtree of the second of the same nonterminal, chosen uniformly
  among the pairs that keep the program within ``max_size``.

Every result is a well-typed program of the grammar, yielded as a
``framework.Proposal`` whose ``parent`` is the id of the member it was made
from (the first one for a crossover; None for a fresh sample). Deterministic
under the ``rng`` the engine passes. With an empty population every proposal
is a fresh sample.

Spec usage::

    [[synthesizers]]
    plugin = "stochastic"
    temperature = 1.5
    mutation_rate = 0.4
    crossover_rate = 0.2
"""

from __future__ import annotations

import math
import random
from typing import Iterator, Sequence

from attrs import field, frozen
from attrs.validators import ge, gt, instance_of, le

from framework import Grammar, Population, Program, ProgramError, Proposal, Scored
from framework.dsl.pcfg import MAX_SIZE_LIMIT, ProductionTable, SizeTable, compile_table, sample_program


def _finite(_instance, attribute, value: float) -> None:
    if not math.isfinite(value):
        raise ValueError(f"{attribute.name} must be finite, got {value}")


def _rates_sum_at_most_one(instance: StochasticOptions, _attribute, value: float) -> None:
    if instance.mutation_rate + value > 1:
        raise ValueError(
            f"mutation_rate + crossover_rate must be <= 1, got {instance.mutation_rate} + {value}"
        )


@frozen
class StochasticOptions:
    """Options of the ``stochastic`` synthesizer.

    ``max_size``: largest program (nodes). ``temperature``: > 1 flattens the
    PCFG, < 1 sharpens it. ``mutation_rate`` and ``crossover_rate``: shares of
    proposals made by mutation and by crossover when there is a population
    (the rest are fresh samples). ``batch_size``: programs per batch.
    """

    max_size: int = field(default=20, validator=[instance_of(int), ge(1), le(MAX_SIZE_LIMIT)])
    temperature: float = field(default=1.0, converter=float, validator=[gt(0), _finite])
    mutation_rate: float = field(default=0.4, converter=float, validator=[ge(0), le(1)])
    crossover_rate: float = field(
        default=0.2, converter=float, validator=[ge(0), le(1), _rates_sum_at_most_one]
    )
    batch_size: int = field(default=256, validator=[instance_of(int), ge(1)])


class SamplingTables:
    """A grammar's table and size table, with each nonterminal's smallest program size."""

    def __init__(self, table: ProductionTable, max_size: int) -> None:
        self.table = table
        self.sizes = SizeTable(table, max_size)
        self.smallest = [min(self.sizes.sizes(x), default=max_size + 1) for x in range(len(table.nonterminals))]

    def nonterminal(self, program: Program) -> int:
        try:
            return self.table.nonterminal_of[program.production]
        except KeyError:
            raise ProgramError(
                f"production {program.production!r} is not in the grammar; "
                f"known: {', '.join(self.table.nonterminal_of)}"
            ) from None


def _subtrees(program: Program) -> list[tuple[tuple[int, ...], Program, int]]:
    """Every node as ``(path from the root, node, its size)``, in pre-order."""
    order: list[tuple[tuple[int, ...], Program]] = []
    stack = [((), program)]
    while stack:
        path, node = stack.pop()
        order.append((path, node))
        for i in range(len(node.children) - 1, -1, -1):
            stack.append(((*path, i), node.children[i]))
    sizes: dict[tuple[int, ...], int] = {}
    for path, node in reversed(order):
        sizes[path] = 1 + sum(sizes[(*path, i)] for i in range(len(node.children)))
    return [(path, node, sizes[path]) for path, node in order]


def _replace(program: Program, path: tuple[int, ...], new: Program) -> Program:
    """``program`` with the node at ``path`` replaced by ``new``."""
    if not path:
        return new
    i, children = path[0], program.children
    return Program(program.production, (*children[:i], _replace(children[i], path[1:], new), *children[i + 1:]))


def mutate(program: Program, compiled: SamplingTables, rng: random.Random, max_size: int) -> Program:
    """Replace a uniformly chosen node by a fresh sample of its nonterminal.

    Only nodes whose replacement can keep the program within ``max_size``
    are candidates; when there is none (the program is already too large), a
    fresh program is sampled instead.
    """
    nodes = _subtrees(program)
    total = nodes[0][2]
    choices = []
    for path, node, size in nodes:
        x = compiled.nonterminal(node)
        budget = max_size - total + size
        if compiled.smallest[x] <= budget:
            choices.append((path, x, budget))
    if not choices:
        return sample_program(compiled.sizes, rng, max_size)
    path, x, budget = rng.choice(choices)
    return _replace(program, path, sample_program(compiled.sizes, rng, budget, nonterminal=compiled.table.nonterminals[x]))


def crossover(
    first: Program, second: Program, compiled: SamplingTables, rng: random.Random, max_size: int
) -> Program | None:
    """Graft a subtree of ``second`` onto a non-root node of ``first`` of the same nonterminal.

    The pair (node of ``first``, subtree of ``second``) is uniform among
    those that change ``first`` and keep it within ``max_size``; ``None``
    when there is no such pair.
    """
    nodes = _subtrees(first)
    total = nodes[0][2]
    donors: dict[int, list[tuple[Program, int]]] = {}
    for _, node, size in _subtrees(second):
        donors.setdefault(compiled.nonterminal(node), []).append((node, size))
    pairs = [
        (path, donor)
        for path, node, size in nodes[1:]
        for donor, donor_size in donors.get(compiled.nonterminal(node), ())
        if donor != node and total - size + donor_size <= max_size
    ]
    if not pairs:
        return None
    path, donor = rng.choice(pairs)
    return _replace(first, path, donor)


class StochasticSynthesizer:
    """Samples, mutants and crossovers in the configured proportions."""

    def __init__(self, options: StochasticOptions = StochasticOptions()) -> None:
        self.options = options
        self._compiled: SamplingTables | None = None

    def compile(self, grammar: Grammar) -> SamplingTables:
        """The tables for ``grammar`` at this synthesizer's temperature (kept while it is unchanged)."""
        table = compile_table(grammar, self.options.temperature)
        if self._compiled is None or self._compiled.table != table:
            self._compiled = SamplingTables(table, self.options.max_size)
        return self._compiled

    def propose(
        self, grammar: Grammar, population: Population, budget: int, rng: random.Random
    ) -> Iterator[list[Proposal]]:
        """Yield ``budget`` proposals in batches of ``batch_size``, each naming its parent."""
        compiled = self.compile(grammar)
        parents = list(population.scored)
        left = budget
        while left > 0:
            count = min(self.options.batch_size, left)
            left -= count
            yield [self._one(compiled, parents, rng) for _ in range(count)]

    def _one(self, compiled: SamplingTables, parents: list[Scored], rng: random.Random) -> Proposal:
        options = self.options
        if parents:
            draw = rng.random()
            if draw < options.mutation_rate:
                parent = rng.choice(parents)
                return Proposal(mutate(parent.program, compiled, rng, options.max_size), parent.id)
            if draw < options.mutation_rate + options.crossover_rate:
                first, second = rng.choice(parents), rng.choice(parents)
                child = crossover(first.program, second.program, compiled, rng, options.max_size)
                if child is None:
                    child = mutate(first.program, compiled, rng, options.max_size)
                return Proposal(child, first.id)
        return Proposal(sample_program(compiled.sizes, rng, options.max_size))
