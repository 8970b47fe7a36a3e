"""The test kit's synthesizer and backbone suites check what the engine checks (issue 11, the third-party gaps)."""

from __future__ import annotations

import re

import pytest

from framework import Grammar, Population, Proposal, Scored
from framework.testing import ContractError, check_synthesizer

ARITH = Grammar.load_builtin("arith")
ONE, TWO = ARITH.parse("1"), ARITH.parse("add(1, 1)")


class Recording:
    """Proposes each member's program with that member as parent (``parent`` overrides the id); records
    every population it is given."""

    seen: list[tuple[Scored, ...]] = []

    def __init__(self, options):
        self.parent = options

    def propose(self, grammar, population, budget, rng):
        Recording.seen.append(population.scored)
        yield [Proposal(m.program, parent=m.id if self.parent is None else self.parent)
               for m in population.scored][:budget]


@pytest.fixture(autouse=True)
def _forget():
    Recording.seen.clear()


def test_a_population_passes_through_with_its_ids_and_scores():
    members = Population([Scored(TWO, "c7", 0.25), Scored(ONE, "c3", None)])
    check_synthesizer(Recording, None, ARITH, population=members, count=2)
    assert Recording.seen and all(seen == members.scored for seen in Recording.seen)


def test_scored_members_keep_their_ids_and_scores_and_programs_are_numbered():
    check_synthesizer(Recording, None, ARITH, population=[Scored(TWO, "best", 0.9), ONE, Scored(ONE, None, None)],
                      count=2)
    assert Recording.seen[0] == (Scored(TWO, "best", 0.9), Scored(ONE, "m1", -1.0), Scored(ONE, None, None))


def test_a_parent_that_is_no_member_fails_saying_what_to_fix():
    with pytest.raises(ContractError) as error:
        check_synthesizer(Recording, "nobody", ARITH, population=[Scored(ONE, "c1", 0.5)], count=2)
    message = str(error.value)
    assert message.startswith("synthesizer contract: a Proposal names parent 'nobody', which is not a member id "
                              "of the population (ids: c1)")
    assert "set parent to the id of the member it was made from" in message


def test_a_parent_may_name_a_member_or_nothing():
    check_synthesizer(Recording, "c1", ARITH, population=[Scored(ONE, "c1", 0.5)], count=2)
    with pytest.raises(ContractError, match=r"parent 'm0'.*\(ids: none\)"):
        check_synthesizer(Recording, "m0", ARITH, population=[Scored(ONE, None, None)], count=2)


def _bad_pool(fixture_plugins):
    from framework.plugins import build_registry

    (info,) = [r.info for r in build_registry(paths=["bad_pool_backbone.py"], base_dir=fixture_plugins).all()
               if r.source.endswith("bad_pool_backbone.py")]
    return info


def test_a_backbone_whose_pooled_keeps_the_node_axis_fails_saying_what_to_fix(fixture_plugins):
    from framework.testing import check_backbone

    info = _bad_pool(fixture_plugins)
    assert info.name == "bad-pool"
    with pytest.raises(ContractError) as error:
        check_backbone(info.factory, info.options(), count=3)
    assert re.fullmatch(r"backbone contract: pooled returned \(3, (\d+), 8\) for node states \(3, \1, 8\), "
                        r"expected \(3, 8\) \(\[batch, dim\]\); reduce over the node axis: .*", str(error.value))


@pytest.mark.parametrize(("readout", "problem"), [
    ("infinite", "pooled holds NaN or infinity"),
    ("first-node", "relabelling the nodes changed pooled"),
    ("batch-mean", "a sample's pooled state depends on the batch"),
    ("detached", "no gradient reaches layers.0.linear.weight"),
])
def test_pooled_must_be_finite_symmetric_and_per_sample(readout, problem, fixture_plugins):
    from framework.testing import check_backbone

    info = _bad_pool(fixture_plugins)
    with pytest.raises(ContractError, match=re.escape(problem)):
        # 20 examples: a random relabelling may leave node 0 in place
        check_backbone(info.factory, info.options(readout=readout), count=20, max_nodes=6)


def test_a_sum_readout_passes(fixture_plugins):
    from framework.testing import check_backbone

    info = _bad_pool(fixture_plugins)
    check_backbone(info.factory, info.options(readout="sum"), count=3)


def test_min_sizes_is_public_api_and_the_example_synthesizer_runs_without_the_test_kit():
    import subprocess
    import sys
    from pathlib import Path

    import framework
    import framework.testing

    assert framework.min_sizes is framework.testing.min_sizes and "min_sizes" in framework.__all__
    package = Path(__file__).resolve().parents[2] / "examples" / "third-party" / "framework-shapes"
    loaded = subprocess.run([sys.executable, "-c", "import sys, framework_shapes.hill_climb; "
                             "print(sorted(m for m in sys.modules if m.startswith(('framework.testing', 'hypothesis'))))"],
                            cwd=package, capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"


def test_what_the_guide_says_of_domain_outputs_holds_in_exploration():
    # docs/authoring.md: an output need not be hashable, picklable or comparable; key and equivalent decide
    import random

    from framework import build_port_graph, size
    from framework.explore import explore

    class Unhashable:
        grammar = ARITH

        def evaluate(self, program, grammar):
            return {"size": size(program), "thunk": lambda: program}  # a dict holding a lambda

        def key(self, output):
            return output["size"]

        def equivalent(self, a, b):
            return a["size"] == b["size"]

        def to_graph(self, output):
            return build_port_graph(output["size"] + 1, [(0, n) for n in range(1, output["size"] + 1)])

    class Given:
        def propose(self, grammar, population, budget, rng):
            yield [ARITH.parse(text) for text in ("1", "0", "add(1, 1)", "neg(1)", "add(0, x)")]

    result = explore(Unhashable(), ARITH, [("given", Given())], [], want=10, rng=random.Random(0), budget=10)
    assert [ARITH.print(found.program) for found in result.found] == ["1", "add(1, 1)", "neg(1)"]


def test_the_injector_is_given_a_graph_index_on_the_cpu():
    # docs/authoring.md: the network is built on the CPU and moved whole, so graph tensors must be buffers
    from framework import NoOptions, PluginInfo, build_port_graph, hookimpl
    from framework.networks import build_network
    from framework.plugins import build_registry
    from framework.spec import BackboneChoice, EncoderChoice, InjectorChoice, ModelSection
    from framework.testing import registered

    seen = []

    class Recording:
        @hookimpl
        def register_injectors(self):
            def build(options, graph, dim, max_conn):
                seen.append(graph)
                return built_in.factory(built_in.options(), graph, dim, max_conn)

            return [PluginInfo("recording", "injector", build, NoOptions)]

    with registered(Recording()):
        registry = build_registry()
        built_in = registry.get("injector", "gssnn").info
        model = ModelSection(dim=8, encoder=EncoderChoice("mlp"), injector=InjectorChoice("recording"),
                             backbone=BackboneChoice("gine"))
        build_network(registry, model, (1, 4, 4), build_port_graph(3, [(0, 1), (1, 2)]))
    (graph,) = seen
    assert {tensor.device.type for tensor in (graph.node_ids, graph.edge_index, graph.edge_ports)} == {"cpu"}
