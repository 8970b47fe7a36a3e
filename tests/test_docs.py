"""The docs cannot drift from the code: hooks, spec keys and built-in plugins are all documented."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import attrs

from framework import hookspecs
from framework.plugins import build_plugin_manager, build_registry
from framework.spec import PluginChoice, Spec

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _hook_names() -> list[tuple[str, list[str]]]:
    pm = build_plugin_manager()
    return [
        (name, list(inspect.signature(getattr(hookspecs, name)).parameters))
        for name in dir(pm.hook)
        if not name.startswith("_") and hasattr(hookspecs, name)
    ]


def test_every_hook_has_a_section_headed_by_its_signature():
    text = (DOCS / "plugins.md").read_text()
    headings = set(re.findall(r"^### (.+)$", text, flags=re.M))
    for name, params in _hook_names():
        assert f"{name}({', '.join(params)})" in headings, name


def _spec_keys(cls: type, prefix: str) -> list[str]:
    attrs.resolve_types(cls)
    keys = []
    for field in attrs.fields(cls):
        if field.name == "options":
            continue
        name = field.metadata.get("toml", field.name)
        path = f"{prefix}.{name}" if prefix else name
        element = getattr(field.type, "__args__", (None,))[0]
        if isinstance(element, type) and issubclass(element, PluginChoice):
            keys += _spec_keys(element, path)
        elif isinstance(field.type, type) and attrs.has(field.type) and not (
            prefix and issubclass(field.type, PluginChoice)
        ):
            keys += _spec_keys(field.type, path)
        else:
            keys.append(path)
    return keys


def test_every_spec_key_is_documented():
    text = (DOCS / "spec.md").read_text()
    keys = _spec_keys(Spec, "")
    assert "training.epochs" in keys and "model.encoder" in keys and "synthesizers.plugin" in keys
    missing = [key for key in keys if f"`{key}`" not in text]
    assert not missing, f"docs/spec.md lacks {missing}"


def test_every_builtin_plugin_is_named_in_the_plugin_guide():
    text = (DOCS / "plugins.md").read_text()
    missing = [f"{r.info.kind} {r.info.name}" for r in build_registry().all() if f"`{r.info.name}`" not in text]
    assert not missing, f"docs/plugins.md lacks {missing}"


def test_runs_md_lists_the_keys_resume_allows_and_the_kill_points():
    from framework import engine
    from framework.resume import NEUTRAL_KEYS

    text = (DOCS / "runs.md").read_text()
    for key in NEUTRAL_KEYS:
        assert f"| `{key}` |" in text, key
    points = sorted(set(re.findall(r'kill_point\(f"([a-z]+:)', inspect.getsource(engine))))
    assert points == ["reported:", "selected:", "trained:"]
    for point in points:
        assert f"| `{point}" in text, point
