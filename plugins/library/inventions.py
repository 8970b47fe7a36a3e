"""Turn stitch's abstractions into grammar productions, and its rewrites into programs.

Stitch is untyped and names its abstractions ``fn_0, fn_1, ...`` afresh on
every call (grammars reserve names of that form, so they are unambiguous).
A grammar needs more, so each abstraction, in the order stitch learned it
(later ones may call earlier ones), is

1. **checked first-order**: its body must be a program of the grammar with
   holes ``#i`` standing for whole argument subtrees (no hole applied to
   something, no production with the wrong number of arguments), and each
   hole must sit in positions of a single nonterminal, which becomes the
   type of that argument. An abstraction that fails is *inlined*: its uses
   are replaced by its body, so the rewritten programs keep their meaning;
2. **put in canonical form**: holes renumbered in order of first appearance
   in the fully expanded body, remembering how stitch's argument order maps
   onto the new one;
3. **deduplicated by meaning**: its body, with every invention expanded down
   to base productions, is compared with the expanded bodies of the
   grammar's inventions and of the ones accepted before it (the seed
   re-invented ``fn_8 = fn_11``); a duplicate becomes an alias of the
   existing production (arguments permuted as needed);
4. **named** ``inv_<k>`` with ``k`` past every ``inv_<j>`` the grammar has.

Rewritten programs are then read back through the same table (aliases,
inlined abstractions, new names).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Mapping, Sequence

from attrs import frozen

from framework import FrameworkError, Program, hole, hole_index

from .sexpr import Sexpr, flatten, parse_sexpr

if TYPE_CHECKING:
    from framework import Grammar, Production

#: Name prefix of learned inventions. Stitch calls its abstractions ``fn_0,
#: fn_1, ...`` on every call; grammars reserve that form, so stitch's names
#: never clash with a production in the programs it reads.
PREFIX = "inv_"
_NUMBERED = re.compile(re.escape(PREFIX) + r"(\d+)")


@frozen
class Abstraction:
    """One abstraction as stitch returned it: its name, body text and arity."""

    name: str
    body: str
    arity: int


@frozen
class _Alias:
    """Stitch's abstraction stands for production ``name``.

    Argument ``j`` of ``name`` is stitch's argument ``order[j]``.
    """

    name: str
    order: tuple[int, ...]


@frozen
class _Inline:
    """Stitch's abstraction is not first-order: its uses are replaced by ``body``."""

    body: Sexpr
    arity: int


class _NotFirstOrder(Exception):
    """A stitch term that is no (typed) program of the grammar."""


def first_free_index(names: Sequence[str]) -> int:
    """The ``k`` such that ``inv_k, inv_k+1, ...`` clash with no name given."""
    used = [int(m.group(1)) for m in map(_NUMBERED.fullmatch, names) if m]
    return max(used, default=-1) + 1


def translate(
    grammar: Grammar,
    abstractions: Sequence[Abstraction],
    rewritten: Sequence[str],
) -> tuple[tuple[Production, ...], tuple[Program, ...], Mapping[str, _Alias | _Inline]]:
    """The new inventions and the rewritten programs, from stitch's output.

    :return: the new productions (in dependency order), the rewritten
        programs (same order as ``rewritten``) and how each of stitch's
        abstractions was resolved (for reports and tests).
    """
    from framework import Production

    table = _Table(grammar)
    aliases: dict[str, _Alias] = {}
    inlined: dict[str, _Inline] = {}
    inventions: list[Production] = []
    for abstraction in abstractions:
        body = parse_sexpr(abstraction.body)
        try:
            program, hole_types = table.program(_inline(body, inlined), aliases, holes=True)
            key, order = canonical(table.expand(program))  # canonical hole j is stitch's hole order[j]
            if sorted(order) != list(range(abstraction.arity)):  # an invention inside may drop one
                raise _NotFirstOrder(f"expands to holes {sorted(order)} but has arity {abstraction.arity}")
        except _NotFirstOrder:
            inlined[abstraction.name] = _Inline(body, abstraction.arity)
            continue
        existing = table.by_key.get(key)
        if existing is not None:
            name, existing_order = existing
            # argument existing_order[j] of ``name`` is canonical hole j, i.e. stitch's order[j]
            target = [0] * len(order)
            for j, argument in enumerate(existing_order):
                target[argument] = order[j]
            aliases[abstraction.name] = _Alias(name, tuple(target))
            continue
        invention = Production(
            name=table.fresh_name(),
            nonterminal=table.nonterminal_of(program),
            arguments=tuple(hole_types[i] for i in order),
            body=_renumber(program, order),
        )
        table.add(invention, key)
        inventions.append(invention)
        aliases[abstraction.name] = _Alias(invention.name, order)
    programs = []
    for text in rewritten:
        try:
            program, _ = table.program(_inline(parse_sexpr(text), inlined), aliases, holes=False)
        except _NotFirstOrder as exc:
            raise FrameworkError(f"stitch rewrote a program into a non-program {text!r}: {exc}") from None
        programs.append(program)
    return tuple(inventions), tuple(programs), {**aliases, **inlined}


