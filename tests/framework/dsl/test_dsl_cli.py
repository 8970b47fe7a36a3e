"""``framework dsl eval|check|draw`` run in-process, on the real graph domain plugin."""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import time

import pytest

from framework import Production
from framework.cli.dsl import add_commands
from framework.dsl.sexp import read_program


@pytest.fixture(autouse=True)
def only_the_graph_domain(monkeypatch):
    """Load just the graph domain's entry point: these tests need no other plugin."""
    monkeypatch.setenv("FRAMEWORK_LOAD_PLUGINS", "graph_domain")


def run(argv: list[str], stdin: str = "") -> int:
    parser = argparse.ArgumentParser(prog="framework dsl")
    add_commands(parser.add_subparsers())
    args = parser.parse_args(argv)
    old = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode()))
    try:
        return args.handler(args)
    finally:
        sys.stdin = old


def output_lines(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


@pytest.mark.parametrize("syntax, field", [("sexp", "program"), ("original", "original_program")])
def test_eval_reproduces_every_archived_graph(records, capsys, syntax, field):
    programs = "".join(r[field] + "\n" for r in records)
    assert run(["eval", "--domain", "graph", "--syntax", syntax], stdin=programs) == 0
    assert output_lines(capsys) == [r["output"] for r in records]


def test_eval_reads_a_file_and_reports_errors_per_line(tmp_path, capsys):
    path = tmp_path / "programs.txt"
    path.write_text("(push (add (connect identity)))\n\n(push (jump identity))\nidentity\n(push (add identity))\n")
    assert run(["eval", str(path)]) == 0
    lines = output_lines(capsys)
    assert lines[0] == {"edges": [[[1, 0], [2, 0]], [[0, 0], [2, 1]]], "next_id": 3, "size": 2, "max_conn": 10}
    assert lines[1]["error"].startswith(f"{path}:3:8: unexpected character 'j'")
    assert lines[2]["error"] == "single node"
    assert lines[3]["error"] == "not connected"
    assert len(lines) == 4  # the blank line is skipped


def test_eval_with_a_saved_grammar_version(graph_grammar, tmp_path, capsys):
    version = graph_grammar.with_inventions(
        [graph_grammar.make_invention("inv1_0", read_program("(push (add (connect #0)))"))])
    version.save(tmp_path / "g1.lark")
    run(["eval", "--grammar", str(tmp_path / "g1.lark")], stdin="(inv1_0 (next_port (inv1_0 identity)))\n")
    direct = run(["eval"], stdin="(push (add (connect (next_port (push (add (connect identity)))))))\n")
    inventions, expanded = output_lines(capsys)
    assert direct == 0 and inventions == expanded and "edges" in inventions


@pytest.mark.parametrize("body", ["(d{k} (d{k} #0))", "(func (d{k} #0) (d{k} #0))"])
def test_pathological_program_is_rejected_by_the_budget(graph_grammar, tmp_path, body):
    """A chain of doubling inventions: 2^40 (or doubly exponential) base steps from a short text."""
    inventions = [Production("d1", "t", ("t",), read_program("(func #0 #0)"))] + [
        Production(f"d{k + 1}", "t", ("t",), read_program(body.format(k=k))) for k in range(1, 40)
    ]
    graph_grammar.with_inventions(inventions).save(tmp_path / "hostile.lark")
    (tmp_path / "program.txt").write_text("(push (add (connect (d40 identity))))\n")
    command = [sys.executable, "-c", "import sys; from framework.cli import main; sys.exit(main(sys.argv[1:]))",
               "dsl", "eval", "--grammar", str(tmp_path / "hostile.lark"), str(tmp_path / "program.txt")]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "FRAMEWORK_LOAD_PLUGINS": "graph_domain"})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["error"] == "budget exceeded"
    assert time.perf_counter() - start < 60  # rejected by counting steps, never hung


def test_check_valid_and_invalid_grammars(tmp_path, capsys):
    from framework import GrammarError
    from framework.dsl.grammar import grammars_dir

    assert run(["check", str(grammars_dir() / "arith.lark"), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["start"] == "int" and summary["nonterminals"] == ["int", "bool"]
    bad = tmp_path / "bad.lark"
    bad.write_text('e: "a" -> a\n | "(" e ")"\n')
    with pytest.raises(GrammarError) as info:
        run(["check", str(bad)])
    assert str(info.value).startswith(f"{bad}:2:4: ") and info.value.exit_code == 2


def test_draw_svg_is_deterministic_and_png_is_written(records, tmp_path, capsys):
    program = records[2]["program"]
    assert run(["draw", program, "-o", str(tmp_path / "a.svg")]) == 0
    assert run(["draw", "-", "-o", str(tmp_path / "b.svg")], stdin=program) == 0
    svg = (tmp_path / "a.svg").read_text()
    assert svg == (tmp_path / "b.svg").read_text()
    assert svg.count("<circle") == records[2]["output"]["size"]
    assert ">11:5</text>" in svg  # edge id 11 at port 5
    assert run(["draw", records[2]["original_program"], "--syntax", "original", "-o",
                str(tmp_path / "c.png")]) == 0
    assert (tmp_path / "c.png").read_bytes().startswith(b"\x89PNG")


def test_draw_rejected_program_is_an_error(tmp_path):
    from framework.errors import FrameworkError

    with pytest.raises(FrameworkError, match="rejected by domain 'graph': single node"):
        run(["draw", "identity", "-o", str(tmp_path / "x.svg")])
    assert not (tmp_path / "x.svg").exists()


def test_wired_into_the_framework_command(records, capsys, monkeypatch):
    from framework.cli import main

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO((records[0]["program"] + "\n").encode())))
    assert main(["dsl", "eval", "--domain", "graph"]) == 0
    assert output_lines(capsys) == [records[0]["output"]]
