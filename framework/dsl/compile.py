"""The compile pipeline: grammar text to production table, checked, with its parser.

:func:`compile_text` splits off a version's generated section
(:mod:`~framework.dsl.version_file`), checks the production convention on the
positioned scan (:mod:`~framework.dsl.conventions`), builds Lark's LALR parser
(any conflict is an error: printed programs must parse back), then reads each
production's type, argument types and printing layout from Lark's rules.
:func:`add_inventions` derives a version's table without Lark.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType

import lark
from attrs import frozen

from framework.dsl import _lark_text
from framework.dsl.conventions import check_bodies, check_conventions, check_name, check_productive
from framework.dsl.errors import GrammarError
from framework.dsl.lark_errors import import_error, lark_error
from framework.dsl.mass import BodyMass, body_masses
from framework.dsl.production import Production
from framework.dsl.program import Program
from framework.dsl.version_file import split_version

_OPENERS = ("(", "[", "{")
_CLOSERS = (")", "]", "}", ",", ";")


@frozen
class Compiled:
    """Everything a :class:`~framework.dsl.grammar.Grammar` is made of (the parser optional).

    The fields are the grammar's constructor arguments but ``source``, by the same names.
    """

    start: str
    nonterminals: tuple[str, ...]
    productions: Mapping[str, Production]
    logprobs: Mapping[str, float]
    base_text: str
    by_nt: Mapping[str, tuple[Production, ...]]
    templates: Mapping[str, tuple[str, ...]]
    glue_spaces: bool
    body_mass: BodyMass
    parser: lark.Lark | None = None


class _ToProgram(lark.Transformer):
    """Lark callback: every rule alternative (named by its alias) becomes a Program node."""

    def __default__(self, data, children, meta):
        return Program(str(data), tuple(c for c in children if isinstance(c, Program)))


class _ConflictLog(logging.Handler):
    """Collects the shift/reduce conflicts Lark resolves silently (logged at debug level)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def build_parser(text: str, start: str, source: str,
                 aliases: Mapping[str, _lark_text.Alternative]) -> lark.Lark:
    """Lark's LALR parser for programs; any conflict is an error (printing must round-trip)."""
    log = _ConflictLog()
    level, handlers = lark.logger.level, list(lark.logger.handlers)
    lark.logger.handlers[:] = [log]  # collect, never print
    lark.logger.setLevel(logging.DEBUG)
    try:
        parser = lark.Lark(text, parser="lalr", start=start, transformer=_ToProgram(),
                           maybe_placeholders=False)
    except lark.exceptions.LarkError as error:
        raise lark_error(error, text, source) from None
    except OSError as error:  # Lark opens the grammar an %import names and lets the failure through
        raise import_error(error, text, source) from None
    finally:
        lark.logger.handlers[:] = handlers
        lark.logger.setLevel(level)
    rules = {str(rule): rule.alias for rule in parser.rules}
    for i, line in enumerate(log.lines):
        if line.startswith("Shift/Reduce conflict"):
            rule = log.lines[i + 1].strip(" *") if i + 1 < len(log.lines) else ""
            alt = aliases.get(rules.get(rule, ""))
            where = (alt.alias.line, alt.alias.column) if alt and alt.alias else (None, None)
            raise GrammarError(
                f"ambiguous grammar: {line.split(':')[0]} in production "
                f"{rules.get(rule, rule)!r}; printed programs would not parse back (add "
                "brackets or keywords)", source, *where)
    return parser


def template(layout: Sequence[str | int], glue_spaces: bool) -> tuple[str, ...]:
    """Printing template: ``parts[0] child0 parts[1] ... child_{n-1} parts[n]``."""

    def separator(a: str | int | None, b: str | int) -> str:
        if a is None or not glue_spaces:
            return ""
        if isinstance(a, str) and a.endswith(_OPENERS):
            return ""
        if isinstance(b, str) and b.startswith(_CLOSERS):
            return ""
        if isinstance(a, str) and b == "(" and (a[-1].isalnum() or a[-1] == "_"):
            return ""
        return " "

    parts = [""]
    previous: str | int | None = None
    for item in layout:
        parts[-1] += separator(previous, item)
        if isinstance(item, str):
            parts[-1] += item
        else:
            parts.append("")
        previous = item
    return tuple(parts)


