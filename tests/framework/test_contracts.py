"""The protocols of framework.contracts: the built-in plugins fit them, and the optional capability is testable."""

from __future__ import annotations

import pytest

from framework import (
    Domain,
    Executor,
    LibraryLearner,
    LibraryResult,
    Resumable,
    Selector,
    Synthesizer,
    Task,
    build_plugin,
)
from framework.plugins import build_registry

#: The kinds whose objects are plain Python (the neural kinds are torch modules with base classes).
PROTOCOLS = {
    "domain": Domain,
    "synthesizer": Synthesizer,
    "library_learner": LibraryLearner,
    "task": Task,
    "selector": Selector,
    "executor": Executor,
}


def _members(protocol: type) -> set[str]:
    """The methods and attributes a protocol declares (not its machinery)."""
    declared = {name for name in vars(protocol) if not name.startswith("_")}
    return declared | set(getattr(protocol, "__annotations__", {}))


def _built_ins():
    registry = build_registry()
    for kind, protocol in PROTOCOLS.items():
        for name in registry.names(kind):
            yield pytest.param(registry, kind, name, protocol, id=f"{kind}-{name}")


@pytest.mark.parametrize(("registry", "kind", "name", "protocol"), list(_built_ins()))
def test_every_builtin_plugin_offers_what_its_protocol_declares(registry, kind, name, protocol):
    plugin = build_plugin(registry, kind, name)
    missing = sorted(member for member in _members(protocol) if not hasattr(plugin, member))
    assert not missing, f"{kind} {name!r} lacks {missing}"


def test_selectors_name_the_splits_they_read():
    registry = build_registry()
    splits = {name: build_plugin(registry, "selector", name).requires_splits for name in registry.names("selector")}
    assert splits == {"select-accuracy": ("select",), "train-accuracy": ()}


def test_resumable_is_what_the_engine_tests_for():
    registry = build_registry()
    enumerative = build_plugin(registry, "synthesizer", "enumerative")
    stochastic = build_plugin(registry, "synthesizer", "stochastic")
    assert isinstance(enumerative, Resumable)
    assert not isinstance(stochastic, Resumable)

    class HalfResumable:
        def state(self):
            return {}

    assert not isinstance(HalfResumable(), Resumable)


def test_the_library_learner_returns_the_core_record():
    from framework import Grammar

    grammar = Grammar.load_builtin("graph")
    learner = build_plugin(build_registry(), "library_learner", "stitch")
    assert learner.compress(grammar, []) == LibraryResult(grammar, (), (), 1.0)


def test_every_hook_names_its_protocol():
    import re

    from framework import KINDS, contracts, hookspecs

    for kind, hook in [*KINDS.items(), ("reporter", "on_generation_end"), ("reporter", "on_run_end")]:
        named = re.findall(r"framework\.contracts\.(\w+)", getattr(hookspecs, hook).__doc__)
        assert named and all(name in contracts.__all__ for name in named), (kind, hook, named)
