"""Fuzzing the inputs (issue 12, item 12): random bytes and near-valid text (programs drawn
from the grammar, then mutated) thrown at the spec loader, the grammar loader, both program
syntaxes and each ``dsl`` command's input. Only documented errors may come out (a
:class:`FrameworkError`; a command exits 0, 1 or 2 without a traceback) and a refused
input writes nothing."""

from __future__ import annotations

import io
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import framework.cli as cli
from framework import FrameworkError, Grammar
from framework.dsl.lambda_import import import_original
from framework.spec import load_spec
from framework.testing import programs

GRAPH = Grammar.load_builtin("graph")
GRAMMAR_TEXT = (Path(__file__).resolve().parents[2] / "grammars" / "graph.lark").read_text()
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def mutated(draw, text: st.SearchStrategy[str]) -> str:
    """``text`` with a few characters deleted, replaced or inserted (brackets and odd characters
    favoured: they reach the parsers' error paths)."""
    value = draw(text)
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(value)))
        piece = draw(st.sampled_from(["(", ")", " ", "\\", "λ", "$", "\x00", "#", '"', "\n", ""])
                     | st.text(max_size=3))
        cut = draw(st.integers(0, 2))
        value = value[:at] + piece + value[at + cut:]
    return value


program_texts = programs(GRAPH, max_size=12).map(GRAPH.print)
near_programs = mutated(program_texts)
near_grammars = mutated(st.just(GRAMMAR_TEXT))
near_specs = mutated(st.sampled_from([
    '[run]\nname = "x"\nseed = 0\n[domain]\nplugin = "graph"\n[population]\nsize = 4\nkeep = 2\n',
    '[[synthesizers]]\nplugin = "enumerative"\nmax_size = 12\n[library]\nplugin = "stitch"\n',
    '[model]\ndim = 32\nencoder = {plugin = "mlp"}\n[training]\nepochs = 1\n',
]))
any_bytes = st.binary(max_size=200) | near_programs.map(lambda t: t.encode("utf-8", "surrogatepass"))


@pytest.fixture(autouse=True)
def only_light_plugins(monkeypatch):
    monkeypatch.setenv("FRAMEWORK_LOAD_PLUGINS", "library,graph_domain,synthesizers,tasks,selectors,executors")


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@FUZZ
@given(st.binary(max_size=300) | near_specs.map(str.encode))
def test_spec_loader(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "spec.toml")
        path.write_bytes(data)
        try:
            load_spec(path)
        except FrameworkError:
            pass
        assert _files(Path(folder)) == {"spec.toml"}


@FUZZ
@given(st.binary(max_size=300) | near_grammars.map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_grammar_loader(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "g.lark")
        path.write_bytes(data)
        try:
            Grammar.load(path)
        except FrameworkError:
            pass


@FUZZ
@given(near_programs | st.text(max_size=60))
def test_program_parsers_in_both_syntaxes(text):
    for parse in (GRAPH.parse, lambda t: import_original(t, GRAPH)):
        try:
            parse(text)
        except FrameworkError:
            pass


COMMANDS = {
    "eval": lambda f, out: ["dsl", "eval", "--domain", "graph", str(f)],
    "eval-original": lambda f, out: ["dsl", "eval", "--domain", "graph", "--syntax", "original", str(f)],
    "check": lambda f, out: ["dsl", "check", str(f)],
    "draw": lambda f, out: ["dsl", "draw", "--domain", "graph", f.read_bytes().decode("utf-8", "replace"),
                            "-o", str(out / "x.svg")],
    "reweight": lambda f, out: ["dsl", "reweight", "--domain", "graph", "--out", str(out / "g.lark"), str(f)],
    "compress": lambda f, out: ["dsl", "compress", "--domain", "graph", "--out", str(out / "g.lark"), str(f)],
    "sample": lambda f, out: ["dsl", "sample", "--grammar", str(f), "-n", "2"],
}


@contextmanager
def _stdin(data: bytes) -> Iterator[None]:
    saved, sys.stdin = sys.stdin, io.TextIOWrapper(io.BytesIO(data))
    try:
        yield
    finally:
        sys.stdin = saved


@pytest.mark.parametrize("command", sorted(COMMANDS))
@FUZZ
@given(data=any_bytes)
@example(data=b"-")  # draw reads the program from stdin
def test_dsl_commands(command, data, capsys):
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        source, out = folder / "input.txt", folder / "out"
        source.write_bytes(data)
        out.mkdir()
        try:
            with _stdin(data):  # a draw program "-" is read from stdin
                code = cli.main(COMMANDS[command](source, out))
        except SystemExit as exit:  # argparse refusing an argument (a draw program that looks like an option)
            code = exit.code
        err = capsys.readouterr().err
        assert code in (0, 1, 2), err
        assert "Traceback" not in err
        if code != 0:
            assert not any(out.iterdir()), err
