"""Loading that survives a broken neighbour, and registration mistakes in one line (issue 11, obs. 5 and 6)."""

from __future__ import annotations

import json

import pytest

from framework import PluginError, UnknownPluginError
from framework.cli import main
from framework.plugins import build_registry

#: Fixture plugin file -> what its one-line message must say.
MISTAKES = {
    "registration_raises.py": "register_selectors() raised KeyError: 'a lookup inside the hook failed'",
    "single_info.py": "returned one PluginInfo ('lonely'); return a list of them",
    "unknown_kind.py": "unknown plugin kind 'selecter' (did you mean 'selector'?)",
    "plain_options.py": "options must be an attrs class (decorate it with @attrs.frozen), "
                        "got class PlainOptions of ",
    "dict_record.py": "must return PluginInfo records (framework.PluginInfo(name, kind, factory, options)), got dict",
    "uncallable_factory.py": "factory must be callable",
    "forgotten_hookimpl.py": "register_selectors() is not marked @hookimpl",
    "unknown_hook.py": "unknown hook 'register_selecters' (did you mean register_selectors?)",
}

SPEC = """
[plugins]
paths = ["{path}"]
disable = {disable}
"""


def _spec(tmp_path, path, disable=()):
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC.format(path=path, disable=json.dumps(list(disable))))
    return spec


@pytest.mark.parametrize("fixture", sorted(MISTAKES))
def test_each_registration_mistake_is_one_line_naming_the_plugin(fixture, fixture_plugins, tmp_path, capsys,
                                                                 monkeypatch):
    monkeypatch.setenv("FRAMEWORK_LOAD_PLUGINS", "selectors")
    monkeypatch.delenv("FRAMEWORK_TRACEBACK", raising=False)
    with pytest.raises(PluginError) as info:
        build_registry(paths=[fixture], base_dir=fixture_plugins)
    assert MISTAKES[fixture] in str(info.value)
    assert str(fixture_plugins / fixture) in str(info.value)
    assert "\n" not in str(info.value)

    spec = _spec(tmp_path, fixture_plugins / fixture)
    assert main(["validate", str(spec)]) == 2
    err = capsys.readouterr().err
    assert MISTAKES[fixture] in " ".join(err.split())  # rich may wrap the line
    assert "Traceback" not in err


def test_the_plain_options_class_is_named_by_its_file_not_the_internal_module(fixture_plugins):
    with pytest.raises(PluginError) as info:
        build_registry(paths=["plain_options.py"], base_dir=fixture_plugins)
    assert f"class PlainOptions of {fixture_plugins / 'plain_options.py'}" in str(info.value)
    assert "framework_spec_plugin_" not in str(info.value)


