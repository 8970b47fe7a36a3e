"""The engine's decisions on plain values: new candidates, averaging, ranking, the learn step."""

from __future__ import annotations

import math

import pytest

from attrs import evolve

from framework import Grammar, LibraryResult
from framework.explore import ExploreResult, ExploreStats, Found, Replacement
from framework.run_state import METRICS, Candidate, Exploration, Scores
from framework.spec import LibraryChoice
from framework.steps import after_exploration, average_repeats, failed_scores, learn, rank, select
from framework_plugins.graph_domain import GraphDomain, GraphDomainOptions
from framework_plugins.library.stitch import StitchLearner, StitchOptions

GRAPH = Grammar.load_builtin("graph")
DOMAIN = GraphDomain(GraphDomainOptions(equivalence="ported"))
PROGRAMS = ("(push (add (connect identity)))", "(push (add (connect (next_port (push (add (connect identity)))))))",
            "(push (add (push (add (connect (pop (connect identity)))))))")


def scores(train: float, eval: float = 0.5, loss: float = 0.1) -> Scores:
    return Scores(train, None, eval, train, None, eval, loss)


def candidate(id: str, mass: int = 5, scored: Scores | None = None, text: str = PROGRAMS[0]) -> Candidate:
    graph = DOMAIN.evaluate(GRAPH.parse(text), GRAPH)
    return Candidate(id=id, program=text, graph=graph, mass=mass, generation=0, synthesizer="test", scores=scored)


# -- averaging ------------------------------------------------------------------


def test_metrics_are_every_scores_field_but_the_bookkeeping():
    assert METRICS == ("train_accuracy", "select_accuracy", "eval_accuracy", "train_f1", "select_f1",
                       "eval_f1", "final_loss")


def test_repeats_are_averaged_metric_by_metric():
    averaged = average_repeats([scores(0.5, 0.25, 1.0), scores(1.0, 0.75, 0.0), scores(0.75, 1.0, 0.5)])
    assert averaged == Scores(0.75, None, 2 / 3, 0.75, None, 2 / 3, 0.5, repeats=3, eval_accuracies=(0.25, 0.75, 1.0))


def test_failed_repeats_are_left_out_of_the_average_and_all_failed_is_a_failure():
    failed = failed_scores("boom")
    assert average_repeats([failed, scores(0.5), scores(1.0)]) == evolve(scores(0.75), repeats=2, eval_accuracies=(0.5, 0.5))
    every = average_repeats([failed, failed_scores("again")])
    assert every.failed == "boom" and every.repeats == 2 and math.isnan(every.eval_accuracy)


# -- ranking and selection ------------------------------------------------------


def by_train(s: Scores) -> float:
    return s.train_accuracy


def test_rank_orders_by_score_then_mass_then_id():
    members = [
        candidate("g0-001", mass=7, scored=scores(0.9)),
        candidate("g0-003", mass=5, scored=scores(0.9)),
        candidate("g0-002", mass=5, scored=scores(0.9)),
        candidate("g0-000", mass=3, scored=scores(0.8)),
        candidate("g0-004", mass=9, scored=scores(1.0)),
    ]
    ranked = rank(members, by_train)
    assert [c.id for c in ranked] == ["g0-004", "g0-002", "g0-003", "g0-001", "g0-000"]
    assert [c.selection for c in ranked] == [1.0, 0.9, 0.9, 0.9, 0.8]


def test_failed_and_untrained_candidates_rank_last_without_a_score():
    members = [candidate("a", mass=1, scored=failed_scores("nan loss")), candidate("b", mass=2),
               candidate("c", mass=9, scored=scores(0.0))]
    ranked = rank(members, by_train)
    assert [c.id for c in ranked] == ["c", "a", "b"]
    assert [c.selection for c in ranked] == [0.0, None, None]


