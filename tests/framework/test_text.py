"""Input that is not UTF-8 text: a positioned message, never a UnicodeDecodeError."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from framework import Grammar, UsageError
from framework.dsl.errors import GrammarError
from framework.spec import load_spec
from framework.text import NotText, decode

REPO = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "framework.cli"]
PROGRAM = "(push (add (connect (add (next_port (connect identity))))))"


def test_decode_names_the_line_and_column_of_the_first_bad_byte():
    with pytest.raises(NotText) as caught:
        decode(b"first\nsec\xffond\n", "f.txt")
    assert (caught.value.line, caught.value.column, caught.value.byte) == (2, 4, 0xFF)
    assert str(caught.value) == "f.txt:2:4: not UTF-8 text (byte 0xff)"
    with pytest.raises(NotText) as caught:
        decode(b"\x80", "g", first_line=7)
    assert str(caught.value) == "g:7:1: not UTF-8 text (byte 0x80)"


def test_a_binary_spec_is_refused_with_its_position(tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_bytes(b'[run]\nname = "a\xc3\x28"\n')
    with pytest.raises(UsageError, match=r"spec\.toml:2:10: not UTF-8 text \(byte 0xc3\)"):
        load_spec(spec)


def test_a_binary_grammar_is_refused_with_its_position(tmp_path):
    grammar = tmp_path / "g.lark"
    grammar.write_bytes(b"start: \"a\" -> a\n\xfe\n")
    with pytest.raises(GrammarError, match=r"g\.lark:2:1: not UTF-8 text \(byte 0xfe\)"):
        Grammar.load(grammar)


def test_dsl_eval_reports_a_bad_line_and_keeps_every_other_result(tmp_path):
    programs = tmp_path / "programs.txt"
    programs.write_bytes((PROGRAM + "\n").encode() * 100 + b"\xff\xfe\n" + (PROGRAM + "\n").encode())
    done = subprocess.run([*CLI, "dsl", "eval", "--domain", "graph", str(programs)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(records) == 102
    assert records[100] == {"error": f"{programs}:101:1: not UTF-8 text (byte 0xff)"}
    assert all("edges" in r for i, r in enumerate(records) if i != 100)


def test_dsl_compress_names_the_bad_line(tmp_path):
    programs = tmp_path / "programs.txt"
    programs.write_bytes((PROGRAM + "\n").encode() + b"(push \x81)\n")
    done = subprocess.run([*CLI, "dsl", "compress", "--domain", "graph", "--out", str(tmp_path / "g1.lark"),
                           str(programs)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    assert f"{programs}:2:7: not UTF-8 text (byte 0x81)" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "g1.lark").exists()


def test_dsl_draw_from_stdin_refuses_bytes(tmp_path):
    done = subprocess.run([*CLI, "dsl", "draw", "--domain", "graph", "-", "-o", str(tmp_path / "x.svg")],
                          input=b"\xff", capture_output=True, timeout=300)
    assert done.returncode == 2
    assert b"<stdin>:1:1: not UTF-8 text (byte 0xff)" in done.stderr
    assert not (tmp_path / "x.svg").exists()