@pytest.mark.parametrize("fixture", ["registration_raises.py", "unknown_kind.py", "uncallable_factory.py"])
def test_traceback_shows_where_the_plugin_went_wrong(fixture, fixture_plugins, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("FRAMEWORK_LOAD_PLUGINS", "selectors")
    spec = _spec(tmp_path, fixture_plugins / fixture)
    assert main(["--traceback", "validate", str(spec)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and f'{fixture}", line' in err


@pytest.fixture
def broken_neighbours(install_fixture_package, monkeypatch):
    """Three installed packages: one fine, one that fails to import, one whose registration raises."""
    monkeypatch.delenv("FRAMEWORK_LOAD_PLUGINS", raising=False)
    monkeypatch.delenv("FRAMEWORK_DISABLE_PLUGINS", raising=False)
    install_fixture_package("framework-fine", {"fine": "fine_selector"})
    install_fixture_package("framework-shapes", {"shapes": "broken_import"}, version="0.3")
    install_fixture_package("framework-raising", {"raising": "registration_raises"})


def test_broken_entry_points_are_skipped_and_all_reported(broken_neighbours, caplog):
    registry = build_registry()
    assert registry.get("selector", "fine").package == "framework-fine"
    assert "select-accuracy" in registry.names("selector")
    broken = {b.entry_point: b for b in registry.broken}
    assert set(broken) == {"shapes", "raising"}
    assert broken["shapes"].package == "framework-shapes" and broken["shapes"].version == "0.3"
    assert "RuntimeError: this plugin is broken on purpose" in broken["shapes"].error
    assert "register_selectors() raised KeyError" in broken["raising"].error
    (warning,) = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert "skipped 2 installed plugin(s)" in warning and "'shapes'" in warning and "'raising'" in warning


def test_commands_that_do_not_need_a_broken_package_work(broken_neighbours, tmp_path, capsys):
    spec = tmp_path / "spec.toml"
    spec.write_text('[population]\nselector = {plugin = "fine"}\n')
    assert main(["validate", str(spec)]) == 0
    capsys.readouterr()
    assert main(["plugins", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    errors = {row["name"]: row["error"] for row in rows if row["kind"] == "(broken)"}
    assert set(errors) == {"shapes", "raising"}
    assert "broken on purpose" in errors["shapes"]
    assert any(row["name"] == "fine" and row["error"] is None for row in rows)
    assert main(["plugins"]) == 0
    table = capsys.readouterr().out
    assert "(broken)" in table and "shapes" in table


def test_a_spec_naming_a_plugin_of_a_broken_package_gets_its_load_error(broken_neighbours, tmp_path, capsys):
    spec = tmp_path / "spec.toml"
    spec.write_text('[domain]\nplugin = "shapes"\n')
    assert main(["validate", str(spec)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "domain.plugin: unknown domain plugin 'shapes'" in err
    assert "failed to load: entry point 'shapes' of framework-shapes 0.3: cannot be imported: RuntimeError" in err
    assert "Traceback" not in err, err[:3000]
    with pytest.raises(UnknownPluginError, match="framework-shapes"):
        build_registry().get("domain", "shapes")


def test_deny_list_from_the_environment_and_the_spec(broken_neighbours, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("FRAMEWORK_DISABLE_PLUGINS", "shapes, framework-raising")
    assert build_registry().broken == ()
    assert not [r for r in caplog.records if "skipped" in r.getMessage()]
    monkeypatch.delenv("FRAMEWORK_DISABLE_PLUGINS")
    spec = tmp_path / "spec.toml"
    spec.write_text('[plugins]\ndisable = ["shapes", "raising", "fine"]\n')
    from framework.spec import load_spec

    _, plugins = load_spec(spec)
    assert plugins.registry.broken == () and "fine" not in plugins.registry.names("selector")


@pytest.mark.parametrize("variable", ["FRAMEWORK_LOAD_PLUGINS", "FRAMEWORK_DISABLE_PLUGINS"])
def test_a_list_naming_nothing_installed_is_an_error(variable, monkeypatch):
    monkeypatch.delenv("FRAMEWORK_LOAD_PLUGINS", raising=False)
    monkeypatch.setenv(variable, "selectros")
    with pytest.raises(PluginError, match=rf"{variable}.*'selectros' \(did you mean 'selectors'\?\)"):
        build_registry()


def test_an_empty_allow_list_still_loads_nothing(monkeypatch):
    monkeypatch.setenv("FRAMEWORK_LOAD_PLUGINS", "")
    assert build_registry().all() == []


def test_traceback_shows_where_a_skipped_package_broke(broken_neighbours, caplog, capsys, monkeypatch):
    monkeypatch.delenv("FRAMEWORK_TRACEBACK", raising=False)
    assert main(["plugins", "--json"]) == 0
    assert "Traceback" not in caplog.text
    caplog.clear()
    assert main(["--traceback", "plugins", "--json"]) == 0
    assert "Traceback" in caplog.text and 'broken_import.py", line 3' in caplog.text


def test_the_warning_reaches_stderr_without_any_logging_set_up(install_fixture_package, tmp_path):
    """Outside pytest nothing configures logging: the warning must still be printed, as it is."""
    import os
    import subprocess
    import sys

    install_fixture_package("framework-shapes", {"shapes": "broken_import"})
    site = tmp_path / "site"
    env = {**os.environ, "PYTHONPATH": str(site), "FRAMEWORK_LOAD_PLUGINS": "selectors,shapes"}
    done = subprocess.run([sys.executable, "-m", "framework.cli", "plugins"], env=env, capture_output=True, text=True)
    assert done.returncode == 0
    assert done.stderr.startswith("warning: skipped 1 installed plugin(s)") and "Traceback" not in done.stderr
