"""Example domain plugin: programs of arith.lark as functions of x (docs/grammars.md)."""

from __future__ import annotations

from attrs import field, frozen
from attrs.validators import gt

from framework import FrameworkError, Grammar, PluginInfo, ProgramError, Rejection, hookimpl

OPERATIONS = {  # production name -> (x, *child values) -> value
    "zero": lambda x: 0, "one": lambda x: 1, "x": lambda x: x,
    "add": lambda x, a, b: a + b, "mul": lambda x, a, b: a * b, "neg": lambda x, a: -a,
    "if": lambda x, c, a, b: a if c else b,
    "true": lambda x: True, "false": lambda x: False,
    "lt": lambda x, a, b: a < b, "eq": lambda x, a, b: a == b,
    "not": lambda x, a: not a, "and": lambda x, a, b: a and b,
}


@frozen
class ArithOptions:
    inputs: tuple[int, ...] = (-2, -1, 0, 1, 2, 3)
    step_budget: int = field(default=10_000, validator=gt(0))


class ArithDomain:
    """An output is the program's value table over ``options.inputs``."""

    def __init__(self, options: ArithOptions = ArithOptions()) -> None:
        self.options = options
        self.grammar = Grammar.load_builtin("arith")

    def evaluate(self, program, grammar):
        try:
            program = grammar.expand(program)  # inventions -> base productions
        except ProgramError:
            return Rejection("budget exceeded", "inventions nest too deeply")
        budget = self.options.step_budget
        table = []
        for x in self.options.inputs:
            values, stack = [], [(program, False)]
            while stack:  # post-order, iterative: deep programs are fine
                node, ready = stack.pop()
                if not ready:
                    stack.append((node, True))
                    stack.extend((child, False) for child in reversed(node.children))
                    continue
                budget -= 1
                if budget < 0:
                    return Rejection("budget exceeded", f"more than {self.options.step_budget} steps")
                arity = len(node.children)
                arguments = values[len(values) - arity:]
                del values[len(values) - arity:]
                values.append(OPERATIONS[node.production](x, *arguments))
            table.append(values[0])
        return tuple(table)

    def key(self, output):
        return output

    def equivalent(self, a, b):
        return a == b

    def to_graph(self, output):
        raise FrameworkError("arith outputs are numbers, not graphs: this domain cannot shape a G-SSNN")


@hookimpl
def register_domains():
    return [PluginInfo("arith", "domain", ArithDomain, ArithOptions,
                       summary="integer expressions of x, evaluated on a few inputs")]
