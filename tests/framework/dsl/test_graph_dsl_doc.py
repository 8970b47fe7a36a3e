"""docs/graph-dsl.md stays true to the grammar and the graph domain; nothing points outside the repository."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from framework import Grammar, PortGraph
from framework.plugins import build_plugin, build_registry

REPO = Path(__file__).resolve().parents[3]
DOC = (REPO / "docs" / "graph-dsl.md").read_text()


@pytest.fixture(autouse=True)
def only_the_graph_domain(monkeypatch):
    monkeypatch.setenv("FRAMEWORK_LOAD_PLUGINS", "graph_domain")


def test_the_production_table_is_the_grammar():
    grammar = Grammar.load_builtin("graph")
    table = {}
    for line in DOC.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            arguments = [] if cells[1] == "none" else cells[1].strip("`").split()
            for name in re.findall(r"`(\w+)`", cells[0]):
                table[name] = len(arguments)
    assert table == {p.name: p.arity for p in grammar.productions.values()}


def test_the_json_example_is_what_eval_prints():
    domain = build_plugin(build_registry(), "domain", "graph")
    example = json.loads(re.search(r"```json\n(.*?)\n```", DOC, re.S).group(1))
    output = domain.evaluate(domain.grammar.parse("(push (add (connect identity)))"))
    assert domain.to_graph(output).to_json() == example
    assert PortGraph.from_json(example).node_ids == (0, 1)


def test_the_options_shown_are_the_defaults():
    shown = tomllib.loads(re.search(r"```toml\n(.*?)\n```", DOC, re.S).group(1))["domain"]
    options = build_registry().get("domain", shown.pop("plugin")).info.options()
    assert shown == {name: getattr(options, name) for name in shown}
    assert f"default {options.step_budget:,}".replace(",", " ") in DOC


def test_no_repository_file_points_at_the_reference_folder():
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    allowed = ("tests/conformance_data.py", "scripts/")
    pointer = b"../" b"shared"  # spelled in two so that this file does not hold it
    offenders = [
        name for name in listed.decode().split("\0")
        if name and not name.startswith(allowed) and (REPO / name).is_file()
        and pointer in (REPO / name).read_bytes()
    ]
    assert offenders == []
