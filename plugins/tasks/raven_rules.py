"""The rules behind a Raven puzzle, as small integer arrays, and the targets read from them.

A generated puzzle is cached together with its rules, not with one target:
the target is computed when the data is loaded, so switching from
``constant_color`` to ``progression_number`` reuses the cached images.

Encoding (independent of raven-gen's enum values, so this module never
imports the GPL-licensed package):

* ``rules[i, c, s]``: the rule of component ``c`` (0 or 1; single-component
  matrix types leave component 1 empty) on slot ``s`` (:data:`SLOTS`), as
  ``1 + RULES.index(name)``; 0 means "no such component".
* ``layout_attr[i, c]``: what the configuration slot's rule acts on,
  ``1 + LAYOUT_ATTRS.index(name)``; 0 for no component. raven-gen turns a
  CONSTANT configuration rule into one on ``configuration`` (number and
  position both kept), so ``number`` and ``position`` only occur with the
  other three rules.
"""

from __future__ import annotations

from typing import Callable, Mapping

import numpy as np
from attrs import frozen

#: Rule names, in raven-gen's ``RuleType`` order.
RULES = ("constant", "progression", "arithmetic", "distribute_three")
#: A component's rule slots, in raven-gen's ``ComponentRules.all`` order.
SLOTS = ("configuration", "shape", "size", "color")
#: What a configuration-slot rule acts on.
LAYOUT_ATTRS = ("number", "position", "configuration")

#: Components per puzzle (raven-gen's structures have one or two).
MAX_COMPONENTS = 2


def rule_code(name: str) -> int:
    return 1 + RULES.index(name)


def layout_code(name: str) -> int:
    return 1 + LAYOUT_ATTRS.index(name)


@frozen
class Target:
    """A binary target: ``label(rules, layout_attr) -> bool[n]`` and what it means."""

    label: Callable[[np.ndarray, np.ndarray], np.ndarray]
    description: str


def _slot_target(rule: str, slot: str) -> Target:
    """1 if any component's ``slot`` (shape, size or colour) follows ``rule``."""

    def label(rules: np.ndarray, _layout_attr: np.ndarray) -> np.ndarray:
        return (rules[:, :, SLOTS.index(slot)] == rule_code(rule)).any(axis=1)

    return Target(label, f"1 if any component's {slot} rule is {rule.upper()}")


def _layout_target(rule: str, attr: str) -> Target:
    """1 if any component's configuration rule is ``rule`` acting on ``attr``."""

    def label(rules: np.ndarray, layout_attr: np.ndarray) -> np.ndarray:
        on_slot = rules[:, :, SLOTS.index("configuration")] == rule_code(rule)
        return (on_slot & (layout_attr == layout_code(attr))).any(axis=1)

    return Target(label, f"1 if any component's {attr} rule is {rule.upper()}")


def _any_rule_target(rule: str) -> Target:
    def label(rules: np.ndarray, _layout_attr: np.ndarray) -> np.ndarray:
        return (rules == rule_code(rule)).any(axis=(1, 2))

    return Target(label, f"1 if any rule of any component is {rule.upper()}")


def _build_targets() -> dict[str, Target]:
    targets: dict[str, Target] = {}
    # Colour and shape: every rule raven-gen can sample on them (shape has no
    # ARITHMETIC). Size is always CONSTANT in this task, so it has no targets.
    for slot, rules in (("color", RULES), ("shape", ("constant", "progression", "distribute_three"))):
        for rule in rules:
            targets[f"{rule}_{slot}"] = _slot_target(rule, slot)
    for attr in ("number", "position"):
        for rule in RULES[1:]:
            targets[f"{rule}_{attr}"] = _layout_target(rule, attr)
    targets["constant_configuration"] = _layout_target("constant", "configuration")
    targets["any_progression"] = _any_rule_target("progression")
    return targets


#: Every target a spec may name (``[task] target = "..."``), by name.
TARGETS: Mapping[str, Target] = _build_targets()


def labels(target: str, rules: np.ndarray, layout_attr: np.ndarray) -> np.ndarray:
    """The 0/1 labels (float32) of ``target`` for puzzles with these rule arrays."""
    return TARGETS[target].label(rules, layout_attr).astype(np.float32)
