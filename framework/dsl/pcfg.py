"""Probabilistic context-free grammars: weights, re-weighting, the compiled table, sampling.

A :class:`~framework.dsl.grammar.Grammar` carries one log-probability per
production, normalised per nonterminal. This module does the arithmetic on
them:

* :func:`reweight` re-estimates the weights from programs (the PCFG update
  after library learning). Programs are unambiguous derivations, so the
  expected counts of inside-outside are plain counts; additive smoothing and
  an optional ``max_diff`` shrink follow. Normalisation uses a stable
  log-sum-exp: the seed's version had a bug that left the weights uniform
  whatever the counts, so its enumeration went by size alone.
* :func:`compile_table` turns a grammar into a :class:`ProductionTable`, the
  integer-indexed form the search loops run on (no attrs, no text).
* :class:`SizeTable` holds, for every nonterminal and exact program size, the
  best and the total log-probability of its programs: the heap search uses
  the first to order work lazily, :func:`sample_program` the second to draw programs
  under a size cap exactly (no rejection loop, so it cannot stall on a
  grammar whose random programs are mostly infinite).

Size here is the number of production nodes of a program, an invention
application counting as one node.
"""

from __future__ import annotations

import bisect
import hashlib
import math
import random
from collections import Counter
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

from attrs import frozen

from framework.dsl.errors import ProgramError
from framework.dsl.program import Program
from framework.errors import UsageError

if TYPE_CHECKING:
    from framework.dsl.grammar import Grammar

NEG_INF = float("-inf")

#: Programs deeper than this would exhaust Python's recursion in the search
#: loops; no grammar the framework ships needs anything near it.
MAX_SIZE_LIMIT = 250


class NoProgramError(UsageError):
    """A nonterminal derives no program within the requested size."""


# ---------------------------------------------------------------------------
# Log-space arithmetic
# ---------------------------------------------------------------------------


def logsumexp(values: Iterable[float]) -> float:
    """``log(sum(exp(v)))`` without overflow or underflow; ``-inf`` when empty.

    Shifts by the maximum first, so ``logsumexp([-1000, -1000])`` is
    ``-1000 + log 2`` rather than ``log 0``.
    """
    values = list(values)
    top = max(values, default=NEG_INF)
    if top == NEG_INF:
        return NEG_INF
    if top == math.inf:
        return math.inf
    return top + math.log(math.fsum(math.exp(v - top) for v in values))


def normalise(logweights: Sequence[float]) -> list[float]:
    """Log-weights shifted so that their probabilities sum to one."""
    total = logsumexp(logweights)
    if total == NEG_INF:
        raise ValueError("cannot normalise weights that are all zero")
    return [w - total for w in logweights]


def shrink_spread(logprobs: Sequence[float], max_diff: float) -> list[float]:
    """Scale log-probabilities towards their mean so none lies more than ``max_diff`` from it.

    The result is renormalised (a constant shift, which keeps the spread).
    Weights already within ``max_diff`` of their mean are only renormalised.
    This is the seed's guard against a few survivors making the PCFG so
    peaked that enumeration never leaves one corner of the grammar.
    """
    if max_diff < 0:
        raise ValueError(f"max_diff must be >= 0, got {max_diff}")
    finite = [v for v in logprobs if v != NEG_INF]
    if len(finite) != len(logprobs):
        raise ValueError("shrink_spread needs finite log-probabilities (use smoothing > 0)")
    mean = math.fsum(logprobs) / len(logprobs)
    spread = max(abs(v - mean) for v in logprobs)
    if spread > max_diff:
        scale = max_diff / spread
        logprobs = [mean + (v - mean) * scale for v in logprobs]
    return normalise(logprobs)


# ---------------------------------------------------------------------------
# Re-weighting from programs
# ---------------------------------------------------------------------------


