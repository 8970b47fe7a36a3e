"""PCFG arithmetic: log-sum-exp, re-weighting (hand-computed), compiled table, exact sampling."""

from __future__ import annotations

import math
import random
from collections import Counter

import pytest

from framework.dsl.errors import ProgramError
from framework.errors import UsageError
from framework.dsl.grammar import Grammar
from framework.dsl.heap_search import HeapSearch
from framework.dsl.pcfg import (
    NoProgramError,
    SizeTable,
    compile_table,
    logsumexp,
    normalise,
    production_counts,
    reweight,
    sample_program,
    shrink_spread,
)
from framework.dsl.program import Program, size

GRAPH = Grammar.load_builtin("graph")
ARITH = Grammar.load_builtin("arith")
UNARY = ("next_port", "prev_port", "move", "add", "push", "pop", "connect")


def chain(*names: str) -> Program:
    """``chain("push", "add")`` is ``(push (add identity))``."""
    program = Program("identity")
    for name in reversed(names):
        program = Program(name, (program,))
    return program


def chi_square_sf(statistic: float, dof: int) -> float:
    """P(X >= statistic) for X ~ chi-square(dof), via the regularised incomplete gamma.

    Series for the lower tail below ``a + 1``, Lentz's continued fraction for
    the upper tail above it (both converge fast there).
    """
    a, x = dof / 2, statistic / 2
    scale = math.exp(a * math.log(x) - x - math.lgamma(a))
    if x < a + 1:
        term = total = 1 / a
        n = 1
        while term > 1e-15 * total:
            term *= x / (a + n)
            total += term
            n += 1
        return max(0.0, 1 - scale * total)
    tiny = 1e-300
    b = x + 1 - a
    c, d = 1 / tiny, 1 / b
    h = d
    for i in range(1, 1000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        h *= d * c
        if abs(d * c - 1) < 1e-15:
            break
    return scale * h


# ---- log-space arithmetic ---------------------------------------------------


def test_logsumexp_is_stable_far_from_zero():
    assert logsumexp([-1000.0, -1000.0]) == pytest.approx(-1000 + math.log(2), abs=1e-12)
    assert logsumexp([1000.0, 1000.0]) == pytest.approx(1000 + math.log(2), abs=1e-12)
    assert logsumexp([]) == -math.inf
    assert logsumexp([-math.inf, 0.0]) == 0.0


def test_normalise_makes_probabilities_sum_to_one():
    values = normalise([math.log(2), math.log(6)])
    assert [math.exp(v) for v in values] == pytest.approx([0.25, 0.75])


def test_chi_square_helper_matches_known_quantiles():
    # 95 % quantiles from any chi-square table
    assert chi_square_sf(3.841, 1) == pytest.approx(0.05, abs=1e-3)
    assert chi_square_sf(18.307, 10) == pytest.approx(0.05, abs=1e-3)
    assert chi_square_sf(3.940, 10) == pytest.approx(0.95, abs=1e-3)
    assert chi_square_sf(29.588, 10) == pytest.approx(0.001, abs=1e-4)


# ---- re-weighting ------------------------------------------------------------


def test_reweight_hand_computed_counts_with_smoothing():
    programs = [chain("push"), chain("push", "push")]  # push x3, identity x2, the 8 others x0
    assert production_counts(GRAPH, programs) == Counter(push=3, identity=2)
    new = reweight(GRAPH, programs, smoothing=1.0)
    # (count + 1) / (5 + 10 * 1)
    assert math.exp(new.logprobs["push"]) == pytest.approx(4 / 15, abs=1e-12)
    assert math.exp(new.logprobs["identity"]) == pytest.approx(3 / 15, abs=1e-12)
    for name in ("next_port", "func", "if_positions_equal"):
        assert math.exp(new.logprobs[name]) == pytest.approx(1 / 15, abs=1e-12)
    assert logsumexp(new.logprobs.values()) == pytest.approx(0.0, abs=1e-12)


def test_reweight_is_not_inert_regression_for_the_seed_bug():
    """The seed's log-sum-exp bug left weights uniform whatever the counts."""
    programs = [chain("push", "add", "connect")] * 5
    new = reweight(GRAPH, programs, smoothing=0.5)
    assert dict(new.logprobs) != dict(GRAPH.logprobs)
    # exact ratio of the smoothed counts: (5 + .5) / (0 + .5)
    ratio = math.exp(new.logprobs["push"] - new.logprobs["next_port"])
    assert ratio == pytest.approx(11.0, rel=1e-12)
    # and enumeration order follows the weights, not only the size
    first = [p for _, p in HeapSearch(compile_table(new), 4)][:4]
    assert chain("push") in first and chain("next_port") not in first


def test_reweight_per_nonterminal_on_two_types():
    programs = [ARITH.parse("if(lt(x, 1), x, x)")]
    new = reweight(ARITH, programs, smoothing=1.0)
    # int: x x3, one x1, if x1, the other 4 rules x0 -> total 5 + 7
    assert math.exp(new.logprobs["x"]) == pytest.approx(4 / 12)
    assert math.exp(new.logprobs["zero"]) == pytest.approx(1 / 12)
    # bool: lt x1 -> total 1 + 6
    assert math.exp(new.logprobs["lt"]) == pytest.approx(2 / 7)
    assert math.exp(new.logprobs["true"]) == pytest.approx(1 / 7)


def test_shrink_spread_hand_computed():
    # log .9 and log .1 lie log(9)/2 from their mean; shrunk to 0.5 nats each side
    shrunk = shrink_spread([math.log(0.9), math.log(0.1)], 0.5)
    assert shrunk[0] - shrunk[1] == pytest.approx(1.0)
    assert math.exp(shrunk[0]) == pytest.approx(1 / (1 + math.exp(-1.0)))
    # already within the bound: unchanged
    close = [math.log(0.55), math.log(0.45)]
    assert shrink_spread(close, 0.5) == pytest.approx(close)


def test_reweight_max_diff_bounds_every_nonterminal():
    programs = [chain(*["push"] * 30)]
    new = reweight(GRAPH, programs, smoothing=0.1, max_diff=0.5)
    values = list(new.logprobs.values())
    mean = sum(values) / len(values)
    assert max(abs(v - mean) for v in values) == pytest.approx(0.5)
    assert new.logprobs["push"] == max(values)


def test_reweight_without_smoothing_zeroes_unused_rules_and_keeps_unseen_types():
    new = reweight(ARITH, [ARITH.parse("x")], smoothing=0.0)
    assert new.logprobs["x"] == 0.0
    assert new.logprobs["one"] == -math.inf
    assert dict((n, new.logprobs[n]) for n in ("true", "lt")) == {
        "true": ARITH.logprobs["true"], "lt": ARITH.logprobs["lt"]}
    with pytest.raises(ValueError, match="smoothing"):
        reweight(ARITH, [ARITH.parse("x")], smoothing=0.0, max_diff=0.5)
    with pytest.raises(ValueError):
        reweight(ARITH, [], smoothing=-1.0)


def test_reweight_counts_inventions_as_units():
    fn = GRAPH.make_invention("push_add", Program("push", (Program("add", (Program("#0"),)),)))
    grammar = GRAPH.with_inventions([fn])
    program = Program("push_add", (chain("connect"),))
    assert production_counts(grammar, [program]) == Counter(push_add=1, connect=1, identity=1)
    new = reweight(grammar, [program], smoothing=1.0)
    assert math.exp(new.logprobs["push_add"]) == pytest.approx(2 / 14)
    assert math.exp(new.logprobs["push"]) == pytest.approx(1 / 14)


def test_unknown_production_is_a_precise_error():
    with pytest.raises(ProgramError, match="'jump'.*known: identity"):
        production_counts(GRAPH, [Program("jump")])


# ---- compiled table and size table ----------------------------------------------


def test_compile_table_orders_rules_and_applies_temperature():
    grammar = GRAPH.with_logprobs({n: (math.log(4) if n == "pop" else 0.0) for n in GRAPH.productions})
    table = compile_table(grammar)
    assert table.rules[0][0][0] == "pop"
    assert [r[0] for r in table.rules[0][1:]] == [n for n in GRAPH.productions if n != "pop"]
    hot = compile_table(grammar, temperature=2.0)
    assert math.exp(hot.rules[0][0][1] - hot.rules[0][1][1]) == pytest.approx(2.0)
    assert compile_table(GRAPH) == compile_table(GRAPH.with_logprobs(dict(GRAPH.logprobs)))
    assert compile_table(grammar) != compile_table(GRAPH)


def test_size_table_hand_computed_on_graph():
    sizes = SizeTable(compile_table(GRAPH), 3)
    t = 0
    assert math.exp(sizes.total[t][1]) == pytest.approx(0.1)
    assert math.exp(sizes.total[t][2]) == pytest.approx(7 * 0.01)
    # 49 unary-unary chains and (func identity identity)
    assert math.exp(sizes.total[t][3]) == pytest.approx(50 * 0.001)
    assert sizes.best[t][3] == pytest.approx(3 * math.log(0.1))


# ---- sampling --------------------------------------------------------------------


def _sampling_goodness(grammar: Grammar, max_size: int, temperature: float, draws: int) -> float:
    table = compile_table(grammar, temperature)
    support = {p: lp for lp, p in HeapSearch(table, max_size)}
    norm = logsumexp(support.values())
    rng = random.Random(1234)
    sizes = SizeTable(table, max_size)
    counts = Counter(sample_program(sizes, rng) for _ in range(draws))
    assert set(counts) <= set(support)
    statistic = sum(
        (counts[p] - draws * math.exp(lp - norm)) ** 2 / (draws * math.exp(lp - norm))
        for p, lp in support.items()
    )
    return chi_square_sf(statistic, len(support) - 1)


def test_sampling_frequencies_match_the_pcfg_chi_square():
    weights = {n: -0.3 * i for i, n in enumerate(ARITH.productions)}
    skewed = ARITH.with_logprobs(weights)
    assert _sampling_goodness(skewed, max_size=3, temperature=1.0, draws=20000) > 0.001
    assert _sampling_goodness(GRAPH, max_size=3, temperature=1.0, draws=20000) > 0.001


def test_sampling_with_temperature_matches_the_tempered_pcfg():
    skewed = GRAPH.with_logprobs({n: -0.5 * i for i, n in enumerate(GRAPH.productions)})
    assert _sampling_goodness(skewed, max_size=3, temperature=2.5, draws=20000) > 0.001


def test_sampling_detects_a_wrong_distribution():
    """The goodness check above can fail: samples of one grammar against another's weights."""
    skewed = GRAPH.with_logprobs({n: -0.5 * i for i, n in enumerate(GRAPH.productions)})
    sizes = SizeTable(compile_table(GRAPH), 3)
    support = {p: lp for lp, p in HeapSearch(compile_table(skewed), 3)}
    norm = logsumexp(support.values())
    rng = random.Random(1234)
    counts = Counter(sample_program(sizes, rng) for _ in range(5000))
    statistic = sum((counts[p] - 5000 * math.exp(lp - norm)) ** 2 / (5000 * math.exp(lp - norm))
                    for p, lp in support.items())
    assert chi_square_sf(statistic, len(support) - 1) < 1e-6


def test_sampling_respects_the_cap_and_is_deterministic():
    sizes = SizeTable(compile_table(GRAPH), 12)
    first = [sample_program(sizes, random.Random(7), max_size=6) for _ in range(3)]
    again = [sample_program(sizes, random.Random(7), max_size=6) for _ in range(3)]
    assert first == again
    rng = random.Random(3)
    drawn = [sample_program(sizes, rng, max_size=6) for _ in range(500)]
    assert max(size(p) for p in drawn) <= 6
    for program in drawn:
        GRAPH.check(program)
    assert len(set(drawn)) > 100


def test_sampling_a_nonterminal_with_nothing_small_enough_fails_clearly():
    grammar = Grammar.from_text('s: "(" "f" a a ")" -> f\na: "x" -> x\n%ignore " "\n')
    sizes = SizeTable(compile_table(grammar), 5)
    with pytest.raises(NoProgramError, match="'s' derives no program of at most 2 nodes"):
        sample_program(sizes, random.Random(0), max_size=2)
    assert sample_program(sizes, random.Random(0), max_size=3) == Program("f", (Program("x"), Program("x")))


def test_sampling_addresses_a_nonterminal_by_its_type_name():
    sizes = SizeTable(compile_table(ARITH), 8)
    rng = random.Random(5)
    for _ in range(50):
        ARITH.check(sample_program(sizes, rng, nonterminal="bool"), "bool")
    with pytest.raises(UsageError, match="unknown nonterminal 'boolean'; known: "):
        sample_program(sizes, rng, nonterminal="boolean")
