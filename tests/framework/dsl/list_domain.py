"""Example domain for list.lark: a program is a function on lists, recursion on the list's rest."""

from __future__ import annotations

from framework import Program, Rejection


class _Stop(Exception):
    pass


def apply(program: Program, xs: tuple[int, ...], step_budget: int = 10_000) -> tuple[int, ...] | Rejection:
    """``program`` applied to ``xs``; ``self`` is the program on ``xs[1:]``."""
    steps = [0]

    def value(node: Program, xs: tuple[int, ...]):
        steps[0] += 1
        if steps[0] > step_budget:
            raise _Stop("budget exceeded", f"more than {step_budget} steps")
        name, children = node.production, node.children
        if name == "nil":
            return ()
        if name == "self":
            if not xs:
                raise _Stop("no base case", "self on the empty list")
            return value(program, xs[1:])
        if name == "cons":
            return (value(children[0], xs), *value(children[1], xs))
        if name == "if_nil":
            return value(children[0], xs) if not xs else value(children[1], xs)
        if name == "zero":
            return 0
        if name == "head":
            if not xs:
                raise _Stop("no base case", "head of the empty list")
            return xs[0]
        if name == "succ":
            return value(children[0], xs) + 1
        if name == "add":
            return value(children[0], xs) + value(children[1], xs)
        raise ValueError(f"unknown production {name!r}")

    try:
        return value(program, xs)
    except _Stop as stop:
        return Rejection(*stop.args)
