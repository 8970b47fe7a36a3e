"""Fixtures of the DSL-core tests: the built-in grammars and the conformance records."""

from __future__ import annotations


import pytest

from conformance_data import records as conformance_records

from framework import Grammar

@pytest.fixture(scope="session")
def records() -> list[dict]:
    """The 69 programs recorded by the original G-SSNN implementation."""
    return conformance_records()


@pytest.fixture(scope="session")
def graph_grammar() -> Grammar:
    return Grammar.load_builtin("graph")


@pytest.fixture(scope="session")
def arith_grammar() -> Grammar:
    return Grammar.load_builtin("arith")
