"""The run spec: strict structuring, every problem at once with its TOML path."""

from __future__ import annotations

import tomllib

import pytest
from attrs import field, frozen
from attrs.validators import gt
from hypothesis import given

from framework import KINDS, PluginInfo, Plugins, build_plugin
from framework._registry import Registered, Registry
from framework.spec import (
    Spec,
    SpecError,
    load_spec,
    spec_to_toml,
    structure_spec,
    unstructure_spec,
)
from framework.testing import specs


@frozen
class DepthOptions:
    depth: int = field(default=2, validator=gt(0))


def _registry() -> Registry:
    """Every default plugin name of the spec, plus an encoder with options."""
    entries: dict[str, dict[str, Registered]] = {kind: {} for kind in KINDS}
    defaults = [(path, choice) for path, choice in __import__("framework.spec").spec.plugin_choices(Spec())]
    for _, choice in defaults:
        entries[choice.kind][choice.plugin] = Registered(PluginInfo(choice.plugin, choice.kind, dict), "t", "t", "0")
    entries["selector"]["train-accuracy"] = Registered(PluginInfo("train-accuracy", "selector", dict), "t", "t", "0")
    entries["encoder"]["cnn"] = Registered(PluginInfo("cnn", "encoder", lambda o, n: (o, n), DepthOptions), "t", "t", "0")
    return Registry(entries)


def _load(tmp_path, text: str):
    path = tmp_path / "spec.toml"
    path.write_text(text)
    return load_spec(path, Plugins(_registry()))


def _problems(tmp_path, text: str) -> list[str]:
    with pytest.raises(SpecError) as info:
        _load(tmp_path, text)
    return info.value.problems


def test_empty_spec_is_all_defaults(tmp_path):
    spec, _ = _load(tmp_path, "")
    assert spec == Spec()


def test_three_mistakes_reported_at_once(tmp_path):
    problems = _problems(
        tmp_path,
        """
        [training]
        epochs = "ten"
        [population]
        sise = 3
        [model]
        encoder = {plugin = "vit"}
        """,
    )
    assert problems == [
        'training.epochs: expected an integer, got "ten"',
        "population.sise: unknown key (did you mean 'size'?)",
        "model.encoder.plugin: unknown encoder plugin 'vit'; available: cnn, pixelshuffle-vit",
    ]


@pytest.mark.parametrize(
    ("toml", "problem"),
    [
        ("[run]\nseed = 3.7", "run.seed: expected an integer, got 3.7"),
        ("[run]\nseed = true", "run.seed: expected an integer, got true"),
        ("[run]\nname = 7", "run.name: expected a string, got 7"),
        ("[library]\nreweight = 1", "library.reweight: expected true or false, got 1"),
        ("[library]\nsmoothing = nan", "library.smoothing: expected a number, got nan"),
        ("[run]\ndevice = 'tpu'", "run.device: 'device' must be in ('auto', 'cpu', 'cuda') (got 'tpu')"),
        ("[population]\nsize = 3\nkeep = 5", "population.keep: keep (5) must not exceed size (3)"),
        ("run = 3", "run: expected a table, got 3"),
        ("[[synthesizers]]\nmax_size = 3", "synthesizers[0].plugin: required key missing"),
    ],
)
def test_wrong_values_are_named_by_path(tmp_path, toml, problem):
    problems = _problems(tmp_path, toml)
    assert problem in problems[0] or problems == [problem], problems


def test_float_accepts_integers(tmp_path):
    spec, _ = _load(tmp_path, "[library]\nsmoothing = 2")
    assert spec.library.smoothing == 2.0 and isinstance(spec.library.smoothing, float)


def test_plugin_options_are_checked_by_the_plugins_class(tmp_path):
    problems = _problems(tmp_path, "[model]\nencoder = {plugin = 'cnn', depht = 2}\nbackbone = {plugin = 'gine'}")
    assert problems == ["model.encoder.depht: unknown key (did you mean 'depth'?)"]
    problems = _problems(tmp_path, "[model]\nencoder = {plugin = 'cnn', depth = 0}")
    assert problems == ["model.encoder.depth: 'depth' must be > 0: 0"]


def test_plugin_problems_reported_beside_shape_problems_in_the_same_table(tmp_path):
    problems = _problems(tmp_path, "[model]\ndim = 'wide'\nencoder = {plugin = 'cnn', depth = 'deep'}")
    assert problems == [
        'model.dim: expected an integer, got "wide"',
        'model.encoder.depth: expected an integer, got "deep"',
    ]


def test_build_plugin_structures_options_and_passes_the_factory_arguments(tmp_path):
    spec, plugins = _load(tmp_path, "[model]\nencoder = {plugin = 'cnn', depth = 5}")
    encoder = spec.model.encoder
    options, extra = build_plugin(plugins.registry, encoder.kind, encoder.plugin, encoder.options, "x")
    assert options == DepthOptions(5) and extra == "x"


def test_build_plugin_reports_option_problems_under_the_given_path():
    with pytest.raises(SpecError) as info:
        build_plugin(_registry(), "encoder", "cnn", {"depth": "deep", "width": 3}, "x", path="model.encoder")
    assert info.value.source == "encoder plugin 'cnn'"
    assert info.value.problems == [
        'model.encoder.depth: expected an integer, got "deep"',
        "model.encoder.width: unknown key (did you mean 'depth'?)",
    ]
    with pytest.raises(SpecError) as info:
        build_plugin(_registry(), "encoder", "cnn", {"depth": 0})
    assert info.value.problems == ["depth: 'depth' must be > 0: 0"]


def test_toml_syntax_error_has_line_and_column(tmp_path):
    problems = _problems(tmp_path, "[run]\nname = \n")
    assert "line 2" in problems[0] and "column" in problems[0]


def test_missing_file(tmp_path):
    with pytest.raises(Exception, match="cannot read spec"):
        load_spec(tmp_path / "missing.toml", Plugins(_registry()))


def test_selector_string_shorthand(tmp_path):
    spec, _ = _load(tmp_path, "[population]\nselector = 'train-accuracy'")
    assert spec.population.selector.plugin == "train-accuracy"


@given(specs())
def test_any_spec_round_trips(spec):
    data = unstructure_spec(spec)
    assert structure_spec(data) == spec
    assert structure_spec(tomllib.loads(spec_to_toml(spec))) == spec


def test_plugin_validator_errors_carry_the_option_path(tmp_path):
    path = tmp_path / "spec.toml"
    path.write_text("[task]\nplugin = 'synthetic'\npattern = 'diagonal'\n")
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert info.value.problems == [
        "task.pattern: unknown synthetic pattern 'diagonal'; valid patterns: left_half, orientation"
    ]
