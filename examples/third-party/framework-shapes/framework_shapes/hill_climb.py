"""The `hill-climb` synthesizer: neighbours of the best-scored members, each naming its parent (no torch).

A neighbour is the member with one subtree (a node drawn uniformly) replaced
by a fresh PCFG sample of the same type that keeps the program within
`max_size`. Each generation it climbs from the `width` members with the
highest selection scores: every proposal is a `framework.Proposal` whose
`parent` is the member's id, so the lineage of every candidate is recorded.
With no scored member (generation 0) it restarts: random samples.
"""

from __future__ import annotations

import math

from attrs import field, frozen
from attrs.validators import ge, gt, le

from framework import Program, Proposal, min_sizes, size
from framework.dsl.pcfg import SizeTable, compile_table, sample_program


@frozen
class HillClimbOptions:
    """Options from the spec table `[[synthesizers]] plugin = "hill-climb"`."""

    max_size: int = field(default=16, validator=[ge(1), le(250)])
    width: int = field(default=2, validator=ge(1))
    batch_size: int = field(default=32, validator=ge(1))
    temperature: float = field(default=1.0, validator=gt(0.0))


class HillClimb:
    def __init__(self, options: HillClimbOptions) -> None:
        self.options = options

    def propose(self, grammar, population, budget, rng):
        sizes = SizeTable(compile_table(grammar, self.options.temperature), self.options.max_size)
        smallest = min_sizes(grammar)
        scored = [m for m in population.scored if m.score is not None and math.isfinite(m.score)]
        climbers = sorted(scored, key=lambda member: -member.score)[: self.options.width]
        taken = 0
        while taken < budget:
            count = min(self.options.batch_size, budget - taken)
            if climbers:
                batch = [self._neighbour(climbers[i % len(climbers)], grammar, sizes, smallest, rng)
                         for i in range(taken, taken + count)]
            else:
                batch = [sample_program(sizes, rng) for _ in range(count)]
            taken += count
            yield batch

    def _neighbour(self, member, grammar, sizes, smallest, rng):
        program = member.program
        path, nonterminal, subtree = rng.choice(_nodes(program, grammar))
        room = self.options.max_size - (size(program) - size(subtree))
        if room < smallest[nonterminal]:  # a member larger than max_size: start over from its type
            path, nonterminal, room = (), grammar.production(program.production).nonterminal, self.options.max_size
        replacement = sample_program(sizes, rng, max_size=room, nonterminal=nonterminal)
        return Proposal(_replaced(program, path, replacement), parent=member.id)


def _nodes(program, grammar):
    """Every node as `(path, type, subtree)`; a path is the child indices from the root."""
    found, stack = [], [((), grammar.production(program.production).nonterminal, program)]
    while stack:
        path, nonterminal, node = stack.pop()
        found.append((path, nonterminal, node))
        arguments = grammar.production(node.production).arguments
        stack.extend((path + (i,), arguments[i], child) for i, child in enumerate(node.children))
    return found


def _replaced(program, path, replacement):
    """`program` with the subtree at `path` replaced."""
    if not path:
        return replacement
    spine = [program]
    for index in path[:-1]:
        spine.append(spine[-1].children[index])
    node = replacement
    for parent, index in zip(reversed(spine), reversed(path)):
        children = parent.children[:index] + (node,) + parent.children[index + 1:]
        node = Program(parent.production, children)
    return node