def production_counts(grammar: Grammar, programs: Iterable[Program]) -> Counter[str]:
    """How often each production occurs in ``programs`` (inventions count as themselves)."""
    counts: Counter[str] = Counter()
    stack = list(programs)
    productions = grammar.productions
    while stack:
        node = stack.pop()
        if node.production not in productions:
            raise ProgramError(
                f"production {node.production!r} is not in grammar {grammar.source}; "
                f"known: {', '.join(productions)}"
            )
        counts[node.production] += 1
        stack.extend(node.children)
    return counts


def reweight(
    grammar: Grammar,
    programs: Iterable[Program],
    smoothing: float = 1.0,
    max_diff: float | None = None,
) -> Grammar:
    """The grammar with its weights re-estimated from ``programs``.

    For each nonterminal, ``p(rule) = (count(rule) + smoothing) / (total +
    n_rules * smoothing)``, computed in log space. A nonterminal whose rules
    have no count and no smoothing keeps its current weights (there is no
    evidence to move them). With ``max_diff``, each nonterminal's
    log-probabilities are then pulled towards their mean by
    :func:`shrink_spread` (the seed used ``0.5``).

    :raises ValueError: for negative ``smoothing`` or ``max_diff``, or
        ``max_diff`` with ``smoothing == 0`` and an unused rule (its weight is
        ``-inf``, which no finite spread can hold).
    """
    if smoothing < 0 or not math.isfinite(smoothing):
        raise ValueError(f"smoothing must be a finite number >= 0, got {smoothing}")
    counts = production_counts(grammar, programs)
    logprobs = dict(grammar.logprobs)
    for nonterminal in grammar.nonterminals:
        names = [p.name for p in grammar.by_nonterminal(nonterminal)]
        if not names:
            continue
        weights = [counts[n] + smoothing for n in names]
        if sum(weights) == 0:
            new = [logprobs[n] for n in names]
        else:
            new = normalise([math.log(w) if w > 0 else NEG_INF for w in weights])
        if max_diff is not None:
            new = shrink_spread(new, max_diff)
        logprobs.update(zip(names, new))
    return grammar.with_logprobs(logprobs)


# ---------------------------------------------------------------------------
# The compiled production table
# ---------------------------------------------------------------------------

#: One rule of the compiled table: production name, log-probability, argument
#: nonterminals as indices into ``ProductionTable.nonterminals``.
Rule = tuple[str, float, tuple[int, ...]]


@frozen
class ProductionTable:
    """A grammar compiled for search loops: plain tuples indexed by integers.

    ``rules[x]`` lists the rules of nonterminal ``x`` most probable first
    (ties in file order); rules of probability zero are left out. Equal
    tables mean equal PCFGs, which is how a synthesizer tells whether the
    grammar changed between two calls.
    """

    nonterminals: tuple[str, ...]
    start: int
    rules: tuple[tuple[Rule, ...], ...]
    #: production name -> index of the nonterminal it produces
    nonterminal_of: Mapping[str, int]

    def fingerprint(self) -> str:
        """A short digest of the PCFG, equal for equal tables in any process (for checkpoints)."""
        return hashlib.sha256(repr((self.nonterminals, self.start, self.rules)).encode()).hexdigest()[:16]

    def index(self, nonterminal: str | None) -> int:
        """Index of ``nonterminal`` (the start one when ``None``)."""
        if nonterminal is None:
            return self.start
        try:
            return self.nonterminals.index(nonterminal)
        except ValueError:
            raise UsageError(
                f"unknown nonterminal {nonterminal!r}; known: {', '.join(self.nonterminals)}"
            ) from None


