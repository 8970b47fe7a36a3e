"""The plugin manager: discovery, registration errors, the registry."""

from __future__ import annotations

import pytest
from attrs import frozen

from framework import KINDS, PluginError, PluginInfo, UnknownPluginError
from framework.plugins import build_plugin_manager, build_registry, load_only_from_env


def test_builtins_come_from_the_entry_point_group():
    registry = build_registry()
    sources = {r.source for r in registry.all()}
    assert sources, "the built-in plugins register through entry points"
    assert all(s.startswith("framework_plugins") for s in sources)
    assert {r.package for r in registry.all()} == {"framework"}


def test_plugin_file_is_loaded(fixture_plugins):
    registry = build_registry(paths=["shout_selector.py"], base_dir=fixture_plugins)
    entry = registry.get("selector", "shout")
    assert entry.info.summary == "fixture selector"
    assert entry.source.endswith("shout_selector.py")
    assert entry.package == "(spec)"


def test_plugin_module_is_loaded(fixture_plugins, monkeypatch):
    monkeypatch.syspath_prepend(str(fixture_plugins))
    registry = build_registry(modules=["shout_selector"])
    assert registry.get("selector", "shout").source == "shout_selector"


def test_same_name_twice_names_both_sources(fixture_plugins):
    with pytest.raises(PluginError) as info:
        build_registry(paths=["shout_selector.py", "duplicate_selector.py"], base_dir=fixture_plugins)
    message = str(info.value)
    assert "registered twice" in message
    assert "shout_selector.py" in message and "duplicate_selector.py" in message


def test_wrong_argument_name_fails_at_registration(fixture_plugins):
    with pytest.raises(PluginError) as info:
        build_plugin_manager(paths=["wrong_argument.py"], base_dir=fixture_plugins)
    assert "wrong_argument.py" in str(info.value)
    assert "evnt" in str(info.value)


def test_unknown_hook_is_caught_by_check_pending(fixture_plugins):
    with pytest.raises(PluginError) as info:
        build_plugin_manager(paths=["unknown_hook.py"], base_dir=fixture_plugins)
    assert "register_selecters" in str(info.value)


def test_import_failure_is_reported_with_its_cause(fixture_plugins):
    with pytest.raises(PluginError, match="broken on purpose"):
        build_plugin_manager(paths=["broken_import.py"], base_dir=fixture_plugins)


def test_missing_file_and_module(fixture_plugins):
    with pytest.raises(PluginError, match="no such file"):
        build_plugin_manager(paths=["nope.py"], base_dir=fixture_plugins)
    with pytest.raises(PluginError, match="no_such_module_xyz"):
        build_plugin_manager(modules=["no_such_module_xyz"])


def test_record_of_wrong_kind(fixture_plugins):
    with pytest.raises(PluginError, match="of kind 'executor'"):
        build_registry(paths=["wrong_kind.py"], base_dir=fixture_plugins)


def test_unknown_name_lists_the_valid_ones(fixture_plugins):
    registry = build_registry(paths=["shout_selector.py"], base_dir=fixture_plugins)
    with pytest.raises(UnknownPluginError) as info:
        registry.get("selector", "shoot")
    assert "'shout'" in str(info.value) and "did you mean" in str(info.value)


def test_load_only_named_entry_points(monkeypatch):
    monkeypatch.setenv("FRAMEWORK_LOAD_PLUGINS", "")
    assert load_only_from_env() == set()
    assert build_registry().all() == []


def test_plugin_info_checks_kind_and_options():
    with pytest.raises(ValueError, match="unknown plugin kind"):
        PluginInfo("x", "widget", object)
    with pytest.raises(TypeError, match="attrs class"):
        PluginInfo("x", "selector", object, options=dict)

    @frozen
    class Options:
        pass

    assert PluginInfo("x", "selector", object, Options).options is Options
    assert set(KINDS) >= {"domain", "backbone", "executor"}


def test_tracing_prints_hook_calls(monkeypatch, capsys):
    monkeypatch.setenv("FRAMEWORK_TRACE_PLUGINS", "1")
    pm = build_plugin_manager()
    pm.hook.register_selectors()
    assert "register_selectors" in capsys.readouterr().err
