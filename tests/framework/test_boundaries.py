"""Issue 11's observations, one test each: a misbehaving plugin is caught at the boundary it
crosses, named (kind and name), and contained to its stage. The plugins live in
``tests/fixtures/plugins/misbehaving.py``."""

from __future__ import annotations

import importlib.util
import json
import random
from pathlib import Path

import pytest
import torch
from attrs import frozen

from framework import Grammar, PluginFault, Program, Rejection
from framework.cli import main
from framework.explore import explore
from framework.report import read_json
from framework_plugins.graph_domain import GraphDomain, GraphDomainOptions
from tiny_runs import task_cache  # noqa: F401 (an autouse fixture)
from framework_plugins.synthesizers import (
    EnumerativeOptions,
    EnumerativeSynthesizer,
    StochasticOptions,
    StochasticSynthesizer,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "plugins"
GRAPH = Grammar.load_builtin("graph")
DOMAIN = GraphDomain(GraphDomainOptions(equivalence="ported"))


def _fixture_module():
    spec = importlib.util.spec_from_file_location("misbehaving_fixture", FIXTURES / "misbehaving.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MISBEHAVING = _fixture_module()


@frozen
class Member:
    program: Program
    output: object
    id: str
    score: float | None


def member(text: str, id: str, score: float | None) -> Member:
    program = GRAPH.parse(text)
    output = DOMAIN.evaluate(program, GRAPH)
    assert not isinstance(output, Rejection)
    return Member(program, output, id, score)


def _synthesizer(name: str):
    (info,) = [i for i in MISBEHAVING.register_synthesizers() if i.name == name]
    return info.factory(None)


# -- observation 3: garbage from a synthesizer stops it, not the run ----------------


@pytest.mark.parametrize(("name", "reason"), [
    ("yields-strings", "proposed a str ('(push (add (connect identity)))') where a Program is expected"),
    ("yields-a-program", "yielded a Program"),
    ("yields-none-batches", "yielded a NoneType (None) where a list of programs is expected"),
    ("ill-typed", "a str ('identity') where a 't' program is expected"),
    ("unknown-production", "not in the grammar"),
    ("wrong-arity", "'push' takes 1 argument(s), got 0"),
    ("raises", "propose() raised RuntimeError: the synthesizer's own bug"),
    ("not-a-generator", "propose() raised TypeError"),
    ("names-a-stranger", "named parent 'g9-999', which is not a member of the population"),
])
def test_a_synthesizer_breaking_the_proposal_contract_is_stopped_and_the_others_go_on(name, reason):
    result = explore(DOMAIN, GRAPH, [(name, _synthesizer(name)), ("enumerative", EnumerativeSynthesizer())],
                     [], want=3, rng=random.Random(0), budget=5000)
    assert reason in result.stats.stopped[name], result.stats.stopped
    assert result.stats.proposed_by.get(name, 0) == 0  # nothing of a bad batch is evaluated
    assert len(result.found) == 3 and {f.synthesizer for f in result.found} == {"enumerative"}


def test_a_program_of_the_wrong_type_is_refused_before_evaluation():
    arith = Grammar.load_builtin("arith")
    wrong = MISBEHAVING.Garbage(lambda grammar: [Program("lt", (Program("x"), Program("one")))])
    result = explore(DOMAIN, arith, [("bool-for-int", wrong)], [], want=1, rng=random.Random(0), budget=10)
    assert result.stats.stopped == {"bool-for-int": "proposed a program that is not in the grammar ((lt x one)): "
                                                    "'lt' builds a 'bool' where a 'int' is expected"}
    assert result.stats.evaluated == 0


# -- observation 4: time, not only programs, bounds a synthesizer ---------------------


@pytest.mark.parametrize("name", ["empty-forever", "never-yields"])
def test_a_synthesizer_that_hangs_is_stopped_by_its_time_limit(name):
    # the enumeration runs dry (every program of at most 7 nodes) and the hanging one goes on alone
    small = EnumerativeSynthesizer(EnumerativeOptions(max_size=7))
    result = explore(DOMAIN, GRAPH, [(name, _synthesizer(name)), ("enumerative", small)],
                     [], want=1000, rng=random.Random(0), budget=10**6, seconds_by={name: 0.3})
    assert result.stats.stopped == {name: "exceeded its explore_seconds (0.3 s)"}
    assert result.found and result.stats.proposed_by == {"enumerative": result.stats.proposed}


def test_the_whole_exploration_has_a_time_limit():
    result = explore(DOMAIN, GRAPH, [("empty-forever", _synthesizer("empty-forever"))], [], want=3,
                     rng=random.Random(0), budget=5000, seconds=0.3)
    assert result.stats.stopped == {"empty-forever": "stopped when population.explore_seconds (0.3 s) ran out"}
    assert result.found == ()


# -- observation 10: scores reach propose(), parents reach the candidates -------------


def test_propose_receives_the_scored_population_best_first_and_parents_are_recorded():
    from framework.steps import after_exploration

    population = [member("(push (add (connect identity)))", "g0-001", 0.9),
                  member("(push (add (next_port (connect identity))))", "g0-000", 0.4)]
    MISBEHAVING.HillClimb.seen.clear()
    result = explore(DOMAIN, GRAPH, [("hill-climb", _synthesizer("hill-climb"))], population, want=1,
                     rng=random.Random(0), budget=10)
    assert MISBEHAVING.HillClimb.seen == [[("g0-001", 0.9), ("g0-000", 0.4)]]
    (find,) = result.found
    assert find.parent == "g0-001"
    stochastic = explore(DOMAIN, GRAPH, [("stochastic", StochasticSynthesizer(StochasticOptions(mutation_rate=1.0,
                                                                                             crossover_rate=0.0)))],
                         population, want=5, rng=random.Random(0), budget=2000)
    assert stochastic.found and all(f.parent in ("g0-000", "g0-001") for f in stochastic.found)
    explored = after_exploration(result, 1, [], [], GRAPH, DOMAIN)
    assert [c.parent for c in explored.pending] == ["g0-001"]


# -- observation 1: shapes are checked at the first forward --------------------------


def _gssnn(injector_factory, backbone_factory, n_nodes=2, dim=16):
    from framework.nn import GSSNN, GraphIndex
    from framework.nn.testing import port_graph
    from framework import GINEOptions
    from framework_plugins.backbones.gine import build_gine
    from framework_plugins.injectors.gssnn import build_gssnn_injector
    from framework_plugins.injectors.options import GSSNNInjectorOptions

    graph = port_graph(n_nodes)
    index = GraphIndex.from_port_graph(graph)
    injector = (injector_factory or (lambda _, *a: build_gssnn_injector(GSSNNInjectorOptions(), *a)))(
        None, index, dim, graph.max_conn)
    backbone = (backbone_factory or (lambda o, d: build_gine(GINEOptions(), d)))(None, dim)
    return GSSNN(torch.nn.Flatten(), injector, backbone, dim, num_nodes=index.num_nodes)


@pytest.mark.parametrize("n_nodes", [2, 4])
def test_an_injector_whose_shapes_broadcast_is_named_at_the_first_forward(n_nodes):
    model = _gssnn(MISBEHAVING.build_broadcasting_injector, None, n_nodes)
    with pytest.raises(PluginFault, match=rf"node features: shape \(3, {n_nodes + 1}, 16\), "
                                          rf"expected \(3, {n_nodes}, 16\)") as caught:
        model(torch.randn(3, 16))
    assert caught.value.kind == "injector"


def test_shapes_are_checked_once_per_candidate(monkeypatch):
    from framework.nn import model as model_module

    checks = []
    expect = model_module._expect
    monkeypatch.setattr(model_module, "_expect", lambda *args: (checks.append(args[:2]), expect(*args)))
    model = _gssnn(None, None)
    model(torch.randn(3, 16))
    first = len(checks)
    assert first == 5 and model.checked  # encoder, node and message features, node and pooled states
    model(torch.randn(3, 16))
    model(torch.randn(3, 16))
    assert len(checks) == first  # no cost per batch


def test_a_backbone_returning_the_wrong_shape_or_raising_is_named():
    model = _gssnn(None, lambda options, dim: torch.nn.Identity())
    with pytest.raises(PluginFault, match="forward raised TypeError") as caught:
        model(torch.randn(2, 16))
    assert caught.value.kind == "backbone"


# -- observation 2: non-finite eval logits fail the candidate; a NaN score stops selection


def test_a_backbone_that_is_nan_only_in_eval_mode_fails_its_candidate():
    from framework.task import Split, TaskData
    from framework.training import train
    from framework.training_options import TrainingOptions

    g = torch.Generator().manual_seed(0)
    split = lambda n: Split(torch.randn(n, 16, generator=g), (torch.rand(n, generator=g) > 0.5).float())  # noqa: E731
    data = TaskData(split(16), split(8), split(8), input_shape=(16,))
    model = _gssnn(None, MISBEHAVING.build_nan_in_eval_backbone)
    result = train(model, data, TrainingOptions(epochs=1, batch_size=8), device=torch.device("cpu"), seed=0)
    assert result.failed == "train split: 16 of 16 logits are not finite in eval mode"
    assert result.eval_accuracy is None


@pytest.mark.parametrize(("mode", "message"), [("nan", "score() returned nan for c1; it must be a finite number"),
                                                ("raise", "score() raised KeyError: 'select_f2' (scoring c1)")])
def test_a_selector_score_must_be_a_finite_number(monkeypatch, mode, message):
    from framework.graph import PortGraph
    from framework.run_state import Candidate, Scores
    from framework.steps import rank

    monkeypatch.setenv("MISBEHAVING_SELECTOR", mode)
    candidate = Candidate("c1", "identity", PortGraph((), 1, 1), 1, 0, "x", scores=Scores(0.5, None, 0.5, 0.5, None,
                                                                                           0.5, 0.1))
    with pytest.raises(PluginFault, match=message.replace("(", r"\(").replace(")", r"\)")) as caught:
        rank([candidate], MISBEHAVING.SwitchableSelector().score)
    assert caught.value.kind == "selector"


# -- runs: each stage contained ------------------------------------------------------

SPEC = """
[run]
name = "boundaries"
seed = 0
generations = {generations}
device = "cpu"

[domain]
plugin = "{domain}"
equivalence = "ported"

[task]
plugin = "synthetic"
side = 8
train = 16
select = 8
eval = 8

{synthesizers}

[library]
enabled = false

[model]
dim = 16
encoder = {{plugin = "{encoder}"}}
injector = {{plugin = "{injector}"}}
backbone = {{plugin = "gine", depth = 1}}

[training]
epochs = 1
batch_size = 8

[population]
size = 3
keep = 2
explore_budget = 5000
selector = "{selector}"

[baseline]
runs = 0

[plugins]
paths = {paths}
"""

ENUMERATIVE = '[[synthesizers]]\nplugin = "enumerative"\nmax_size = 10\n'


def _spec(tmp_path: Path, *, generations=1, domain="graph", synthesizers=ENUMERATIVE, encoder="mlp",
          injector="gssnn", selector="train-accuracy", plugins=()) -> Path:
    paths = [str(FIXTURES / "misbehaving.py"), *(str(FIXTURES / p) for p in plugins)]
    path = tmp_path / "spec.toml"
    path.write_text(SPEC.format(generations=generations, domain=domain, synthesizers=synthesizers, encoder=encoder,
                                injector=injector, selector=selector, paths=json.dumps(paths)))
    return path


@pytest.mark.parametrize(("model", "message"), [
    ({"injector": "broadcasting"}, "model: injector 'broadcasting': node features: shape (1, 3, 16), "
                                   "expected (1, 2, 16) ([batch, 2 nodes, model.dim]) (pre-flight on a two-node graph)"),
    ({"encoder": "narrow"}, "model: encoder 'narrow': output: shape (1, 15), expected (1, 16) ([batch, model.dim])"),
])
def test_the_pre_flight_names_the_plugin_whose_output_shape_was_wrong(tmp_path, capsys, model, message):
    assert main(["run", str(_spec(tmp_path, **model)), "--out", str(tmp_path / "run")]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert message in err
    assert "Traceback" not in err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("domain", ["half-edges", "over-ports"])
def test_a_domain_graph_breaking_the_port_graph_invariants_fails_its_candidate(tmp_path, domain):
    # every candidate fails, so the run exits 1 (a run with no successful network is a failure)
    assert main(["run", str(_spec(tmp_path, domain=domain)), "--out", str(tmp_path / "run")]) == 1
    state = read_json(tmp_path / "run" / "checkpoint.json")
    trained = state["survivors"] + state["discarded"]
    assert len(trained) == 3
    expected = "is not stored under" if domain == "half-edges" else "outside 0..9"
    for candidate in trained:
        failed = candidate["scores"]["failed"]
        assert failed.startswith(f"domain {domain!r}: to_graph built an invalid PortGraph: ") and expected in failed


def test_a_failing_selector_stops_the_run_before_selection_and_it_resumes(tmp_path, capsys, monkeypatch):
    spec = _spec(tmp_path, selector="switchable")
    monkeypatch.setenv("MISBEHAVING_SELECTOR", "nan")
    assert main(["run", str(spec), "--out", str(tmp_path / "run")]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert "selector 'switchable': score() returned nan for g0-000; it must be a finite number" in err
    assert "the run stopped before selecting generation 0" in err and "--resume" in err
    assert "Traceback" not in err
    state = read_json(tmp_path / "run" / "checkpoint.json")
    assert state["phase"] == "train" and all(c["scores"] for c in state["pending"])
    assert not (tmp_path / "run" / "population" / "g0.jsonl").exists()
    monkeypatch.setenv("MISBEHAVING_SELECTOR", "ok")
    assert main(["run", str(spec), "--out", str(tmp_path / "run"), "--resume"]) == 0
    assert read_json(tmp_path / "run" / "checkpoint.json")["phase"] == "done"


def test_garbage_hangs_and_raising_reporters_are_contained_and_the_run_goes_on(tmp_path, capsys):
    synthesizers = "\n".join(f'[[synthesizers]]\nplugin = "{name}"\n{extra}' for name, extra in (
        ("ill-typed", ""), ("never-yields", "explore_seconds = 1\n"), ("hill-climb", "")))
    spec = _spec(tmp_path, generations=2, synthesizers=synthesizers + "\n" + ENUMERATIVE,
                 plugins=["raising_reporter.py"])
    assert main(["run", str(spec), "--out", str(tmp_path / "run")]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert err.count("synthesizer 'ill-typed' stopped for this generation") == 2  # once per generation
    assert "synthesizer 'never-yields' stopped for this generation: exceeded its explore_seconds (1 s)" in err
    assert "failed in on_generation_end: RuntimeError: cannot draw generation 0 (the run goes on)" in err
    assert "failed in on_run_end: RuntimeError: cannot write the report" in err
    run = tmp_path / "run"
    assert (run / "plots" / "g1.png").is_file() and (run / "summary.json").is_file()  # the other reporters ran
    state = read_json(run / "checkpoint.json")
    for record in state["history"]:
        stopped = record["explored"]["stopped"]
        assert "a str ('identity') where a 't' program is expected" in stopped["ill-typed"]
        assert stopped["never-yields"] == "exceeded its explore_seconds (1 s)"
    everyone = {c["id"]: c for c in state["survivors"] + state["discarded"]}
    climbed = [c for c in everyone.values() if c["synthesizer"] == "hill-climb" and c["generation"] == 1]
    assert climbed and all(c["parent"] in everyone and everyone[c["parent"]]["generation"] == 0 for c in climbed)


# -- a domain that raises: the program it fails on is rejected, named, counted ----------


def _breaking_domain(name: str):
    spec = importlib.util.spec_from_file_location("breaking_domain_fixture", FIXTURES / "breaking_domain.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.BREAKING[name](GraphDomainOptions(equivalence="ported"))


@pytest.mark.parametrize(("name", "fault"), [
    ("next-port-unknown", "evaluate() raised KeyError: 'next_port'"),
    ("port-zero-reserved", "to_graph() raised ValueError: port 0 is reserved"),
])
def test_a_domain_raising_on_some_programs_rejects_those_and_exploration_goes_on(name, fault):
    domain = _breaking_domain(name)
    result = explore(domain, GRAPH, [("enumerative", EnumerativeSynthesizer())], [], want=3,
                     rng=random.Random(0), budget=5000)
    stats = result.stats
    assert list(stats.faults) == [fault] and stats.faults[fault] > 0
    assert len(result.found) == 3 and stats.stopped == {}
    assert stats.evaluated == sum(stats.rejected.values()) + stats.duplicates + stats.found + stats.faults[fault]
    for find in result.found:
        assert find.graph == find.output
        assert "next_port" not in GRAPH.print(find.program) if name == "next-port-unknown" else \
            all(port != 0 for _, port, _, _ in find.graph.edges)


def test_to_graph_must_return_a_port_graph():
    result = explore(_breaking_domain("graph-as-dict"), GRAPH, [("enumerative", EnumerativeSynthesizer())], [],
                     want=2, rng=random.Random(0), budget=200)
    assert result.found == ()
    assert result.stats.faults == {"to_graph() returned a dict where a framework.PortGraph is expected":
                                   result.stats.evaluated - result.stats.duplicates - sum(result.stats.rejected.values())}


def test_a_domain_raising_on_some_programs_is_named_once_per_generation_and_the_run_goes_on(tmp_path, capsys):
    spec = _spec(tmp_path, generations=2, domain="next-port-unknown", plugins=["breaking_domain.py"])
    assert main(["run", str(spec), "--out", str(tmp_path / "run")]) == 0
    err = " ".join(capsys.readouterr().err.split())
    line = "domain 'next-port-unknown': evaluate() raised KeyError: 'next_port' ("
    assert err.count(line) == 2 and "programs rejected)" in err  # once per generation
    assert "Traceback" not in err
    state = read_json(tmp_path / "run" / "checkpoint.json")
    for record in state["history"]:
        assert list(record["explored"]["faults"]) == ["evaluate() raised KeyError: 'next_port'"]
    assert all("next_port" not in c["program"] for c in state["survivors"] + state["discarded"])
    assert state["survivors"]


@pytest.mark.parametrize(("domain", "fault"), [
    ("cannot-evaluate", "evaluate() raised RuntimeError: the interpreter is not installed"),
    ("cannot-graph", "to_graph() raised NotImplementedError: to_graph is still to write"),
])
def test_a_domain_failing_on_everything_says_why_and_the_run_fails(tmp_path, capsys, domain, fault):
    spec = _spec(tmp_path, domain=domain, plugins=["breaking_domain.py"])
    assert main(["run", str(spec), "--out", str(tmp_path / "run")]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert "no new programs: all 5000 proposals were" in err and "or failed in the domain (" in err
    assert f"domain {domain!r}: {fault} (" in err
    assert "no candidate trained successfully" in err and "Traceback" not in err
    (record,) = read_json(tmp_path / "run" / "checkpoint.json")["history"]
    assert list(record["explored"]["faults"]) == [fault] and record["candidates"] == []


def test_a_reporter_whose_domain_drawing_raises_is_a_warning_and_the_run_goes_on(tmp_path, capsys):
    spec = _spec(tmp_path, generations=2, domain="draw-raises", plugins=["draw_raising_domain.py"])
    assert main(["run", str(spec), "--out", str(tmp_path / "run")]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert err.count("failed in on_generation_end: RuntimeError: graphviz is not installed (the run goes on)") == 2
    assert "Traceback" not in err
    assert read_json(tmp_path / "run" / "checkpoint.json")["phase"] == "done"


def test_a_generation_that_finds_nothing_says_why():
    from framework.run_state import Exploration
    from framework.steps import why_nothing

    stopped = Exploration(stopped={"ill-typed": "proposed a str"})
    assert why_nothing(stopped, 3) == "synthesizer 'ill-typed' proposed a str; no synthesizer proposed a program"
    dry = Exploration(proposed=10, evaluated=8, rejected={"not connected": 5}, duplicates=3)
    assert why_nothing(dry, 3) == ("all 10 proposals were repeats (2), duplicates (3) or rejected by the domain "
                                   "(5 not connected)")
    assert why_nothing(Exploration(), 0) == "the population is full"
    faulted = Exploration(proposed=10, evaluated=10, duplicates=2, faults={"evaluate() raised KeyError: 'x'": 8})
    assert why_nothing(faulted, 3, "flaky") == ("all 10 proposals were repeats (0), duplicates (2), rejected by the "
                                                "domain (0) or failed in the domain (8); domain 'flaky': evaluate() "
                                                "raised KeyError: 'x' (8 programs rejected)")
