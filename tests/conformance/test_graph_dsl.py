"""Conformance with the original G-SSNN implementation (shared/conformance/graph-dsl-original.jsonl).

Every record's program, read both from its first-order form (our grammar) and
from the seed's lambda syntax (``import_original``), must build exactly the
recorded graph: same edge ids, ports, ``next_id``, ``size`` and the same edge
order (the seed lists edges descending by ``(node, port)``; we reproduce that
order, so the JSON is compared as is, not sorted). Its mass must match too.

The records come from ``tests/conformance_data.py``: the shared copy beside
the clone (or ``$FRAMEWORK_SHARED``) when present, else the bundled copy,
which must then equal the shared one byte for byte.
"""

from __future__ import annotations

import pytest
from conformance_data import BUNDLED, SHARED, records

from framework import Grammar, PortGraph, mass
from framework.dsl.lambda_import import import_original
from framework_plugins.graph_domain import GraphDomain, GraphDomainOptions

RECORDS = records()
GRAMMAR = Grammar.load_builtin("graph")
DOMAIN = GraphDomain()


def test_conformance_data_is_complete_and_the_bundled_copy_is_the_shared_one():
    assert len(RECORDS) == 69
    if SHARED.is_file():
        assert BUNDLED.read_bytes() == SHARED.read_bytes()


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