def compile_table(grammar: Grammar, temperature: float = 1.0) -> ProductionTable:
    """Compile ``grammar`` to a :class:`ProductionTable`.

    With ``temperature`` T the weights become ``softmax(logprob / T)`` per
    nonterminal: T > 1 flattens the distribution, T < 1 sharpens it.
    """
    if not (temperature > 0 and math.isfinite(temperature)):
        raise UsageError(f"temperature must be a finite number > 0, got {temperature}")
    nonterminals = tuple(grammar.nonterminals)
    index = {n: i for i, n in enumerate(nonterminals)}
    rules = []
    for nonterminal in nonterminals:
        productions = [p for p in grammar.by_nonterminal(nonterminal)
                       if grammar.logprobs[p.name] != NEG_INF]
        if productions:
            logprobs = normalise([grammar.logprobs[p.name] / temperature for p in productions])
        else:
            logprobs = []
        order = sorted(range(len(productions)), key=lambda i: -logprobs[i])
        rules.append(tuple(
            (productions[i].name, logprobs[i], tuple(index[a] for a in productions[i].arguments))
            for i in order
        ))
    return ProductionTable(
        nonterminals=nonterminals,
        start=index[grammar.start],
        rules=tuple(rules),
        nonterminal_of={p.name: index[p.nonterminal] for p in grammar.productions.values()},
    )


# ---------------------------------------------------------------------------
# Per-size dynamic programme: best and total probability by exact size
# ---------------------------------------------------------------------------


class SizeTable:
    """Best and total log-probability of the programs of each nonterminal by exact size.

    ``best[x][s]`` is the log-probability of the most probable program of
    nonterminal ``x`` with exactly ``s`` nodes, ``total[x][s]`` the
    log-probability mass of all of them (``-inf``: there is none).

    ``best`` is accumulated left to right, exactly as a program's own
    log-probability is (``rule + child_1 + child_2 + ...``), and float
    addition is monotone, so it equals the log-probability of the best
    program bit for bit. The heap search relies on that.

    ``suffix_total[x][r][i][b]`` is the total mass of rule ``r``'s arguments
    from ``i`` on using ``b`` nodes in all, what :func:`sample_program` draws
    argument sizes from (``_prefix_best`` is its counterpart for ``best``).
    """

    def __init__(self, table: ProductionTable, max_size: int) -> None:
        if not 1 <= max_size <= MAX_SIZE_LIMIT:
            raise UsageError(f"max_size must be in 1..{MAX_SIZE_LIMIT}, got {max_size}")
        self.table = table
        self.max_size = max_size
        n = len(table.nonterminals)
        width = max_size + 1
        self.best = [[NEG_INF] * width for _ in range(n)]
        self.total = [[NEG_INF] * width for _ in range(n)]
        # _prefix_best[x][r][i][b], i = 0..k: rule + best of args[:i] with b nodes (before the rule's own)
        self._prefix_best = [
            [[[NEG_INF] * width for _ in range(len(args) + 1)] for (_, _, args) in rules]
            for rules in table.rules
        ]
        # suffix_total[x][r][i][b], i = 0..k: total mass of args[i:] with b nodes
        self.suffix_total = [
            [[[NEG_INF] * width for _ in range(len(args) + 1)] for (_, _, args) in rules]
            for rules in table.rules
        ]
        for x, rules in enumerate(table.rules):
            for r, (_, logprob, args) in enumerate(rules):
                self._prefix_best[x][r][0][0] = logprob
                self.suffix_total[x][r][len(args)][0] = 0.0
        for size in range(1, width):
            self._fill(size)
        #: cumulative distributions :func:`sample_program` has needed, by situation
        self.draws: dict[tuple, list[float]] = {}

    def _fill(self, size: int) -> None:
        """Fill every entry for ``size`` (all smaller sizes are done)."""
        budget = size - 1  # nodes left for the arguments once the rule's own node is placed
        best, total = self.best, self.total
        for x, rules in enumerate(self.table.rules):
            top = NEG_INF
            mass = []
            for r, (_, _, args) in enumerate(rules):
                prefix = self._prefix_best[x][r]
                for i, arg in enumerate(args):
                    # best of args[:i+1] in `budget` nodes: extend a prefix by argument i
                    row, arg_best, value = prefix[i], best[arg], NEG_INF
                    for part in range(1, budget + 1):
                        head = row[budget - part]
                        if head != NEG_INF and arg_best[part] != NEG_INF:
                            value = max(value, head + arg_best[part])
                    prefix[i + 1][budget] = value
                suffix = self.suffix_total[x][r]
                for i in range(len(args) - 1, -1, -1):
                    row, arg_total = suffix[i + 1], total[args[i]]
                    suffix[i][budget] = logsumexp(
                        arg_total[part] + row[budget - part] for part in range(1, budget + 1)
                    )
                top = max(top, prefix[len(args)][budget])
                mass.append(rules[r][1] + suffix[0][budget])
            best[x][size] = top
            total[x][size] = logsumexp(mass)

    def sizes(self, nonterminal: int) -> list[int]:
        """The sizes at which ``nonterminal`` has at least one program."""
        return [s for s in range(1, self.max_size + 1) if self.best[nonterminal][s] != NEG_INF]


