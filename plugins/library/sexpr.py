"""Stitch's s-expression form of programs, both ways.

stitch-core reads and writes programs as text: ``(push (add identity))``.
A first-order :class:`~framework.Program` maps to that text one to one (a
node with children is ``(name child ...)``, a leaf is ``name``), which is
also how stitch reads it: an application of the symbol ``name`` to its
arguments, curried. Stitch's output is parsed back into a small nested-list
form (:data:`Sexpr`) first, because it may contain abstraction holes
(``#0``), applications of abstractions and, in principle, curried
applications that are no programs of any grammar; ``inventions.py`` turns
that form into programs.
"""

from __future__ import annotations

import re
from typing import Mapping, Union

from framework import FrameworkError, Program

#: A parsed stitch expression: a symbol, or an application ``[head, arg, ...]``.
Sexpr = Union[str, list]
#: A production's nonterminal and the nonterminals of its arguments.
Signature = tuple[str, tuple[str, ...]]

_TOKEN = re.compile(r"\(|\)|[^\s()]+")


def to_sexpr(program: Program, signatures: Mapping[str, Signature], nonterminal: str) -> str | None:
    """The stitch text of a first-order program, or ``None`` if it is ill-formed.

    ``signatures`` maps each production to its nonterminal and argument
    nonterminals; the program must be a well-typed ``nonterminal`` (checking
    here saves a second walk over every program; the grammar's own
    ``check`` says what is wrong). Production names are valid stitch symbols
    by construction: the grammar refuses aliases that stitch would misread
    (``lam``, ``#...``, ``fn_<n>``). Iterative, like the grammar's printer:
    programs can be deep chains.
    """
    out: list[str] = []
    stack: list[tuple[Program, str] | str] = [(program, nonterminal)]  # subtrees and literal text
    while stack:
        item = stack.pop()
        if item.__class__ is str:
            out.append(item)
            continue
        node, expected = item
        closing = 0
        # Walk down first children without the stack: chains are the common shape.
        while True:
            signature = signatures.get(node.production)
            children = node.children
            if signature is None or signature[0] != expected or len(signature[1]) != len(children):
                return None
            if not children:
                out.append(node.production)
                break
            out.append("(" + node.production + " ")
            closing += 1
            arguments = signature[1]
            if len(children) > 1:
                stack.append(")" * closing)
                closing = 0
                for i in range(len(children) - 1, 0, -1):
                    stack.append((children[i], arguments[i]))
                    stack.append(" ")
            node, expected = children[0], arguments[0]
        out.append(")" * closing)
    return "".join(out)


def parse_sexpr(text: str) -> Sexpr:
    """Parse stitch's output text (a symbol or a parenthesised application).

    ``((f a) b)`` is flattened to ``(f a b)``: stitch's applications are
    curried, so both denote the same term.
    """
    stack: list[list] = [[]]
    for token in _TOKEN.findall(text):
        if token == "(":
            stack.append([])
        elif token == ")":
            if len(stack) == 1:
                raise FrameworkError(f"stitch returned unbalanced text: {text!r}")
            node = stack.pop()
            if not node:
                raise FrameworkError(f"stitch returned an empty application: {text!r}")
            stack[-1].append(flatten(node))
        else:
            stack[-1].append(token)
    if len(stack) != 1 or len(stack[0]) != 1:
        raise FrameworkError(f"stitch returned malformed text: {text!r}")
    return stack[0][0]


def flatten(node: list) -> Sexpr:
    """Merge a head that is itself an application: ``((f a) b)`` -> ``(f a b)``."""
    if len(node) == 1:
        return node[0]
    head = node[0]
    if isinstance(head, list):
        return head + node[1:]
    return node