def test_select_keeps_the_best_and_discards_the_rest_in_rank_order():
    members = [candidate(f"g0-00{i}", mass=i, scored=scores(i / 10)) for i in range(5)]
    survivors, discarded = select(members, by_train, keep=2)
    assert [c.id for c in survivors] == ["g0-004", "g0-003"]
    assert [c.id for c in discarded] == ["g0-002", "g0-001", "g0-000"]


def test_failed_candidates_never_survive_even_when_too_few_succeed():
    members = [candidate("g0-000", mass=1, scored=failed_scores("nan loss")), candidate("g0-001", scored=scores(0.3)),
               candidate("g0-002", mass=2, scored=failed_scores("boom"))]
    survivors, discarded = select(members, by_train, keep=2)
    assert [c.id for c in survivors] == ["g0-001"]
    assert [c.id for c in discarded] == ["g0-000", "g0-002"]
    survivors, discarded = select(members[::2], by_train, keep=2)
    assert survivors == () and [c.id for c in discarded] == ["g0-000", "g0-002"]


# -- after an exploration -------------------------------------------------------


def found(text: str, synthesizer: str = "enumerative") -> Found:
    program = GRAPH.parse(text)
    output = DOMAIN.evaluate(program, GRAPH)
    return Found(program, output, DOMAIN.to_graph(output), DOMAIN.key(output), 4, synthesizer)


def test_finds_become_candidates_and_replaced_members_leave():
    old = (candidate("g0-000", text=PROGRAMS[0]), candidate("g0-001", text=PROGRAMS[1]))
    smaller = found(PROGRAMS[1], "stochastic")
    stats = ExploreStats(proposed=10, evaluated=8, rejected={"single node": 2, "b": 1}, repeats=2, duplicates=4,
                         found=1, replaced=1, seconds=1.0, found_by={"enumerative": 1})
    result = ExploreResult((found(PROGRAMS[2]),), (Replacement(1, GRAPH.parse(PROGRAMS[1]), smaller),), stats)
    explored = after_exploration(result, 3, old, (candidate("g0-009"),), GRAPH, DOMAIN)
    assert [c.id for c in explored.survivors] == ["g0-000"]
    assert [c.id for c in explored.discarded] == ["g0-009", "g0-001"]
    new, replacement = explored.pending
    assert (new.id, new.parent, new.generation, new.synthesizer, new.mass) == ("g3-000", None, 3, "enumerative", 4)
    assert (replacement.id, replacement.parent, replacement.synthesizer) == ("g3-001", "g0-001", "stochastic")
    assert new.program == PROGRAMS[2] and new.graph == DOMAIN.evaluate(GRAPH.parse(PROGRAMS[2]), GRAPH)
    assert explored.exploration == Exploration(proposed=10, evaluated=8, new=1, replaced=1,
                                               rejected={"b": 1, "single node": 2}, duplicates=4,
                                               found_by={"enumerative": 1})


# -- the learn step -------------------------------------------------------------


class Swapping:
    """A learner whose rewritten programs are the real learner's, rotated by one."""

    def __init__(self) -> None:
        self.learner = StitchLearner(StitchOptions(iterations=2))

    def compress(self, grammar, programs):
        result = self.learner.compress(grammar, programs)
        return evolve(result, programs=(*result.programs[1:], result.programs[0]))


SURVIVORS = tuple(candidate(f"g0-00{i}", text=t) for i, t in enumerate(PROGRAMS))
NO_REWEIGHT = LibraryChoice(reweight=False)


def test_learn_rewrites_the_survivors_without_changing_their_graphs():
    learned = learn(GRAPH, SURVIVORS, StitchLearner(StitchOptions(iterations=2)), NO_REWEIGHT, DOMAIN)
    assert learned.library_error is None and learned.inventions and learned.compression_ratio > 1
    assert [p.name for p in learned.grammar.inventions] == list(learned.inventions)
    for before, after in zip(SURVIVORS, learned.survivors):
        assert after.graph == before.graph and after.id == before.id
        assert DOMAIN.evaluate(learned.grammar.parse(after.program), learned.grammar) == before.graph
    assert any(a.program != b.program for a, b in zip(SURVIVORS, learned.survivors))


