"""Every built-in plugin passes its kind's contract suite from framework.testing (the kit authors use)."""

from __future__ import annotations

import pytest

from framework import Grammar
from framework.plugins import build_plugin, build_registry
from framework.testing import (
    check_backbone,
    check_domain,
    check_encoder,
    check_executor,
    check_injector,
    check_library_learner,
    check_probe,
    check_selector,
    check_synthesizer,
    check_task,
)

REGISTRY = build_registry()
GRAPH = Grammar.load_builtin("graph")
GRAPH_PROGRAM = "(push (add (connect identity)))"
LIBRARY_INPUTS = (
    "(func (move identity) (push (add (connect identity))))",
    "(func (pop (next_port identity)) (push (add (prev_port identity))))",
    "(func (connect identity) (push (add (move (pop identity)))))",
    "(next_port (func (prev_port identity) (push (add identity))))",
)


def _built_ins(kind):
    return [pytest.param(REGISTRY.get(kind, name).info, id=name) for name in REGISTRY.names(kind)
            if not name.startswith("dgl-")]  # the DGL backbones are checked in the DGL environment


@pytest.mark.parametrize("info", _built_ins("backbone"))
def test_backbones(info):
    check_backbone(info.factory, info.options(depth=2, dropout=0.0))


@pytest.mark.parametrize("info", _built_ins("injector"))
def test_injectors(info):
    check_injector(info.factory, info.options())


@pytest.mark.parametrize("info", _built_ins("encoder"))
def test_encoders(info):
    check_encoder(info.factory, info.options())


@pytest.mark.parametrize("info", _built_ins("domain"))
def test_domains(info):
    check_domain(info.factory, info.options(), known=[GRAPH_PROGRAM])


@pytest.mark.parametrize("info", _built_ins("synthesizer"))
def test_synthesizers(info):
    check_synthesizer(info.factory, info.options(), GRAPH, population=[GRAPH.parse(GRAPH_PROGRAM)],
                      domain=build_plugin(build_registry(), "domain", "graph"))


@pytest.mark.parametrize("info", _built_ins("selector"))
def test_selectors(info):
    check_selector(info.factory, info.options())


@pytest.mark.parametrize("info", _built_ins("executor"))
def test_executors(info):
    if info.name == "ray":
        pytest.importorskip("ray")
    check_executor(info.factory, info.options())


@pytest.mark.parametrize("info", [p for p in _built_ins("task") if p.id == "synthetic"])
def test_tasks(info, tmp_path):
    check_task(info.factory, info.options(train=16, select=8, eval=8), tmp_path)


@pytest.mark.parametrize("info", _built_ins("library_learner"))
def test_library_learners(info):
    domain = REGISTRY.get("domain", "graph").info
    programs = [GRAPH.parse(text) for text in LIBRARY_INPUTS]
    check_library_learner(info.factory, info.options(), GRAPH, programs, domain=domain.factory(domain.options()))


#: A small task for the probes that read one (``subnetwork``: its second target is another pattern).
TINY_TASK = {"plugin": "synthetic", "side": 8, "train": 16, "select": 8, "eval": 8}
#: Every built-in probe's options (kept small: few resamples and steps) and check_probe arguments.
PROBES = {
    "ablation": ({"resamples": 50, "shuffles": 2}, {}),
    "subnetwork": ({"other": {**TINY_TASK, "pattern": "orientation"}, "steps": 5}, {"task": TINY_TASK, "count": 2}),
}


@pytest.mark.parametrize("info", _built_ins("probe"))
def test_probes(info, tmp_path):
    options, arguments = PROBES[info.name]
    check_probe(info.factory, info.options(**options), method=info.name, cache_dir=tmp_path, **arguments)


#: Broken fixture plugin -> (the suite that must reject it, what its message must say).
BROKEN = {
    "broken_backbone.py": ("backbone", "relabelling the nodes changed the output", "never from node positions"),
    "broken_injector.py": ("injector", "node features have shape (3, ", "return one row per node of the graph"),
    "broken_synthesizer.py": ("synthesizer", "a batch is Program", "a single program goes in a list"),
}


@pytest.mark.parametrize("fixture", sorted(BROKEN))
def test_broken_plugins_fail_their_suite_saying_what_to_fix(fixture, fixture_plugins):
    from framework.testing import ContractError

    kind, problem, fix = BROKEN[fixture]
    (info,) = [r.info for r in build_registry(paths=[fixture], base_dir=fixture_plugins).all()
               if r.source.endswith(fixture)]
    suite = {"backbone": check_backbone, "injector": check_injector,
             "synthesizer": lambda f, o: check_synthesizer(f, o, GRAPH, population=[GRAPH.parse(GRAPH_PROGRAM)])}
    with pytest.raises(ContractError) as error:
        suite[kind](info.factory, info.options())
    message = str(error.value)
    assert message.startswith(f"{kind} contract: ") and problem in message and fix in message


#: Breaking fixture domain (tests/fixtures/plugins/breaking_domain.py) -> what check_domain's message must say.
BREAKING_DOMAINS = {
    "next-port-unknown": "evaluate raised KeyError ('next_port') on '(",
    "cannot-graph": "to_graph raised NotImplementedError (to_graph is still to write) on '(",
    "graph-as-dict": "to_graph returned dict",
}


@pytest.mark.parametrize("name", sorted(BREAKING_DOMAINS))
def test_a_raising_domain_fails_the_domain_suite_saying_what_to_fix(name, fixture_plugins):
    from framework.testing import ContractError

    info = build_registry(paths=["breaking_domain.py"], base_dir=fixture_plugins).get("domain", name).info
    with pytest.raises(ContractError) as error:
        check_domain(info.factory, info.options(), known=[GRAPH_PROGRAM, "(next_port " + GRAPH_PROGRAM + ")"])
    message = str(error.value)
    assert message.startswith("domain contract: ") and BREAKING_DOMAINS[name] in message
    assert "never raise" in message or "return a framework.PortGraph" in message


#: Broken fixture probe (tests/fixtures/plugins/broken_probe.py) -> what check_probe's message must say.
BROKEN_PROBES = {
    "mutating": ("run changed the network's head.weight", "probe a copy (copy.deepcopy(subject.module))"),
    "unseeded": ("two runs on the same subject gave different reports", "draw every random choice from subject.seed"),
    "unranked": ("the parts are not in rank order", "return rank(parts)"),
    "tensor-details": ("the report is not JSON data", "tensor.tolist()"),
    "returns-a-dict": ("run returned dict", "return framework.ProbeReport(method, subject.candidate"),
}


@pytest.mark.parametrize("name", sorted(BROKEN_PROBES))
def test_broken_probes_fail_the_probe_suite_saying_what_to_fix(name, fixture_plugins):
    from framework.testing import ContractError

    problem, fix = BROKEN_PROBES[name]
    info = build_registry(paths=["broken_probe.py"], base_dir=fixture_plugins).get("probe", name).info
    with pytest.raises(ContractError) as error:
        check_probe(info.factory, info.options(), method=name, count=3)
    message = str(error.value)
    assert message.startswith("probe contract: ") and problem in message and fix in message
