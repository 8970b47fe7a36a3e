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


def test_option_values_are_toml_and_bare_words_strings():
    from framework.cli.options import parse_options

    assert parse_options(["iterations=3", 'name="x"', "mode=fast", "sizes=[1, 2]", "on=true",
                          "rate=0.5", "odd=1\nb = 2", "empty="]) == {
        "iterations": 3, "name": "x", "mode": "fast", "sizes": [1, 2], "on": True, "rate": 0.5,
        "odd": "1\nb = 2", "empty": ""}


@pytest.mark.parametrize("pairs, message", [
    (["iterations"], "--option 'iterations': expected KEY=VALUE"),
    (["=3"], "--option '=3': expected KEY=VALUE"),
    (["a=1", "a=2"], "--option a: given twice"),
])
def test_malformed_options_are_usage_errors(pairs, message):
    from framework.cli.options import parse_options
    from framework.errors import UsageError

    with pytest.raises(UsageError, match="^" + message.replace("[", r"\[")):
        parse_options(pairs)


def test_every_command_module_is_listed_and_wired(capsys):
    """Each module of ``framework/cli/`` with commands is in COMMAND_MODULES, and each adds one."""
    import pkgutil

    import framework.cli as cli

    listed = {module for _, module in cli.COMMAND_MODULES}
    with_commands = {f"framework.cli.{m.name}" for m in pkgutil.iter_modules(cli.__path__)
                     if m.name != "__main__" and hasattr(__import__(f"framework.cli.{m.name}", fromlist=["_"]), "add_commands")}
    assert listed == with_commands
    commands = cli.build_parser()._subparsers._group_actions[0].choices
    assert {"run", "validate", "plugins", "report", "dsl"} <= set(commands)
    dsl = commands["dsl"]._subparsers._group_actions[0].choices
    assert {"eval", "check", "draw", "enumerate", "sample", "reweight", "compress"} <= set(dsl)
    assert main(["dsl"]) == 2 and "dsl commands" in capsys.readouterr().out


def test_building_the_parser_imports_no_torch():
    """Command modules import their heavy parts inside the handlers: ``--help`` stays fast."""
    import subprocess
    import sys

    script = ("import sys\nfrom framework.cli import build_parser\nbuild_parser()\n"
              "print(sorted(m for m in ('torch', 'matplotlib', 'stitch_core') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


BROKEN_PLUGIN_SPEC = """
[plugins]
paths = ["{path}"]
"""


@pytest.mark.parametrize("how", ["flag", "env"])
def test_traceback_is_shown_only_when_asked(tmp_path, capsys, monkeypatch, fixture_plugins, how):
    spec = tmp_path / "spec.toml"
    spec.write_text(BROKEN_PLUGIN_SPEC.format(path=fixture_plugins / "broken_import.py"))
    monkeypatch.delenv("FRAMEWORK_TRACEBACK", raising=False)
    assert main(["validate", str(spec)]) == 2
    err = capsys.readouterr().err
    assert "broken on purpose" in err and "Traceback" not in err
    if how == "flag":
        argv = ["--traceback", "validate", str(spec)]
    else:
        argv = ["validate", str(spec)]
        monkeypatch.setenv("FRAMEWORK_TRACEBACK", "1")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err
    assert 'raise RuntimeError("this plugin is broken on purpose")' in err
