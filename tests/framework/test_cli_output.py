"""What the command line prints: messages as plain text, quiet exits when the reader goes away."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from framework.cli import main

REPO = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "framework.cli"]


def test_an_error_message_with_brackets_is_printed_as_written(tmp_path, capsys):
    missing = tmp_path / "exp[v2]" / "spec[/x].toml"
    assert main(["validate", str(missing)]) == 2
    err = capsys.readouterr().err
    assert "exp[v2]" in err and "spec[/x].toml" in err


def test_output_cut_short_by_the_reader_ends_quietly(tmp_path):
    programs = (REPO / "examples" / "programs.txt").read_text(encoding="utf-8")
    many = tmp_path / "many.txt"
    many.write_text(programs * 400, encoding="utf-8")  # far more than a pipe buffer holds
    command = " ".join([*CLI, "dsl", "eval", "--domain", "graph", str(many)]) + " | head -n 1"
    done = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True, timeout=300)
    assert done.stdout.startswith('{"edges"')
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr, done.stderr
    assert done.returncode == 141  # 128 + SIGPIPE, as Unix tools end


def test_the_example_programs_evaluate(tmp_path):
    done = subprocess.run([*CLI, "dsl", "eval", "--domain", "graph", str(REPO / "examples" / "programs.txt")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == len((REPO / "examples" / "programs.txt").read_text().splitlines())
    assert all(line.startswith('{"edges"') for line in lines)


def test_a_bracketed_path_is_printed_as_written_when_valid(tmp_path, capsys):
    spec = tmp_path / "exp[v2]" / "spec[bold].toml"
    spec.parent.mkdir()
    spec.write_text('[run]\nname = "exp[v2]"\n', encoding="utf-8")
    assert main(["validate", str(spec)]) == 0
    assert f"{spec}: valid" in capsys.readouterr().out
