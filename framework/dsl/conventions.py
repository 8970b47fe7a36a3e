"""The production convention, checked: what a grammar must be for programs to be trees.

Text-level checks (:func:`check_conventions`) run on the positioned scan
before Lark, so errors point at ``line:col``; :func:`check_bodies` and
:func:`check_productive` run on the production table. See
``docs/grammars.md`` for the convention itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from framework.dsl import _lark_text
from framework.dsl.errors import GrammarError
from framework.dsl.production import Production, hole_index

_STITCH_RESERVED = re.compile(r"^(lam|lambda|fn_\d+)$")


def check_conventions(rules: list[_lark_text.RuleText], source: str) -> dict[str, _lark_text.Alternative]:
    """Every alternative of every rule, by its alias, once each convention holds."""
    aliases: dict[str, _lark_text.Alternative] = {}
    for rule in rules:
        if rule.name.text.startswith("_") or rule.prefix == "?" or rule.header:
            raise GrammarError(
                f"rule {rule.name.text!r}: inlined ('_', '?') and templated or prioritised rules "
                "are not productions; write a plain 'name: ... -> alias' rule",
                source, rule.name.line, rule.name.column)
        for alt in rule.alternatives:
            _check_alternative(alt, source)
            assert alt.alias is not None
            if alt.alias.text in aliases:
                first = aliases[alt.alias.text].alias
                raise GrammarError(
                    f"production name {alt.alias.text!r} is used twice (first at line "
                    f"{first.line}, column {first.column})", source, alt.alias.line, alt.alias.column)
            check_name(alt.alias.text, source, alt.alias.line, alt.alias.column)
            aliases[alt.alias.text] = alt
    return aliases


def _check_alternative(alt: _lark_text.Alternative, source: str) -> None:
    if alt.alias is None or alt.alias.kind != "name":
        where = alt.alias or alt.start
        raise GrammarError(
            f"alternative of rule {alt.rule!r} has no '-> alias' (every alternative is a "
            "production named by its alias)", source, where.line, where.column)
    for tok in alt.tokens:
        if tok.kind == "op" and tok.text in "()[]*+?~{}":
            raise GrammarError(
                f"EBNF operator {tok.text!r} in production {alt.alias.text!r}: write one "
                "alternative per shape (programs are trees of named productions)",
                source, tok.line, tok.column)
        if tok.kind == "op" and tok.text == ".":
            raise GrammarError(f"range '..' in production {alt.alias.text!r}: productions need "
                               "literal tokens", source, tok.line, tok.column)


def check_name(name: str, source: str, line: int | None = None, column: int | None = None) -> None:
    """A production name must be a Lark rule name and a valid stitch symbol."""
    if not name or name[0] in "#$" or _STITCH_RESERVED.match(name):
        raise GrammarError(
            f"production name {name!r} is not a valid stitch symbol (not starting with '#' or "
            "'$', not 'lam'/'lambda', not of the invention form 'fn_<n>')", source, line, column)
    if not re.fullmatch(r"_?[a-z][_a-z0-9]*", name):
        raise GrammarError(f"production name {name!r} is not a Lark rule name "
                           "(lowercase ASCII letters, digits and '_')", source, line, column)


def check_bodies(productions: Mapping[str, Production], inventions: Sequence[str], source: str,
                 lines: Mapping[str, int | None]) -> None:
    """Each invention body is well typed and uses only base productions and earlier inventions.

    ``lines`` gives each invention's ``@invention`` line (``None`` for one not read from a file).
    """
    earlier: set[str] = set()
    for name in inventions:
        production = productions[name]
        lineno = lines.get(name)
        assert production.body is not None

        def fail(message: str) -> GrammarError:
            return GrammarError(f"@invention {name}: {message}", source, lineno,
                                None if lineno is None else 1)

        stack = [(production.body, production.nonterminal)]
        while stack:
            node, expected = stack.pop()
            index = hole_index(node.production)
            if index is not None:
                if node.children:
                    raise fail(f"hole #{index} has children")
                if index >= production.arity or production.arguments[index] != expected:
                    raise fail(f"hole #{index} stands where a {expected!r} is expected")
                continue
            used = productions.get(node.production)
            if used is None or (used.body is not None and used.name not in earlier):
                raise fail(f"body uses {node.production!r}, which is neither a base production "
                           "nor an earlier invention")
            if used.nonterminal != expected or used.arity != len(node.children):
                raise fail(f"body is ill-typed at {node.production!r}")
            stack.extend(zip(node.children, used.arguments))
        earlier.add(name)


def check_productive(by_nt: Mapping[str, tuple[Production, ...]], source: str,
                     definitions: list[_lark_text.RuleText]) -> None:
    """Every nonterminal must derive at least one finite program (generators rely on it)."""
    productive: set[str] = set()
    changed = True
    while changed:
        changed = False
        for nt, productions in by_nt.items():
            if nt not in productive and any(
                all(a in productive for a in p.arguments) for p in productions
            ):
                productive.add(nt)
                changed = True
    for rule in definitions:
        if rule.name.text not in productive:
            raise GrammarError(f"nonterminal {rule.name.text!r} derives no finite program "
                               "(every alternative needs itself)", source, rule.name.line,
                               rule.name.column)
