"""Rewrite rules that preserve meaning, compiled into the grammar so search never builds redexes.

A domain may declare equivalences over its productions as text rules::

    (next_port (prev_port ?k)) -> ?k          anywhere in a program
    ^(move ?k) -> ?k                          only at the program's root

``?name`` leaves are pattern variables (any subtree); a leading ``^`` anchors
the rule at the root, where the domain's initial state holds. The domain
vouches that replacing an instance of the left side by the right side never
changes a program's output (each built-in rule is property-tested that way).

The left side must be a **path pattern**: every node has at most one child
that is not a variable, so the pattern is a chain of (production, argument
index) steps ending at a production. Forbidding such patterns is a property
of a node's *context* (the chain of productions above it), which a finite
automaton over root-to-node paths tracks; :func:`sharpen` multiplies the
compiled production table by that automaton: a nonterminal becomes
``(nonterminal, automaton state)`` and a production is left out of a state
where it would complete a left side. Heap search and sampling then run
unchanged on the sharper table and never build a program that contains a
left side (DeepSynth2's "sharpening", Fijalkow et al.).

No output is lost when every rule's right side is smaller than its left
(checked): rewriting then terminates, so each program has an equivalent
normal form, no larger, with no left side in it, and that normal form is
still enumerated. Log-probabilities are kept as they are (not renormalised
per context), so a sharpened enumeration is the plain one with the pruned
programs left out, in the same order of probability (equally probable
programs may come out in another order).
"""

from __future__ import annotations

from typing import Iterable, Sequence

from attrs import frozen

from framework.dsl.errors import ProgramSyntaxError
from framework.dsl.pcfg import ProductionTable
from framework.dsl.program import Program, nodes
from framework.dsl.sexp import read_program
from framework.errors import UsageError


class RuleError(UsageError):
    """A rewrite rule is malformed (the message quotes it)."""


@frozen
class Rule:
    """``lhs -> rhs``; ``anchored``: only at a program's root. Leaves named ``?x`` are variables."""

    lhs: Program
    rhs: Program
    anchored: bool
    text: str

    @property
    def path(self) -> tuple[tuple[str, int], ...]:
        """The left side's chain of ``(production, argument index)`` down to its last fixed node."""
        steps, node = [], self.lhs
        while True:
            fixed = [i for i, child in enumerate(node.children) if not is_variable(child)]
            if not fixed:
                return tuple(steps)
            steps.append((node.production, fixed[0]))
            node = node.children[fixed[0]]

    @property
    def last(self) -> str:
        """The production the path ends at: forbidden where the path leads."""
        node = self.lhs
        for _, index in self.path:
            node = node.children[index]
        return node.production


def is_variable(program: Program) -> bool:
    return program.production.startswith("?") and not program.children


def parse_rule(text: str) -> Rule:
    """Read ``[^]lhs -> rhs`` (s-expressions over production names, ``?x`` variables)."""
    body = text.strip()
    anchored = body.startswith("^")
    if anchored:
        body = body[1:]
    sides = body.split("->")
    if len(sides) != 2:
        raise RuleError(f"rule {text!r}: expected 'lhs -> rhs'")
    try:
        lhs, rhs = (read_program(side.strip(), source=f"rule {text!r}") for side in sides)
    except ProgramSyntaxError as exc:
        raise RuleError(str(exc)) from None
    if is_variable(lhs):
        raise RuleError(f"rule {text!r}: the left side must be more than a variable")
    variables = [n.production for n in nodes(lhs) if is_variable(n)]
    if len(set(variables)) != len(variables):
        raise RuleError(f"rule {text!r}: a variable occurs twice on the left (not a path pattern)")
    for node in nodes(lhs):
        if sum(not is_variable(c) for c in node.children) > 1:
            raise RuleError(f"rule {text!r}: {node.production!r} has two fixed children (not a path pattern)")
    unbound = {n.production for n in nodes(rhs) if is_variable(n)} - set(variables)
    if unbound:
        raise RuleError(f"rule {text!r}: variable(s) {', '.join(sorted(unbound))} only on the right")
    if _fixed_size(rhs) >= _fixed_size(lhs):
        raise RuleError(f"rule {text!r}: the right side must have fewer productions than the left")
    return Rule(lhs, rhs, anchored, text.strip())


def _fixed_size(program: Program) -> int:
    return sum(1 for n in nodes(program) if not is_variable(n))


def parse_rules(texts: Iterable[str]) -> tuple[Rule, ...]:
    return tuple(parse_rule(t) for t in texts)


# ---- matching and rewriting (tests, tools; the search never needs them) ----------------------


def match(pattern: Program, program: Program) -> dict[str, Program] | None:
    """Bindings of ``pattern``'s variables if ``program`` is an instance of it."""
    bindings: dict[str, Program] = {}
    stack = [(pattern, program)]
    while stack:
        p, q = stack.pop()
        if is_variable(p):
            bindings[p.production] = q
        elif p.production != q.production or len(p.children) != len(q.children):
            return None
        else:
            stack.extend(zip(p.children, q.children))
    return bindings


def instantiate(template: Program, bindings: dict[str, Program]) -> Program:
    if is_variable(template):
        return bindings[template.production]
    return Program(template.production, tuple(instantiate(c, bindings) for c in template.children))


