"""Every plugin of the package against its kind's contract suite (framework.testing)."""

from framework import Scored
from framework.testing import check_backbone, check_domain, check_injector, check_synthesizer

from framework_shapes import GinSumOptions, HillClimb, HillClimbOptions, RandomWalkOptions, ShapesDomain, ShapesOptions
from framework_shapes import gin, walks

DOMAIN = ShapesDomain()


def test_domain():
    check_domain(ShapesDomain, ShapesOptions())


def test_domain_with_few_ports():
    check_domain(ShapesDomain, ShapesOptions(max_conn=2, max_nodes=8))


def test_hill_climb_from_scratch():
    check_synthesizer(HillClimb, HillClimbOptions(), DOMAIN.grammar)


def test_hill_climb_from_a_scored_population():
    # bare programs reach propose() as a Population, best first: ids m0, m1, ... and scores 0, -1, ...
    members = [DOMAIN.grammar.parse(text) for text in ("join(ring(3), dot)", "star(succ(2))", "path(2)")]
    check_synthesizer(HillClimb, HillClimbOptions(batch_size=4), DOMAIN.grammar, population=members)


def test_hill_climb_from_real_and_missing_scores():
    # Scored members reach propose() with their ids and scores; a None score (unscored) is not climbed from
    grammar = DOMAIN.grammar
    members = [Scored(grammar.parse("star(succ(2))"), "c4", 0.81), Scored(grammar.parse("path(2)"), "c9", None),
               Scored(grammar.parse("join(ring(3), dot)"), "c2", 0.64)]
    check_synthesizer(HillClimb, HillClimbOptions(batch_size=4), grammar, population=members)


def test_random_walk_injector():
    check_injector(walks.build, RandomWalkOptions())


def test_gin_sum_backbone():
    check_backbone(gin.build, GinSumOptions())


def test_gin_sum_backbone_with_learned_eps_and_dropout():
    check_backbone(gin.build, GinSumOptions(depth=2, dropout=0.2, train_eps=True))
