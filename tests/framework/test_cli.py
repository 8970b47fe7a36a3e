"""The command line, called in-process through ``main(argv)``."""

from __future__ import annotations

import json
import shutil

import pytest

import framework
from framework.cli import main

THREE_MISTAKES = """
[run]
name = "broken"
out = "{out}"

[training]
epochs = "ten"

[population]
sise = 3

[model]
encoder = {{plugin = "vit"}}
"""


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert framework.__version__ in capsys.readouterr().out


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "commands" in capsys.readouterr().out


def test_validate_reports_three_mistakes_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "run"
    spec = tmp_path / "spec.toml"
    spec.write_text(THREE_MISTAKES.format(out=out))
    assert main(["validate", str(spec)]) == 2
    err = capsys.readouterr().err
    assert 'training.epochs: expected an integer, got "ten"' in err
    assert "population.sise: unknown key (did you mean 'size'?)" in err
    assert "model.encoder.plugin: unknown encoder plugin 'vit'" in err
    assert "pixelshuffle-vit" in err  # the valid names are listed
    assert "Traceback" not in err
    assert main(["run", str(spec)]) == 2
    assert not out.exists()


def test_plugins_table_and_json(capsys):
    assert main(["plugins", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {"kind", "name", "source", "package", "version", "summary"} <= set(rows[0])
    assert main(["plugins"]) == 0
    assert "framework plugins" in capsys.readouterr().out


def test_plugin_file_from_spec_shows_up(tmp_path, fixture_plugins, capsys):
    shutil.copy(fixture_plugins / "shout_selector.py", tmp_path / "shout.py")
    spec = tmp_path / "spec.toml"
    spec.write_text('[plugins]\npaths = ["shout.py"]\n[population]\nselector = {plugin = "shout", loudness = 3}\n')
    assert main(["plugins", "--spec", str(spec), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    shout = [r for r in rows if r["name"] == "shout"]
    assert shout and shout[0]["kind"] == "selector" and shout[0]["source"].endswith("shout.py")
    assert main(["validate", str(spec)]) == 0


def test_bad_plugin_file_in_spec_is_a_spec_problem(tmp_path, capsys):
    spec = tmp_path / "spec.toml"
    spec.write_text('[plugins]\npaths = ["missing.py"]\n')
    assert main(["validate", str(spec)]) == 2
    assert "plugins: cannot load plugin file 'missing.py'" in capsys.readouterr().err
