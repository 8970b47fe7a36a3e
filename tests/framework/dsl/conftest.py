"""Fixtures of the DSL-core tests: the built-in grammars and the conformance records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from framework import Grammar

CONFORMANCE = Path(__file__).resolve().parents[3].parent / "shared" / "conformance" / "graph-dsl-original.jsonl"


def conformance_records() -> list[dict]:
    """The 69 programs recorded by the original G-SSNN implementation (see ../shared)."""
    if not CONFORMANCE.is_file():
        pytest.skip(f"conformance data not found at {CONFORMANCE}")
    return [json.loads(line) for line in CONFORMANCE.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="session")
def records() -> list[dict]:
    return conformance_records()


@pytest.fixture(scope="session")
def graph_grammar() -> Grammar:
    return Grammar.load_builtin("graph")


@pytest.fixture(scope="session")
def arith_grammar() -> Grammar:
    return Grammar.load_builtin("arith")
