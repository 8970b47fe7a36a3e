"""Programs to stitch's text and back (plugins/library/sexpr.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from framework import FrameworkError, Program
from framework_plugins.library.sexpr import parse_sexpr, to_sexpr

NAMES = st.sampled_from(["identity", "push", "func", "if_positions_equal", "inv_3"])
programs = st.recursive(
    NAMES.map(Program),
    lambda inner: st.builds(lambda name, children: Program(name, tuple(children)), NAMES, st.lists(inner, min_size=1, max_size=4)),
    max_leaves=20,
)


def as_lists(program: Program):
    """The nested-list form a first-order program parses to."""
    if not program.children:
        return program.production
    return [program.production, *map(as_lists, program.children)]


@given(programs)
def test_text_is_the_s_expression_and_parses_back(program):
    text = to_sexpr(program)
    assert text == repr(program)
    assert parse_sexpr(text) == as_lists(program)


def test_deep_chains_do_not_hit_the_recursion_limit():
    program = Program("identity")
    for _ in range(5000):
        program = Program("push", (program,))
    text = to_sexpr(program)
    assert text.count("(push ") == 5000 and text.endswith("identity" + ")" * 5000)


def test_curried_applications_are_flattened():
    assert parse_sexpr("((func (#1 identity)) k)") == ["func", ["#1", "identity"], "k"]
    assert parse_sexpr("  fn_1 ") == "fn_1"


@pytest.mark.parametrize("text", ["(push identity", "push)", "()", "a b", ""])
def test_malformed_text_is_a_framework_error(text):
    with pytest.raises(FrameworkError, match="stitch returned"):
        parse_sexpr(text)