def redexes(program: Program, rules: Sequence[Rule]) -> list[tuple[tuple[int, ...], Rule]]:
    """Every ``(path from the root, rule)`` where a rule's left side matches ``program``."""
    found = []
    stack: list[tuple[tuple[int, ...], Program]] = [((), program)]
    while stack:
        path, node = stack.pop()
        for rule in rules:
            if (not rule.anchored or not path) and match(rule.lhs, node) is not None:
                found.append((path, rule))
        stack.extend(((*path, i), child) for i, child in enumerate(node.children))
    return found


def rewrite(program: Program, path: tuple[int, ...], rule: Rule) -> Program:
    """``program`` with the instance of ``rule.lhs`` at ``path`` replaced by its right side."""
    if not path:
        bindings = match(rule.lhs, program)
        if bindings is None:
            raise ValueError(f"{rule.text} does not match {program!r}")
        return instantiate(rule.rhs, bindings)
    i, children = path[0], program.children
    return Program(program.production, (*children[:i], rewrite(children[i], path[1:], rule), *children[i + 1:]))


# ---- compiling into the production table ----------------------------------------------------


def applicable(rules: Sequence[Rule], table: ProductionTable) -> tuple[Rule, ...]:
    """The rules whose fixed productions all exist in ``table`` with the pattern's arity.

    A rule about productions a grammar lacks says nothing about its programs.
    """
    arity = {name: len(args) for rules_of in table.rules for name, _, args in rules_of}
    kept = []
    for rule in rules:
        fixed = [n for n in nodes(rule.lhs) if not is_variable(n)]
        if all(arity.get(n.production) == len(n.children) for n in fixed):
            kept.append(rule)
    return tuple(kept)


def sharpen(table: ProductionTable, rules: Sequence[Rule]) -> ProductionTable:
    """``table`` times the context automaton of ``rules``: no program it derives contains a left side.

    Returns ``table`` itself when no rule applies to it. The start context
    keeps the start nonterminal's name; other contexts are named
    ``<nonterminal>@<n>``, numbered in the order a breadth-first walk from the
    start meets them (deterministic, so equal inputs give equal tables).
    """
    rules = applicable(rules, table)
    if not rules:
        return table
    paths = [rule.path for rule in rules]
    lasts = [rule.last for rule in rules]
    floating = frozenset((r, 0) for r, rule in enumerate(rules) if not rule.anchored)
    start_state = frozenset((r, 0) for r in range(len(rules)))

    def forbidden(state: frozenset, name: str) -> bool:
        return any(k == len(paths[r]) and lasts[r] == name for r, k in state)

    def step(state: frozenset, name: str, index: int) -> frozenset:
        advanced = {(r, k + 1) for r, k in state if k < len(paths[r]) and paths[r][k] == (name, index)}
        return frozenset(advanced | floating)

    contexts: dict[tuple[int, frozenset], int] = {(table.start, start_state): 0}
    order = [(table.start, start_state)]
    kept_rules: list[list[tuple[str, float, list[int]]]] = []
    at = 0
    while at < len(order):
        x, state = order[at]
        at += 1
        kept = []
        for name, logprob, args in table.rules[x]:
            if forbidden(state, name):
                continue
            child_contexts = []
            for i, arg in enumerate(args):
                key = (arg, step(state, name, i))
                if key not in contexts:
                    contexts[key] = len(order)
                    order.append(key)
                child_contexts.append(contexts[key])
            kept.append((name, logprob, child_contexts))
        kept_rules.append(kept)
    block = _minimise([order[i][0] for i in range(len(order))], kept_rules)
    # One nonterminal per block, numbered by first appearance (the start's block first).
    first: dict[int, int] = {}
    for i in range(len(order)):
        first.setdefault(block[i], i)
    representatives = sorted(first.values())
    number = {block[i]: n for n, i in enumerate(representatives)}
    names, counter = [], {}
    for n, i in enumerate(representatives):
        x = order[i][0]
        if n == 0:
            names.append(table.nonterminals[x])
        else:
            counter[x] = counter.get(x, 0) + 1
            names.append(f"{table.nonterminals[x]}@{counter[x]}")
    new_rules = tuple(
        tuple((name, logprob, tuple(number[block[c]] for c in children)) for name, logprob, children in kept_rules[i])
        for i in representatives
    )
    # A production maps to the first context that derives it.
    nonterminal_of: dict[str, int] = {}
    for n, i in enumerate(representatives):
        for name, _, _ in table.rules[order[i][0]]:
            nonterminal_of.setdefault(name, n)
    return ProductionTable(nonterminals=tuple(names), start=0, rules=new_rules, nonterminal_of=nonterminal_of)


def _minimise(base: list[int], rules: list[list[tuple[str, float, list[int]]]]) -> list[int]:
    """Block of each context (Moore's partition refinement).

    Contexts with the same nonterminal, the same kept rules and children in
    the same blocks derive the same programs, so they can be one nonterminal.
    """
    def renumber(signatures: list) -> list[int]:
        ids: dict = {}
        return [ids.setdefault(sig, len(ids)) for sig in signatures]

    block = renumber([(base[i], tuple(name for name, _, _ in rules[i])) for i in range(len(base))])
    while True:
        refined = renumber([
            (block[i], tuple(tuple(block[c] for c in children) for _, _, children in rules[i]))
            for i in range(len(base))
        ])
        if max(refined) == max(block):
            return refined
        block = refined