def normalised(logprobs: Mapping[str, float], by_nt: Mapping[str, tuple[Production, ...]],
               source: str) -> Mapping[str, float]:
    """``logprobs`` (one per production, exactly) normalised per nonterminal."""
    names = {p.name for ps in by_nt.values() for p in ps}
    unknown = sorted(set(logprobs) - names)
    missing = [n for ps in by_nt.values() for n in (p.name for p in ps) if n not in logprobs]
    if unknown or missing:
        raise GrammarError(
            "logprobs must name every production exactly: "
            + (f"unknown {', '.join(unknown)}; " if unknown else "")
            + (f"missing {', '.join(missing)}; " if missing else "")
            + f"valid: {', '.join(sorted(names))}", source)
    out: dict[str, float] = {}
    for nonterminal, productions in by_nt.items():
        values = [float(logprobs[p.name]) for p in productions]
        if any(math.isnan(v) or v == math.inf for v in values):
            raise GrammarError(f"logprobs of {nonterminal!r} must be finite or -inf", source)
        top = max(values)
        if top == -math.inf:
            raise GrammarError(f"every production of {nonterminal!r} has probability 0", source)
        total = top + math.log(sum(math.exp(v - top) for v in values))
        if abs(total) <= 1e-12:  # already normalised: keep the values bit for bit
            total = 0.0
        for p, v in zip(productions, values):
            out[p.name] = v - total
    return MappingProxyType(out)


def _uniform(productions: Mapping[str, Production], by_nt: Mapping[str, tuple[Production, ...]],
             source: str) -> Mapping[str, float]:
    return normalised({n: 0.0 for n in productions}, by_nt, source)


def _by_nonterminal(productions: Mapping[str, Production],
                    nonterminals: Sequence[str]) -> Mapping[str, tuple[Production, ...]]:
    return MappingProxyType(
        {nt: tuple(p for p in productions.values() if p.nonterminal == nt) for nt in nonterminals})