class _Table:
    """Signatures and expanded bodies of every production, growing as inventions are accepted."""

    def __init__(self, grammar: Grammar) -> None:
        self.grammar = grammar
        self.signatures = {name: (p.nonterminal, p.arguments) for name, p in grammar.productions.items()}
        #: expanded canonical body -> (invention name, its argument for each canonical hole)
        self.by_key: dict[Program, tuple[str, tuple[int, ...]]] = {}
        #: expanded bodies of the inventions accepted in this call (the grammar does not know them)
        self.new_bodies: dict[str, Program] = {}
        self.next_index = first_free_index(list(grammar.productions))
        for name, production in grammar.productions.items():
            if production.body is not None:
                holes = tuple(map(hole, range(production.arity)))
                key, order = canonical(grammar.expand(Program(name, holes)))
                self.by_key.setdefault(key, (name, order))

    def fresh_name(self) -> str:
        name = f"{PREFIX}{self.next_index}"
        self.next_index += 1
        return name

    def add(self, invention: Production, key: Program) -> None:
        self.signatures[invention.name] = (invention.nonterminal, invention.arguments)
        self.new_bodies[invention.name] = key
        self.by_key[key] = (invention.name, tuple(range(len(invention.arguments))))

    def nonterminal_of(self, program: Program) -> str:
        return self.signatures[program.production][0]

    def expand(self, program: Program) -> Program:
        """Base productions only: new inventions substituted here, the grammar's by the grammar."""
        return self.grammar.expand(self._substitute_new(program))

    def _substitute_new(self, program: Program) -> Program:
        children = tuple(self._substitute_new(child) for child in program.children)
        body = self.new_bodies.get(program.production)
        if body is None:
            return Program(program.production, children)
        return instantiate(body, children)

    def program(
        self, term: Sexpr, aliases: Mapping[str, _Alias], holes: bool
    ) -> tuple[Program, dict[int, str]]:
        """The program ``term`` denotes, and the nonterminal of each hole in it.

        ``holes``: whether ``#i`` may stand for an argument (abstraction
        bodies). Raises :class:`_NotFirstOrder` if ``term`` is no program of
        the grammar. The hot path of reading rewritten programs back.
        """
        signatures = self.signatures
        hole_types: dict[int, str] = {}

        def build(term: Sexpr) -> Program:
            if term.__class__ is str:
                head, arguments = term, ()
            else:
                head, arguments = term[0], term[1:]
                if head.__class__ is not str:
                    raise _NotFirstOrder(f"{head!r} is applied like a function")
            alias = aliases.get(head)
            if alias is not None:
                if len(arguments) != len(alias.order):
                    raise _NotFirstOrder(f"{head} takes {len(alias.order)} arguments")
                head, arguments = alias.name, [arguments[i] for i in alias.order]
            signature = signatures.get(head)
            if signature is None:  # holes included: they are no productions
                raise _NotFirstOrder(f"{head!r} is not a production here")
            expected = signature[1]
            if len(arguments) != len(expected):
                raise _NotFirstOrder(f"{head} takes {len(expected)} arguments, got {len(arguments)}")
            if not holes:
                return Program(head, tuple(map(build, arguments)))
            return Program(head, tuple(map(child, arguments, expected)))

        def child(argument: Sexpr, nonterminal: str) -> Program:
            index = hole_index(argument) if argument.__class__ is str else None
            if index is None:
                return build(argument)
            if hole_types.setdefault(index, nonterminal) != nonterminal:
                raise _NotFirstOrder(f"hole #{index} fills both {hole_types[index]} and {nonterminal}")
            return Program(argument)

        return build(term), hole_types


def instantiate(body: Program, arguments: Sequence[Program]) -> Program:
    """``body`` with each hole ``#i`` replaced by ``arguments[i]``."""
    if not body.children:
        index = hole_index(body.production)
        return body if index is None else arguments[index]
    return Program(body.production, tuple(instantiate(child, arguments) for child in body.children))


def canonical(body: Program) -> tuple[Program, tuple[int, ...]]:
    """``body`` with holes renumbered by first appearance (pre-order).

    :return: the renumbered body and ``order``, where new hole ``j`` is old hole ``order[j]``.
    """
    order: list[int] = []

    def visit(node: Program) -> None:
        index = hole_index(node.production)
        if index is not None and index not in order:
            order.append(index)
        for child in node.children:
            visit(child)

    visit(body)
    return _renumber(body, order), tuple(order)


def _renumber(body: Program, order: Sequence[int]) -> Program:
    """``body`` with old hole ``order[j]`` renamed ``#j``."""
    renumber = {old: hole(new) for new, old in enumerate(order)}
    return instantiate(body, [renumber.get(i, hole(i)) for i in range(max(order, default=-1) + 1)])


def _inline(term: Sexpr, inlined: Mapping[str, _Inline]) -> Sexpr:
    """``term`` with every use of an inlined abstraction replaced by its body.

    Bodies may use earlier inlined abstractions and curried applications, so
    each substitution is inlined again; an application to too few arguments
    is left as it is (it is then no program, and rejected as such).
    """
    if not inlined:
        return term
    if term.__class__ is str:
        resolution = inlined.get(term)
        if resolution is None or resolution.arity:
            return term
        return _inline(resolution.body, inlined)
    head = term[0] if term[0].__class__ is str else _inline(term[0], inlined)
    applied = flatten([head, *(_inline(argument, inlined) for argument in term[1:])])
    head, arguments = applied[0], applied[1:]
    resolution = inlined.get(head) if head.__class__ is str else None
    if resolution is None or len(arguments) < resolution.arity:
        return applied
    body = _substitute(resolution.body, arguments[: resolution.arity])
    rest = arguments[resolution.arity :]
    return _inline(flatten([body, *rest]) if rest else body, inlined)


def _substitute(term: Sexpr, arguments: Sequence[Sexpr]) -> Sexpr:
    if isinstance(term, str):
        index = hole_index(term)
        return term if index is None else arguments[index]
    return flatten([_substitute(item, arguments) for item in term])
