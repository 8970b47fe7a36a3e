"""Conformance with the original G-SSNN implementation (shared/conformance/graph-dsl-original.jsonl).

Every record's program, read both from its first-order form (our grammar) and
from the seed's lambda syntax (``import_original``), must build exactly the
recorded graph: same edge ids, ports, ``next_id``, ``size`` and the same edge
order (the seed lists edges descending by ``(node, port)``; we reproduce that
order, so the JSON is compared as is, not sorted). Its mass must match too.

The data sits beside the clone (``<repo>/../shared``) or where the
``FRAMEWORK_SHARED`` environment variable points. Missing data is a failure,
not a skip: a green run must mean the interpreter was checked.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from framework import Grammar, PortGraph, mass
from framework.dsl.lambda_import import import_original
from framework_plugins.graph_domain import GraphDomain, GraphDomainOptions

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("FRAMEWORK_SHARED") or REPO.parent / "shared")
RECORDS_PATH = SHARED / "conformance" / "graph-dsl-original.jsonl"
RECORDS = (
    [json.loads(line) for line in RECORDS_PATH.read_text(encoding="utf-8").splitlines() if line.strip()]
    if RECORDS_PATH.is_file()
    else []
)
GRAMMAR = Grammar.load_builtin("graph")
DOMAIN = GraphDomain()


def test_conformance_data_is_present():
    assert RECORDS_PATH.is_file(), (
        f"conformance data not found at {RECORDS_PATH}; put shared/ beside the clone "
        "or set FRAMEWORK_SHARED to the folder holding conformance/"
    )
    assert len(RECORDS) == 69


@pytest.mark.parametrize("record", RECORDS, ids=[f"record{i}" for i in range(len(RECORDS))])
def test_program_builds_the_recorded_graph(record):
    program = GRAMMAR.parse(record["program"])
    output = DOMAIN.evaluate(program, GRAMMAR)
    assert isinstance(output, PortGraph), output
    assert output.to_json() == record["output"]
    assert PortGraph.from_json(record["output"]) == output
    assert mass(program, GRAMMAR) == record["mass"]


@pytest.mark.parametrize("record", RECORDS, ids=[f"record{i}" for i in range(len(RECORDS))])
def test_original_lambda_program_is_the_same_program(record):
    imported = import_original(record["original_program"], GRAMMAR)
    assert imported == GRAMMAR.parse(record["program"])
    assert DOMAIN.evaluate(imported, GRAMMAR).to_json() == record["output"]
    assert mass(imported, GRAMMAR) == record["mass"]


@pytest.mark.parametrize("equivalence", ["simple", "ported"])
def test_equivalence_keys_do_not_collide_on_the_corpus(equivalence):
    """Within each key class every graph is equivalent to the first: the cheap key is exact here."""
    domain = GraphDomain(GraphDomainOptions(equivalence=equivalence))
    classes: dict = {}
    for record in RECORDS:
        graph = PortGraph.from_json(record["output"])
        classes.setdefault(domain.key(graph), []).append(graph)
    assert 1 < len(classes) < len(RECORDS)  # the corpus has repeats and distinct graphs alike
    for first, *rest in classes.values():
        assert all(domain.equivalent(first, other) for other in rest)
