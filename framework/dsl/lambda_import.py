"""Import of the seed's lambda syntax into first-order programs of a grammar.

The original G-SSNN system stored programs as curried lambda terms with
inline inventions, e.g.::

    ({fn_0}(lam (push (add (connect $0)))) identity)

``{fn_k}`` marks an invention (the name is dropped: its body follows inline),
``lam``/``lambda`` bind a variable, ``$i`` is a de Bruijn index (``$0`` is the
innermost binder), ``(f a b)`` applies ``f`` to ``a`` then ``b``, and a
primitive may appear unapplied (``connect`` passed as an argument). The import
normalises the term (normalisation by evaluation, step-bounded) and reads back
a first-order tree in which every primitive is applied to exactly its arity.
"""

from __future__ import annotations

from attrs import frozen

from framework.dsl.errors import ProgramError, ProgramSyntaxError
from framework.dsl.grammar import Grammar
from framework.dsl.program import Program
from framework.dsl.sexp import Atom, SExp, SList, read

#: Evaluation steps allowed per import (a malicious term such as omega never ends).
STEP_BUDGET = 100_000
_BINDERS = ("lam", "lambda")


@frozen
class _Var:
    index: int
    at: Atom


@frozen
class _Prim:
    name: str
    at: Atom


@frozen
class _Lam:
    body: object
    at: SList


@frozen
class _App:
    function: object
    arguments: tuple
    at: SList


class _Closure:
    __slots__ = ("body", "env", "at")

    def __init__(self, body, env, at):
        self.body, self.env, self.at = body, env, at


class _Neutral:
    __slots__ = ("name", "args", "at")

    def __init__(self, name, args, at):
        self.name, self.args, self.at = name, args, at


def import_original(text: str, grammar: Grammar, source: str = "<program>") -> Program:
    """The first-order program of ``grammar`` that the seed's lambda term ``text`` denotes.

    Raises :class:`ProgramSyntaxError` (with line and column) for malformed
    text, unknown primitives, unbound variables, terms that do not normalise
    within :data:`STEP_BUDGET` steps or that are not first-order afterwards.
    """

    def fail(message: str, at: Atom | SList) -> ProgramSyntaxError:
        return ProgramSyntaxError(message, source, at.line, at.column)

    def term(node: SExp, binders: int):
        if isinstance(node, Atom):
            name = node.text
            if name.startswith("$"):
                if not name[1:].isdigit():
                    raise fail(f"bad variable {name!r} (expected $<index>)", node)
                index = int(name[1:])
                if index >= binders:
                    raise fail(f"unbound variable {name} ({binders} enclosing lambda(s))", node)
                return _Var(index, node)
            if name in _BINDERS:
                raise fail(f"{name!r} must open a list: ({name} body)", node)
            if name not in grammar.productions:
                raise fail(f"unknown primitive {name!r}; valid: {', '.join(grammar.productions)}",
                           node)
            return _Prim(name, node)
        if not node.items:
            raise fail("empty application '()'", node)
        head = node.items[0]
        if isinstance(head, Atom) and head.text in _BINDERS:
            if len(node.items) != 2:
                raise fail(f"({head.text} body) takes exactly one body", node)
            return _Lam(term(node.items[1], binders + 1), node)
        if len(node.items) == 1:
            return term(head, binders)
        return _App(term(head, binders), tuple(term(i, binders) for i in node.items[1:]), node)

    steps = 0

    def evaluate(t, env: tuple):
        nonlocal steps
        steps += 1
        if steps > STEP_BUDGET:
            raise fail(f"term does not normalise within {STEP_BUDGET} steps", t.at)
        if isinstance(t, _Var):
            return env[t.index]
        if isinstance(t, _Prim):
            return _Neutral(t.name, (), t.at)
        if isinstance(t, _Lam):
            return _Closure(t.body, env, t.at)
        value = evaluate(t.function, env)
        for argument in t.arguments:
            value = apply(value, evaluate(argument, env))
        return value

    def apply(function, argument):
        if isinstance(function, _Closure):
            return evaluate(function.body, (argument, *function.env))
        return _Neutral(function.name, (*function.args, argument), function.at)

    def read_back(value) -> Program:
        if isinstance(value, _Closure):
            raise fail("not first-order: a lambda remains after normalisation", value.at)
        arity = grammar.productions[value.name].arity
        if len(value.args) != arity:
            raise fail(f"{value.name!r} takes {arity} argument(s), got {len(value.args)} after "
                       "normalisation", value.at)
        return Program(value.name, tuple(read_back(a) for a in value.args))

    root = read(text, source, annotations=True)
    try:
        program = read_back(evaluate(term(root, 0), ()))
    except RecursionError:
        raise fail("term nests too deeply to normalise (does it terminate?)", root) from None
    try:
        grammar.check(program)
    except ProgramError as error:
        raise fail(f"ill-typed after normalisation: {error}", root) from None
    return program
