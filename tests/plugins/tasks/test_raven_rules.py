"""Targets read from encoded rule arrays (no generation needed)."""

from __future__ import annotations

import numpy as np
import pytest

from framework_plugins.tasks.raven_rules import (
    LAYOUT_ATTRS,
    RULES,
    SLOTS,
    TARGETS,
    labels,
    layout_code,
    rule_code,
)


def puzzle(*components: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Rule arrays of one puzzle; each component maps slots (and ``on``) to names."""
    rules = np.zeros((1, 2, len(SLOTS)), np.int8)
    layout_attr = np.zeros((1, 2), np.int8)
    for c, component in enumerate(components):
        for s, slot in enumerate(SLOTS):
            rules[0, c, s] = rule_code(component.get(slot, "constant"))
        layout_attr[0, c] = layout_code(component.get("on", "configuration"))
    return rules, layout_attr


def label(target: str, *components: dict[str, str]) -> float:
    return float(labels(target, *puzzle(*components))[0])


def test_constant_color_is_any_component():
    assert label("constant_color", {"color": "progression"}) == 0.0
    assert label("constant_color", {"color": "constant"}) == 1.0
    assert label("constant_color", {"color": "arithmetic"}, {"color": "constant"}) == 1.0
    assert label("constant_color", {"color": "arithmetic"}, {"color": "distribute_three"}) == 0.0


def test_empty_second_component_never_counts():
    # a single-component puzzle has code 0 in component 1: no rule there
    rules, layout_attr = puzzle({"color": "progression"})
    assert rules[0, 1].tolist() == [0, 0, 0, 0]
    assert labels("constant_color", rules, layout_attr)[0] == 0.0
    assert labels("distribute_three_shape", rules, layout_attr)[0] == 0.0


def test_layout_targets_need_the_attribute():
    on_number = {"configuration": "progression", "on": "number"}
    on_position = {"configuration": "progression", "on": "position"}
    assert label("progression_number", on_number) == 1.0
    assert label("progression_position", on_number) == 0.0
    assert label("progression_position", on_position) == 1.0
    assert label("constant_configuration", on_number) == 0.0
    assert label("constant_configuration", {}) == 1.0


def test_any_progression_looks_at_every_slot():
    assert label("any_progression", {}) == 0.0
    assert label("any_progression", {"shape": "progression"}) == 1.0
    assert label("any_progression", {}, {"configuration": "progression", "on": "position"}) == 1.0


def test_labels_are_float32_per_puzzle():
    rules = np.concatenate([puzzle({"color": c})[0] for c in RULES])
    layout_attr = np.full((len(RULES), 2), layout_code("configuration"), np.int8)
    out = labels("progression_color", rules, layout_attr)
    assert out.dtype == np.float32
    assert out.tolist() == [0.0, 1.0, 0.0, 0.0]


@pytest.mark.parametrize("name", list(TARGETS))
def test_every_target_is_documented(name):
    assert TARGETS[name].description.startswith("1 if ")


def test_codes_round_trip():
    assert [rule_code(r) for r in RULES] == [1, 2, 3, 4]
    assert [layout_code(a) for a in LAYOUT_ATTRS] == [1, 2, 3]
