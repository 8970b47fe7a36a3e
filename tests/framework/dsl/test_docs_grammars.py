"""docs/grammars.md stays true: its example plugin and grammar are the tested files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from framework import Program, Rejection, size
from framework.dsl.grammar import grammars_dir
from framework.dsl.version_file import GENERATED_MARK
from framework.dsl.sexp import read_program
from framework.plugins import build_plugin, build_registry

HERE = Path(__file__).resolve().parent
DOC = (HERE.parents[2] / "docs" / "grammars.md").read_text()


def code_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC, flags=re.DOTALL)


def test_the_example_plugin_in_the_docs_is_the_tested_file():
    assert (HERE / "arith_domain.py").read_text() in code_blocks("python")


def test_the_arith_grammar_in_the_docs_is_the_shipped_file():
    shipped = (grammars_dir() / "arith.lark").read_text()
    rules = shipped[shipped.index("int:"):]
    assert rules in code_blocks("lark")


def test_the_version_encoding_in_the_docs_matches_the_writer():
    assert GENERATED_MARK in DOC


@pytest.fixture
def arith_domain(monkeypatch):
    monkeypatch.setenv("FRAMEWORK_LOAD_PLUGINS", "")  # no entry points: just the example file
    registry = build_registry(paths=[HERE / "arith_domain.py"])
    return build_plugin(registry, "domain", "arith")


def test_the_example_domain_evaluates(arith_domain):
    g = arith_domain.grammar
    assert arith_domain.evaluate(g.parse("if(lt(x, 1), add(x, x), neg(x))"), g) == (-4, -2, 0, -1, -2, -3)
    g1 = g.with_inventions([g.make_invention("dbl", read_program("(add #0 #0)"))])
    assert arith_domain.evaluate(g1.parse("(dbl mul(x, x))"), g1) == (8, 2, 0, 2, 8, 18)


def test_the_example_domain_rejects_by_budget(arith_domain):
    g = arith_domain.grammar
    program = Program("x")
    for _ in range(3000):
        program = Program("neg", (program,))
    assert size(program) == 3001
    rejected = arith_domain.evaluate(program, g)
    assert isinstance(rejected, Rejection) and rejected.reason == "budget exceeded"