# ---------------------------------------------------------------------------
# Sampling under a size cap
# ---------------------------------------------------------------------------


def _cumulative(logweights: Sequence[float]) -> list[float]:
    """Running sums of ``exp(logweights)`` (shifted by the maximum), for drawing by bisection."""
    top = max(logweights)
    cumulative = []
    acc = 0.0
    for w in logweights:
        acc += math.exp(w - top) if w != NEG_INF else 0.0
        cumulative.append(acc)
    return cumulative


def _draw(rng: random.Random, cumulative: list[float]) -> int:
    """Index drawn with probability proportional to the steps of ``cumulative``."""
    return min(bisect.bisect_right(cumulative, rng.random() * cumulative[-1]), len(cumulative) - 1)


def sample_program(
    sizes: SizeTable,
    rng: random.Random,
    max_size: int | None = None,
    nonterminal: str | None = None,
) -> Program:
    """Draw one program of type ``nonterminal`` (a type name; default: the start type) from the
    PCFG, conditioned on having at most ``max_size`` nodes.

    Exact, not rejection: the size is drawn from the mass table first, then
    each rule and each argument's size given what is left. ``max_size``
    defaults to (and may not exceed) the table's. The distributions drawn
    from are computed once per table and kept in ``sizes``.

    :raises NoProgramError: the nonterminal has no program that small.
    :raises UsageError: ``nonterminal`` names no type of the grammar.
    """
    table = sizes.table
    x = table.index(nonterminal)
    cap = sizes.max_size if max_size is None else max_size
    if not 1 <= cap <= sizes.max_size:
        raise UsageError(f"max_size must be in 1..{sizes.max_size}, got {cap}")
    masses = sizes.total[x][1:cap + 1]
    if all(m == NEG_INF for m in masses):
        raise NoProgramError(
            f"nonterminal {table.nonterminals[x]!r} derives no program of at most {cap} nodes"
        )
    key = ("size", x, cap)
    cumulative = sizes.draws.get(key)
    if cumulative is None:
        cumulative = sizes.draws[key] = _cumulative(masses)
    return _sample_exact(sizes, rng, x, 1 + _draw(rng, cumulative))


def _sample_exact(sizes: SizeTable, rng: random.Random, x: int, size: int) -> Program:
    """A program of nonterminal ``x`` with exactly ``size`` nodes (one must exist)."""
    draws = sizes.draws
    rules = sizes.table.rules[x]
    budget = size - 1
    suffixes = sizes.suffix_total[x]
    cumulative = draws.get((x, size))
    if cumulative is None:
        cumulative = draws[(x, size)] = _cumulative(
            [rule[1] + suffixes[i][0][budget] for i, rule in enumerate(rules)])
    r = _draw(rng, cumulative)
    name, _, args = rules[r]
    children = []
    for i, arg in enumerate(args):
        key = (x, r, i, budget)
        cumulative = draws.get(key)
        if cumulative is None:
            arg_total, rest = sizes.total[arg], suffixes[r][i + 1]
            cumulative = draws[key] = _cumulative(
                [arg_total[part] + rest[budget - part] for part in range(1, budget + 1)])
        part = 1 + _draw(rng, cumulative)
        children.append(_sample_exact(sizes, rng, arg, part))
        budget -= part
    return Program(name, tuple(children))