KEPT = "; the grammar keeps its productions (no inventions this generation)"


def test_learn_refuses_a_result_that_changes_a_meaning_naming_the_learner():
    learned = learn(GRAPH, SURVIVORS, Swapping(), LibraryChoice(plugin="swapping", reweight=False), DOMAIN, "graph")
    assert learned.library_error == (f"library_learner 'swapping': its result changes the meaning of g0-000 "
                                     f"({PROGRAMS[0]}), so it was ignored{KEPT}")
    assert learned.grammar is GRAPH and learned.inventions == () and learned.compression_ratio is None
    assert learned.survivors == SURVIVORS


@pytest.mark.parametrize(("name", "fault"), [
    ("next-port-unknown", "evaluate() raised KeyError: 'next_port' on g0-001's"),  # on programs using next_port
    ("port-zero-reserved", "to_graph() raised ValueError: port 0 is reserved on g0-000's"),  # on graphs with one
])
def test_learn_keeps_the_grammar_when_the_domain_raises_checking_the_result_naming_the_domain(fixture_plugins, name,
                                                                                               fault):
    from framework.plugins import build_registry

    info = build_registry(paths=["breaking_domain.py"], base_dir=fixture_plugins).get("domain", name).info
    raising = info.factory(GraphDomainOptions(equivalence="ported"))
    learned = learn(GRAPH, SURVIVORS, StitchLearner(StitchOptions(iterations=2)), NO_REWEIGHT, raising, name)
    assert learned.library_error == (f"domain {name!r}: {fault} rewritten program, so the library learner's result "
                                     f"could not be checked and was ignored{KEPT}")
    assert learned.grammar is GRAPH and learned.survivors == SURVIVORS and learned.inventions == ()


def test_learn_without_a_learner_only_reweights():
    learned = learn(GRAPH, SURVIVORS, None, LibraryChoice(), DOMAIN)
    assert learned.inventions == () and learned.library_error is None
    assert dict(learned.grammar.productions) == dict(GRAPH.productions)  # the same rules, new weights
    assert dict(learned.grammar.logprobs) != dict(GRAPH.logprobs)
    assert learn(GRAPH, SURVIVORS, None, NO_REWEIGHT, DOMAIN).grammar is GRAPH


class Failing:
    """A learner that fails in one of the ways ``failure`` names."""

    def __init__(self, failure: str) -> None:
        self.failure = failure

    def compress(self, grammar, programs):
        from framework import FrameworkError

        if self.failure == "refuses":
            raise FrameworkError("stitch: no abstraction found")
        if self.failure == "raises":
            raise RuntimeError("the learner's own bug")
        result = StitchLearner(StitchOptions(iterations=2)).compress(grammar, programs)
        return result.programs if self.failure == "not-a-result" else evolve(result, programs=result.programs[1:])


@pytest.mark.parametrize(("failure", "reason"), [
    ("refuses", "stitch: no abstraction found"),
    ("raises", "compress() raised RuntimeError: the learner's own bug"),
    ("not-a-result", "compress() returned a tuple where a framework.LibraryResult is expected"),
    ("drops-a-program", "compress() returned 2 programs for 3"),
])
def test_learn_keeps_the_grammar_when_the_learner_fails_naming_the_learner(failure, reason):
    learned = learn(GRAPH, SURVIVORS, Failing(failure), LibraryChoice(plugin="failing", reweight=False), DOMAIN, "graph")
    assert learned.library_error == f"library_learner 'failing': {reason}{KEPT}"
    assert learned.grammar is GRAPH and learned.survivors == SURVIVORS and learned.inventions == ()


def test_a_library_result_record_is_what_the_learner_returns():
    result = StitchLearner(StitchOptions(iterations=1)).compress(GRAPH, [GRAPH.parse(t) for t in PROGRAMS])
    assert isinstance(result, LibraryResult)
