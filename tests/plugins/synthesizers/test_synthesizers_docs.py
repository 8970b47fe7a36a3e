"""docs/synthesizers.md: the example plugin runs, and every option of the built-ins is documented."""

from __future__ import annotations

import random
import re
import types
from pathlib import Path

import attrs
import pytest

from framework import Grammar, PluginInfo, Program
from framework.explore import explore
from framework_plugins.graph_domain import GraphDomain, GraphDomainOptions
from framework_plugins.synthesizers import BehaviouralOptions, EnumerativeOptions, StochasticOptions

DOC = Path(__file__).resolve().parents[3] / "docs" / "synthesizers.md"
GRAPH = Grammar.load_builtin("graph")


def example_module() -> types.ModuleType:
    """The first python block after '## Writing a synthesizer' that registers a plugin, as a module."""
    section = DOC.read_text().split("## Writing a synthesizer", 1)[1]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    source = next(b for b in blocks if "@hookimpl" in b)
    module = types.ModuleType("wrap_example")
    exec(compile(source, str(DOC), "exec"), module.__dict__)  # noqa: S102 - our own docs
    return module


def test_the_documented_example_plugin_works():
    module = example_module()
    (info,) = module.register_synthesizers()
    assert isinstance(info, PluginInfo) and info.kind == "synthesizer"
    synthesizer = info.factory(info.options(batch_size=3))

    @attrs.frozen
    class Member:
        program: Program
        output: object

    domain = GraphDomain(GraphDomainOptions(equivalence="ported"))
    seed = GRAPH.parse("(push (add (connect identity)))")
    population = [Member(seed, domain.evaluate(seed, GRAPH))]
    result = explore(domain, GRAPH, [("wrap", synthesizer)], population, want=10,
                     rng=random.Random(0), budget=100)
    assert result.stats.proposed == 7  # one per unary production of t
    assert result.found and all(f.program.children == (seed,) for f in result.found)


@pytest.mark.parametrize("options", [EnumerativeOptions, StochasticOptions, BehaviouralOptions])
def test_every_option_is_documented(options):
    text = DOC.read_text()
    for field in attrs.fields(options):
        assert f"| `{field.name}` |" in text, f"docs/synthesizers.md lacks option {field.name}"
