"""What the command line prints: messages as plain text, quiet exits when the reader goes away."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from framework.cli import main
from tiny_runs import SMALLEST, changed, write_spec

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


#: The smallest tiny run with the bracketed plugins: a run name, plugin names, a failing
#: plugin's message and a program, all holding markup.
BRACKETED_RUN = changed(SMALLEST, {
    "run.name": "exp[v2][/x]", "task.eval": 16, "model.injector": {"plugin": "picky[/x]"},
    "synthesizers": [{"plugin": "text[/x]"}, {"plugin": "raises[/x]"}, {"plugin": "enumerative", "max_size": 12}],
    "plugins.paths": [str(REPO / "tests" / "fixtures" / "plugins" / "bracketed.py")],
})


def test_a_run_prints_bracketed_names_messages_and_programs_as_written(tmp_path):
    # a run name, plugin names, a failing plugin's message and a program, all holding markup
    write_spec(tmp_path, base=BRACKETED_RUN)
    env = {**os.environ, "FRAMEWORK_CACHE": str(tmp_path / "cache")}
    done = subprocess.run([*CLI, "run", "spec.toml"], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    err = done.stderr
    assert "Traceback" not in err and "MarkupError" not in err
    assert ("synthesizer 'text[/x]' stopped for this generation: proposed a str ('(push [/x] [bold]identity)') "
            "where a Program is expected") in err
    assert ("synthesizer 'raises[/x]' stopped for this generation: propose() raised RuntimeError: "
            "a [/x] bug in [bold]propose[/bold]") in err
    assert "failed: injector 'picky[/x]': forward raised RuntimeError: cannot inject [/x] into [bold]" in err
    assert "RuntimeError: cannot draw [/x] generation [bold]0 (the run goes on)" in err
    assert done.stdout.strip() == "run directory: runs/exp[v2][/x]"
    assert (tmp_path / "runs" / "exp[v2][" / "x]" / "summary.json").is_file()


def test_a_training_bar_and_a_new_plugins_folder_with_brackets_print_as_written(tmp_path, capsys):
    import io

    from rich.console import Console

    from framework.nn.progress import TrainingProgress

    console = Console(file=io.StringIO(), force_terminal=True, width=100)
    with TrainingProgress(console) as bars:
        bars.callback("  g0-000 [/x]")(1, 2, 0.5, 0.5)
    assert "g0-000 [/x]" in console.file.getvalue()
    folder = tmp_path / "plugins[/x]"
    assert main(["new-plugin", "selector", "fine", "--dir", str(folder)]) == 0
    assert f"wrote {folder}" in capsys.readouterr().out
