"""The hill-climber climbs from the best-scored members and names each proposal's parent."""

import random

from framework import Population, Program, Proposal, Scored, size

from framework_shapes import HillClimb, HillClimbOptions, ShapesDomain

GRAMMAR = ShapesDomain().grammar


def proposals(population, budget=40, **options):
    batches = HillClimb(HillClimbOptions(**options)).propose(GRAMMAR, population, budget, random.Random(0))
    return [item for batch in batches for item in batch]


def differences(a, b):
    """The top-most paths at which two programs differ."""
    if a.production != b.production or len(a.children) != len(b.children):
        return [()]
    return [(i,) + path for i, (x, y) in enumerate(zip(a.children, b.children)) for path in differences(x, y)]


POPULATION = Population([
    Scored(GRAMMAR.parse("join(ring(3), path(2))"), "g0-000", 0.9),
    Scored(GRAMMAR.parse("fuse(star(3), dot)"), "g0-001", 0.7),
    Scored(GRAMMAR.parse("path(succ(3))"), "g0-002", 0.4),
    Scored(GRAMMAR.parse("star(2)"), "g0-003", None),  # its training failed: never climbed from
])


def test_it_climbs_from_the_width_best_scored_members_and_names_them():
    found = proposals(POPULATION, width=2)
    assert len(found) == 40 and all(isinstance(item, Proposal) for item in found)
    assert {item.parent for item in found} == {"g0-000", "g0-001"}


def test_the_scores_decide_not_the_order():
    shuffled = Population(sorted(POPULATION.scored, key=lambda member: member.id, reverse=True))
    assert {item.parent for item in proposals(shuffled, width=1)} == {"g0-000"}


def replaced_at(parent, neighbour):
    """The path of the smallest subtree of `parent` outside which `neighbour` equals it (None: equal)."""
    paths = differences(parent, neighbour)
    if not paths:
        return None
    common = paths[0]
    for path in paths[1:]:
        common = common[:next((i for i, (a, b) in enumerate(zip(common, path)) if a != b), min(len(common), len(path)))]
    return common


def test_a_neighbour_is_its_parent_with_one_subtree_replaced():
    members = {member.id: member.program for member in POPULATION.scored}
    found = proposals(POPULATION, budget=300, width=3, max_size=12)
    at = [replaced_at(members[item.parent], item.program) for item in found]
    for item in found:
        GRAMMAR.check(item.program)  # the replacement has the type of what it replaced
        assert size(item.program) <= 12
    # the node is drawn uniformly (members of 4 to 5 nodes): most neighbours keep their parent's root
    assert sum(path is None for path in at) < 60
    assert sum(bool(path) for path in at) > 150


def test_without_scores_it_restarts_from_random_programs_within_budget():
    unscored = Population([Scored(GRAMMAR.parse("star(2)"), "g0-000", None)])
    for population in (Population(), unscored):
        found = proposals(population, budget=25, max_size=9, batch_size=10)
        assert len(found) == 25 and all(isinstance(item, Program) for item in found)
        for program in found:
            GRAMMAR.check(program)
            assert size(program) <= 9
