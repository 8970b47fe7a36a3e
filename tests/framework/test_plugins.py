"""The plugin manager: discovery, registration errors, the registry."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from attrs import frozen

from framework import KINDS, LazyFactory, PluginError, PluginInfo, Plugins, UnknownPluginError
from framework.plugins import build_plugin_manager, build_plugins, build_registry, load_only_from_env

ROOT = Path(__file__).resolve().parents[2]


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


def test_a_lazy_factory_imports_its_module_on_the_first_call_only(tmp_path, monkeypatch):
    (tmp_path / "lazy_target_xyz.py").write_text("def build(options, n):\n    return ('built', options, n)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    factory = LazyFactory("lazy_target_xyz:build")
    assert "lazy_target_xyz" not in sys.modules
    assert factory("options", 3) == ("built", "options", 3)
    assert "lazy_target_xyz" in sys.modules
    with pytest.raises(ValueError, match="package.module:function"):
        LazyFactory("lazy_target_xyz.build")


def test_listing_plugins_and_loading_a_spec_do_not_import_torch():
    """Options live in torch-free modules and torch code is built lazily: both stay cheap.
    (``framework validate`` builds the model, as ``run`` does before its first write, so it needs torch.)"""
    script = textwrap.dedent(
        """
        import sys
        from framework.plugins import build_registry
        from framework.spec import load_spec
        from framework.cli import main

        registry = build_registry()
        spec, plugins = load_spec("examples/paper.toml")
        assert len(plugins.registry.all()) == len(registry.all()) > 0
        assert main(["plugins", "--json"]) == 0
        heavy = sorted(m for m in ("torch", "dgl", "stitch_core", "matplotlib") if m in sys.modules)
        print("imported:", heavy)
        """
    )
    env = {**os.environ}
    env.pop("FRAMEWORK_LOAD_PLUGINS", None)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "imported: []"


def test_plugins_carry_the_hook_relay_and_a_registry_alone_gets_a_silent_one(tmp_path, monkeypatch):
    monkeypatch.setenv("FRAMEWORK_LOAD_PLUGINS", "")
    (tmp_path / "listener.py").write_text(
        "from framework import hookimpl\n"
        "heard = []\n"
        "@hookimpl\n"
        "def on_run_end(event):\n"
        "    heard.append(event)\n"
    )
    plugins = build_plugins(paths=["listener.py"], base_dir=tmp_path)
    plugins.hook.on_run_end(event="the end")
    (listener,) = [impl.plugin for impl in plugins.hook.on_run_end.get_hookimpls()]
    assert listener.heard == ["the end"]
    silent = Plugins(plugins.registry)
    assert silent.hook.on_run_end(event="the end") == [] and listener.heard == ["the end"]


def test_every_builtin_lazy_factory_names_a_function_that_exists():
    """A misspelt target would only fail when a run builds the plugin; resolve them all here."""
    lazy = [r.info for r in build_registry().all() if isinstance(r.info.factory, LazyFactory)]
    assert {info.kind for info in lazy} >= {"encoder", "injector", "backbone"}
    for info in lazy:
        module, _, name = info.factory.target.partition(":")
        assert callable(getattr(importlib.import_module(module), name, None)), info.factory.target
