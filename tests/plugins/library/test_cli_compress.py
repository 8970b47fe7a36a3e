"""``framework dsl compress`` end to end, in-process, with ``dsl eval`` reading its grammar back."""

from __future__ import annotations

import json

import pytest

import framework.cli as cli
from framework import Grammar, PortGraph

GRAPH = Grammar.load_builtin("graph")
PROGRAMS = [
    "(push (add (connect (next_port (push (add (connect identity)))))))",
    "(push (add (connect (next_port (push (add (connect (pop (add (next_port (connect identity)))))))))))",
    "(push (func (add (connect identity)) (next_port (add (connect (next_port (push (add (connect identity)))))))))",
]


@pytest.fixture(autouse=True)
def only_the_plugins_involved(monkeypatch):
    """Load the learner and the domain only: the neural plugins would import torch."""
    monkeypatch.setenv("FRAMEWORK_LOAD_PLUGINS", "library,graph_domain")


@pytest.fixture
def programs_file(tmp_path):
    path = tmp_path / "programs.txt"
    path.write_text("\n".join(PROGRAMS[:2]) + "\n\n" + PROGRAMS[2] + "\n")
    return path


def test_compress_then_eval_round_trip(tmp_path, programs_file, capsys):
    out = tmp_path / "graph.v1.lark"
    assert cli.main(["dsl", "compress", "--domain", "graph", "--out", str(out), str(programs_file)]) == 0
    captured = capsys.readouterr()
    rewritten = captured.out.splitlines()
    assert len(rewritten) == 3
    assert "inv_0 : t -> t = " in captured.err and "compression ratio" in captured.err
    grammar = Grammar.load(out)
    assert grammar.inventions and any("inv_" in line for line in rewritten)
    assert [grammar.expand(grammar.parse(line)) for line in rewritten] == [GRAPH.parse(p) for p in PROGRAMS]

    (tmp_path / "rewritten.txt").write_text(captured.out)
    assert cli.main(["dsl", "eval", "--grammar", str(out), str(tmp_path / "rewritten.txt")]) == 0
    after = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert cli.main(["dsl", "eval", str(programs_file)]) == 0
    before = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert after == before
    assert [PortGraph.from_json(r).size for r in after] == [3, 4, 4]


def test_options_and_stdin(tmp_path, monkeypatch, capsys):
    import io

    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(("\n".join(PROGRAMS) + "\n").encode())))
    out = tmp_path / "g.lark"
    argv = ["dsl", "compress", "--out", str(out), "--option", "iterations=1", "--option", "max_arity=0"]
    assert cli.main(argv) == 0
    grammar = Grammar.load(out)
    assert len(grammar.inventions) == 1 and grammar.inventions[0].arity == 0


def test_errors_name_the_line_and_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_text(PROGRAMS[0] + "\n(push (jump identity))\n")
    out = tmp_path / "g.lark"
    assert cli.main(["dsl", "compress", "--out", str(out), str(bad)]) == 2
    assert f"{bad}:2:" in capsys.readouterr().err
    assert not out.exists()
    assert cli.main(["dsl", "compress", "--out", str(out), "--option", "iterations=0", str(bad)]) == 2


def test_seed_lambda_syntax_in(tmp_path, capsys):
    """The seed's archives (inline ``{fn_k}`` inventions) compress straight from their own syntax."""
    from conformance_data import records as conformance_records

    records = conformance_records()[:12]
    programs = tmp_path / "original.txt"
    programs.write_text("".join(record["original_program"] + "\n" for record in records))
    out = tmp_path / "g.lark"
    assert cli.main(["dsl", "compress", "--syntax", "original", "--out", str(out), str(programs)]) == 0
    grammar = Grammar.load(out)
    rewritten = [grammar.parse(line) for line in capsys.readouterr().out.splitlines()]
    assert [grammar.expand(p) for p in rewritten] == [GRAPH.parse(r["program"]) for r in records]


def test_option_errors_read_as_in_a_spec(tmp_path, programs_file, capsys):
    out = tmp_path / "g.lark"
    argv = ["dsl", "compress", "--out", str(out), str(programs_file)]
    assert cli.main([*argv, "--option", "iterations=x", "--option", "max_arty=1"]) == 2
    err = capsys.readouterr().err
    assert "library_learner plugin 'stitch'" in err
    assert '--option iterations: expected an integer, got "x"' in err
    assert "--option max_arty: unknown key (did you mean 'max_arity'?)" in err
    assert cli.main([*argv, "--option", 'iterations="3"']) == 2  # a TOML string is not an integer
    assert '--option iterations: expected an integer, got "3"' in capsys.readouterr().err
    assert cli.main([*argv, "--learner", "nope"]) == 2
    assert "unknown library_learner plugin 'nope'; available: stitch" in capsys.readouterr().err
    assert not out.exists()


def _deep(levels: int) -> str:
    return "(push " + "(add " * levels + "identity" + ")" * (levels + 1)


def test_deep_programs_are_refused_at_once_naming_the_line_and_the_limit(tmp_path, programs_file, capsys):
    """Issue 12 item 9: two 3000-deep programs ran stitch for minutes; 1000 deep raised RecursionError."""
    deep = tmp_path / "deep.txt"
    deep.write_text(PROGRAMS[0] + "\n" + _deep(3000) + "\n" + _deep(3000) + "\n")
    out = tmp_path / "g.lark"
    assert cli.main(["dsl", "compress", "--domain", "graph", "--out", str(out), str(deep)]) == 2
    err = capsys.readouterr().err
    assert f"{deep}:2: 3002 levels deep, deeper than the stitch learner's max_depth 100" in err
    assert "Traceback" not in err and not out.exists()
    assert cli.main(["dsl", "compress", "--domain", "graph", "--out", str(out), "--option", "max_depth=5000",
                     str(deep)]) == 2
    assert "max_depth" in capsys.readouterr().err and not out.exists()


def test_the_engine_s_library_step_skips_deep_programs_with_a_reason():
    from framework.run_state import Candidate
    from framework.spec import LibraryChoice
    from framework.steps import learn
    from framework_plugins.library import StitchLearner

    survivor = Candidate("c0", _deep(1000), PortGraph(edges=(), next_id=1, size=0), 1002, 0, "test")
    learned = learn(GRAPH, [survivor], StitchLearner(), LibraryChoice(reweight=False), None)
    assert learned.library_error.startswith("library_learner 'stitch': program 0: 1002 levels deep"), \
        learned.library_error
    assert learned.grammar is GRAPH