def compile_text(text: str, source: str) -> Compiled:
    """Compile grammar ``text`` (a base grammar or a saved version); errors name ``source:line:col``."""
    parts = split_version(text, source)
    declared = parts.inventions
    rules = _lark_text.scan_rules(text)
    definitions = [r for r in rules if not r.extend]
    if not definitions:
        raise GrammarError("no rule found (a grammar needs at least one lowercase rule)", source, 1, 1)
    start = definitions[0].name.text
    aliases = check_conventions(rules, source)
    parser = build_parser(text, start, source, aliases)

    terminals = {t.name: t for t in parser.terminals}
    glue_spaces = any(
        re.fullmatch(terminals[name].pattern.to_regexp(), " ") for name in parser.ignore_tokens
        if name in terminals
    )
    lark_rules = {}
    for rule in parser.rules:
        if rule.alias is None or rule.alias not in aliases:
            tok = _lark_text.find_name(text, rule.origin.name)
            raise GrammarError(
                f"rule {rule.origin.name!r} has an alternative without '-> alias'",
                source, tok.line if tok else None, tok.column if tok else None)
        lark_rules[rule.alias] = rule

    nonterminals = tuple(dict.fromkeys(str(r.name.text) for r in definitions))
    productions: dict[str, Production] = {}
    templates: dict[str, tuple[str, ...]] = {}
    for name, alt in aliases.items():
        rule = lark_rules[name]
        arguments: list[str] = []
        layout: list[str | int] = []
        for symbol in rule.expansion:
            if symbol.is_term:
                value = _lark_text.literal_value(terminals[symbol.name])
                if value is None:
                    tok = next((t for t in alt.tokens if t.text == symbol.name), alt.start)
                    raise GrammarError(
                        f"terminal {symbol.name} in production {name!r} matches more than one "
                        "string; productions need literal tokens (give each value its own "
                        "alternative)", source, tok.line, tok.column)
                layout.append(value)
            else:
                layout.append(len(arguments))
                arguments.append(str(symbol.name))
        body = None
        if name in declared:
            declaration = declared[name]
            body = declaration.body
            if (declaration.nonterminal, declaration.arguments) != (str(rule.origin.name), tuple(arguments)):
                raise GrammarError(
                    f"@invention {name} declares {' '.join(declaration.arguments)} -> "
                    f"{declaration.nonterminal} but its rule builds {' '.join(arguments)} -> "
                    f"{rule.origin.name}", source, declaration.line, 1)
        productions[name] = Production(name, str(rule.origin.name), tuple(arguments), body, tuple(layout))
        templates[name] = template(layout, glue_spaces)
    for name, declaration in declared.items():
        if name not in productions:
            raise GrammarError(f"@invention {name} has no rule alternative '-> {name}'",
                               source, declaration.line, 1)

    # Inventions last, in declaration order; base productions in file order.
    order = [n for n in productions if n not in declared] + list(declared)
    productions = {n: productions[n] for n in order}
    by_nt = _by_nonterminal(productions, nonterminals)
    check_bodies(productions, list(declared), source, {n: d.line for n, d in declared.items()})
    check_productive(by_nt, source, definitions)

    if parts.logprobs is None:
        logprobs = _uniform(productions, by_nt, source)
    else:
        logprobs = normalised(parts.logprobs, by_nt, f"{source}:{parts.logprobs_line}")
    return Compiled(
        start=start,
        nonterminals=nonterminals,
        productions=MappingProxyType(productions),
        logprobs=logprobs,
        base_text=parts.base_text,
        by_nt=by_nt,
        templates=MappingProxyType(templates),
        glue_spaces=glue_spaces,
        body_mass=MappingProxyType(body_masses(productions, list(declared))),
        parser=parser,
    )


def add_inventions(compiled: Compiled, inventions: Sequence[Production], source: str) -> Compiled:
    """``compiled`` with ``inventions`` appended, weights uniform, no parser (derived without Lark)."""
    names = set(compiled.productions)
    for invention in inventions:
        check_name(invention.name, source)
        if invention.name in names:
            raise GrammarError(f"invention name {invention.name!r} is already a production", source)
        names.add(invention.name)
        unknown = {invention.nonterminal, *invention.arguments} - set(compiled.nonterminals)
        if unknown or invention.body is None:
            raise GrammarError(
                f"invention {invention.name!r} needs a body and types among "
                f"{', '.join(compiled.nonterminals)}" + (f" (unknown: {', '.join(sorted(unknown))})"
                                                         if unknown else ""), source)
    # An invention's syntax is fixed: "(" name arguments ")", or its bare name without arguments.
    productions = dict(compiled.productions)
    templates = dict(compiled.templates)
    for p in inventions:
        layout = ("(", p.name, *range(p.arity), ")") if p.arguments else (p.name,)
        productions[p.name] = Production(p.name, p.nonterminal, p.arguments, p.body, layout)
        templates[p.name] = template(layout, compiled.glue_spaces)
    invented = [p.name for p in productions.values() if p.body is not None]
    check_bodies(productions, invented, source, {})
    by_nt = _by_nonterminal(productions, compiled.nonterminals)
    return Compiled(
        start=compiled.start,
        nonterminals=compiled.nonterminals,
        productions=MappingProxyType(productions),
        logprobs=_uniform(productions, by_nt, source),
        base_text=compiled.base_text,
        by_nt=by_nt,
        templates=MappingProxyType(templates),
        glue_spaces=compiled.glue_spaces,
        body_mass=MappingProxyType(body_masses(productions, invented)),
    )
