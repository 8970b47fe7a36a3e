"""``framework dsl enumerate / sample / reweight``, run in-process through their parser."""

from __future__ import annotations

import argparse
import io
import itertools
import math

import pytest

from framework import Grammar, UsageError
from framework.cli import synthesis as cli_synthesis
from framework.dsl.heap_search import HeapSearch
from framework.dsl.pcfg import compile_table, reweight
from framework.dsl.grammar import grammars_dir

GRAPH_FILE = str(grammars_dir() / "graph.lark")
ARITH_FILE = str(grammars_dir() / "arith.lark")


def run(argv: list[str], stdin: str = "", monkeypatch=None) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="framework dsl")
    cli_synthesis.add_commands(parser.add_subparsers())
    args = parser.parse_args(argv)
    out, err = io.StringIO(), io.StringIO()
    if monkeypatch is not None:
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
    kwargs = {"err": err} if argv[0] == "reweight" else {}
    code = args.handler(args, out=out, **kwargs)
    return code, out.getvalue(), err.getvalue()


def test_enumerate_streams_the_heap_search_order():
    code, out, _ = run(["enumerate", "--grammar", ARITH_FILE, "--count", "3000", "--max-size", "9"])
    assert code == 0
    lines = [line.split("\t") for line in out.splitlines()]
    assert len(lines) == 3000
    logprobs = [float(lp) for lp, _ in lines]
    assert all(a >= b for a, b in zip(logprobs, logprobs[1:]))
    texts = [text for _, text in lines]
    assert len(set(texts)) == len(texts)
    grammar = Grammar.load(ARITH_FILE)
    expected = itertools.islice(HeapSearch(compile_table(grammar), 9), 3000)
    assert [(lp, grammar.parse(t)) for lp, t in zip(logprobs, texts)] == list(expected)


def test_enumerate_defaults_to_the_domain_grammar(monkeypatch):
    monkeypatch.setenv("FRAMEWORK_LOAD_PLUGINS", "graph_domain")
    code, out, _ = run(["enumerate", "--domain", "graph", "--count", "2"])
    assert code == 0
    lines = [line.split("\t") for line in out.splitlines()]
    assert [text for _, text in lines] == ["identity", "(next_port identity)"]
    assert [float(lp) for lp, _ in lines] == pytest.approx([math.log(0.1), 2 * math.log(0.1)])


def test_sample_is_seeded_and_grammatical():
    first = run(["sample", "--grammar", ARITH_FILE, "--count", "30", "--seed", "4", "--max-size", "8"])[1]
    again = run(["sample", "--grammar", ARITH_FILE, "--count", "30", "--seed", "4", "--max-size", "8"])[1]
    other = run(["sample", "--grammar", ARITH_FILE, "--count", "30", "--seed", "5", "--max-size", "8"])[1]
    assert first == again != other
    grammar = Grammar.load(ARITH_FILE)
    assert len(first.splitlines()) == 30
    for line in first.splitlines():
        grammar.check(grammar.parse(line))
    with pytest.raises(UsageError, match="temperature"):
        run(["sample", "--grammar", ARITH_FILE, "--temperature", "0"])


def test_reweight_writes_a_loadable_grammar_version(tmp_path, monkeypatch):
    programs = "(push (add (connect identity)))\n\n(push (push identity))\n"
    out_file = tmp_path / "graph.v2.lark"
    code, out, err = run(["reweight", "--grammar", GRAPH_FILE, "--out", str(out_file), "--max-diff", "0.5"],
                         stdin=programs, monkeypatch=monkeypatch)
    assert code == 0 and "2 program(s)" in err
    graph = Grammar.load(GRAPH_FILE)
    expected = reweight(graph, [graph.parse(line) for line in programs.split("\n") if line],
                        smoothing=1.0, max_diff=0.5)
    written = Grammar.load(out_file)
    assert dict(written.logprobs) == pytest.approx(dict(expected.logprobs), abs=1e-12)
    assert written.logprobs["push"] > written.logprobs["move"]
    assert out.splitlines()[0] == f"identity\t{written.logprobs['identity']!r}"


def test_reweight_reports_the_bad_line(tmp_path, monkeypatch):
    with pytest.raises(UsageError, match=r"<stdin>:2:\d+: unexpected end of input"):
        run(["reweight", "--grammar", GRAPH_FILE, "--out", str(tmp_path / "g.lark")],
            stdin="identity\n(push identity\n", monkeypatch=monkeypatch)
    assert not (tmp_path / "g.lark").exists()


def test_sizes_and_counts_are_validated():
    with pytest.raises(SystemExit):
        run(["enumerate", "--grammar", GRAPH_FILE, "--max-size", "0"])
    with pytest.raises(SystemExit):
        run(["sample", "--grammar", GRAPH_FILE, "--count", "0"])


def test_wired_into_the_framework_command(capsys):
    from framework.cli import main

    assert main(["dsl", "enumerate", "--grammar", GRAPH_FILE, "--count", "3"]) == 0
    assert [line.split("\t")[1] for line in capsys.readouterr().out.splitlines()] == [
        "identity", "(next_port identity)", "(prev_port identity)"]
    assert main(["dsl", "sample", "--grammar", GRAPH_FILE, "--temperature", "-1"]) == 2
    assert "temperature must be" in capsys.readouterr().err
