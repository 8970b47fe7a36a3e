"""Grammars: a ``.lark`` file compiled once into a production table.

Convention (see ``docs/grammars.md``): every alternative of a rule is a
production named by its ``-> alias``; rules are the DSL's types
(nonterminals), the first rule is the start type; literal tokens are what the
printer emits. Synthesizers work on :attr:`Grammar.productions` and
:meth:`Grammar.by_nonterminal` without Lark in the loop; Lark (LALR) is only
used by :meth:`Grammar.parse` and at load time.

A grammar *version* adds inventions (library productions with a body) and
weights. It is saved as one self-contained, valid Lark file: the base text
verbatim, then a generated section with ``// @invention`` and
``// @logprobs`` comment lines and one ``%extend`` alternative per invention.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

import lark
from attrs import evolve, field, frozen

from framework.dsl import _lark_text
from framework.dsl.errors import GrammarError, ProgramError, ProgramSyntaxError
from framework.dsl.program import MASS_CAP, Program
from framework.dsl.sexp import read_program

#: First line of the generated section of a saved grammar version.
GENERATED_MARK = "// ==== framework grammar version: generated below, edit at your own risk ===="
_INVENTION_LINE = re.compile(
    r"^//\s*@invention\s+(?P<name>\S+)\s*:(?P<args>[^=]*?)->\s*(?P<nt>\S+)\s*=\s*(?P<body>.+?)\s*$"
)
_LOGPROBS_LINE = re.compile(r"^//\s*@logprobs\s+(?P<json>\{.*\})\s*$")
_HOLE = re.compile(r"^#(\d+)$")
_STITCH_RESERVED = re.compile(r"^(lam|lambda|fn_\d+)$")
_OPENERS = ("(", "[", "{")
_CLOSERS = (")", "]", "}", ",", ";")


def grammars_dir() -> Path:
    """The folder of the grammars shipped with the framework (``graph.lark``, ``arith.lark``)."""
    return Path(__file__).resolve().parent.parent / "grammars"


def hole(index: int) -> Program:
    """The leaf standing for argument ``index`` inside an invention body."""
    return Program(f"#{index}")


def hole_index(name: str) -> int | None:
    """``3`` for ``"#3"``, ``None`` for a production name."""
    match = _HOLE.match(name)
    return int(match.group(1)) if match else None


@frozen
class Production:
    """One production: a name, the type it builds and the types of its children.

    ``body`` is set only for inventions: a program over other productions in
    which the leaves ``#0``, ``#1``, ... stand for the arguments. ``layout`` is
    the printing template (literal tokens and child indices), filled in by the
    grammar.
    """

    name: str
    nonterminal: str
    arguments: tuple[str, ...] = field(converter=tuple)
    body: Program | None = None
    layout: tuple[str | int, ...] = field(default=(), eq=False, repr=False, converter=tuple)

    @property
    def arity(self) -> int:
        return len(self.arguments)


class _ToProgram(lark.Transformer):
    """Lark callback: every rule alternative (named by its alias) becomes a Program node."""

    def __default__(self, data, children, meta):
        return Program(str(data), tuple(c for c in children if isinstance(c, Program)))


@frozen(eq=False)
class Grammar:
    """A compiled grammar (see the module docstring). Build with :meth:`load` or :meth:`from_text`."""

    start: str
    nonterminals: tuple[str, ...]
    productions: Mapping[str, Production]
    logprobs: Mapping[str, float]
    source: str
    base_text: str = field(repr=False)
    _by_nonterminal: Mapping[str, tuple[Production, ...]] = field(repr=False, alias="by_nt")
    _templates: Mapping[str, tuple[str, ...]] = field(repr=False, alias="templates")
    _glue_spaces: bool = field(repr=False, alias="glue_spaces")
    _expanded: dict[str, Program] = field(factory=dict, repr=False, init=False)  # lazy cache
    #: The Lark parser, built on first use for versions derived by :meth:`with_inventions`
    #: (library learning makes versions far more often than it parses text).
    _lark: dict[str, lark.Lark] = field(factory=dict, repr=False, init=False)
    #: Per invention: (base productions in its expanded body, occurrences of each hole).
    body_mass: Mapping[str, tuple[int, tuple[int, ...]]] = field(repr=False)

    # ---- construction -------------------------------------------------

    @classmethod
    def load(cls, path: str | os.PathLike) -> Grammar:
        """Compile the grammar file at ``path`` (a base grammar or a saved version)."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise GrammarError(f"cannot read grammar: {error.strerror}", str(path)) from None
        return cls.from_text(text, source=str(path))

    @classmethod
    def load_builtin(cls, name: str) -> Grammar:
        """A grammar shipped with the framework, by name (``"graph"``, ``"arith"``)."""
        return _load_builtin(name)

    @classmethod
    def from_text(cls, text: str, source: str = "<string>") -> Grammar:
        """Compile grammar ``text``; errors name ``source:line:col``."""
        return _compile(text, source)

    # ---- queries ------------------------------------------------------

    def by_nonterminal(self, nonterminal: str) -> tuple[Production, ...]:
        """The productions building ``nonterminal``, in file order (inventions last)."""
        try:
            return self._by_nonterminal[nonterminal]
        except KeyError:
            raise ProgramError(
                f"unknown nonterminal {nonterminal!r}; valid: {', '.join(self.nonterminals)}"
            ) from None

    def is_invention(self, name: str) -> bool:
        """Whether production ``name`` is a library invention (has a body)."""
        production = self.productions.get(name)
        return production is not None and production.body is not None

    @property
    def inventions(self) -> tuple[Production, ...]:
        """The inventions, in the order they were added."""
        return tuple(p for p in self.productions.values() if p.body is not None)

    def production(self, name: str) -> Production:
        """Production ``name``; an unknown name raises :class:`ProgramError` listing valid ones."""
        try:
            return self.productions[name]
        except KeyError:
            raise ProgramError(
                f"unknown production {name!r}; valid: {', '.join(self.productions)}"
            ) from None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Grammar):
            return NotImplemented
        return (self.start, self.nonterminals, dict(self.productions), dict(self.logprobs)) == (
            other.start, other.nonterminals, dict(other.productions), dict(other.logprobs)
        )

    def __hash__(self) -> int:
        return hash((self.start, tuple(self.productions.values()), tuple(self.logprobs.items())))

    # ---- programs -----------------------------------------------------

    @property
    def _parser(self) -> lark.Lark:
        parser = self._lark.get("parser")
        if parser is None:  # a derived version: compiling its text also re-checks it whole
            parser = self._lark["parser"] = _compile(self.to_text(), self.source)._parser
        return parser

    def parse(self, text: str, source: str = "<program>") -> Program:
        """Parse one program; raises :class:`ProgramSyntaxError` (line, column, expected tokens)."""
        parser = self._parser
        try:
            return parser.parse(text)
        except lark.exceptions.UnexpectedInput as error:
            raise _syntax_error(error, text, source, parser) from None

    def print(self, program: Program) -> str:
        """The concrete syntax of ``program`` (``parse(print(p)) == p``)."""
        templates = self._templates
        out: list[str] = []
        stack: list[Program | str] = [program]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                out.append(item)
                continue
            parts = templates.get(item.production)
            if parts is None or len(parts) != len(item.children) + 1:
                self.check(item)  # raises a precise ProgramError
            children = item.children
            for i in range(len(children), 0, -1):
                stack.append(parts[i])
                stack.append(children[i - 1])
            stack.append(parts[0])
        return "".join(out)

    def check(self, program: Program, nonterminal: str | None = None) -> None:
        """Raise :class:`ProgramError` unless ``program`` is a well-typed ``nonterminal`` (default: start)."""
        stack = [(program, nonterminal or self.start)]
        while stack:
            node, expected = stack.pop()
            production = self.production(node.production)
            if production.nonterminal != expected:
                raise ProgramError(
                    f"{node.production!r} builds a {production.nonterminal!r} where a "
                    f"{expected!r} is expected"
                )
            if len(node.children) != production.arity:
                raise ProgramError(
                    f"{node.production!r} takes {production.arity} argument(s), "
                    f"got {len(node.children)}"
                )
            stack.extend(zip(node.children, production.arguments))

    def expand(self, program: Program) -> Program:
        """Inline every invention, down to base productions only.

        The result shares subtrees where an invention uses a hole twice. A
        chain of inventions can make it exponentially large or deep; deeper
        than Python's recursion limit raises :class:`ProgramError`.
        """
        if not self.body_mass:
            return program
        try:
            return self._inline(program, {})
        except RecursionError:
            raise ProgramError(
                "expansion nests deeper than Python's recursion limit (a chain of inventions?)"
            ) from None

    def _inline(self, node: Program, memo: dict[Program, Program]) -> Program:
        done = memo.get(node)
        if done is not None:
            return done
        children = tuple(self._inline(child, memo) for child in node.children)
        if node.production in self.body_mass:
            result = _substitute(self._expanded_body(node.production), children)
        elif all(a is b for a, b in zip(children, node.children)):
            result = node
        else:
            result = Program(node.production, children)
        memo[node] = result
        return result

    def _expanded_body(self, name: str) -> Program:
        """Invention ``name``'s body with every invention inlined (holes kept); cached."""
        body = self._expanded.get(name)
        if body is None:
            body = self._inline(self.productions[name].body, {})
            self._expanded[name] = body
        return body

    # ---- new versions -------------------------------------------------

    def with_logprobs(self, logprobs: Mapping[str, float]) -> Grammar:
        """The same grammar with new weights, normalised per nonterminal.

        ``logprobs`` must give a value for every production (log-weights; they
        need not be normalised).
        """
        grammar = evolve(self, logprobs=_normalised(logprobs, self._by_nonterminal, self.source))
        grammar._lark.update(self._lark)  # the parser does not depend on the weights
        return grammar

    def with_inventions(self, inventions: Sequence[Production]) -> Grammar:
        """A new grammar version with ``inventions`` added after the existing ones.

        Weights are reset to uniform (re-estimate them with :meth:`with_logprobs`).
        Bodies may use base productions, earlier inventions and holes ``#i``.
        """
        names = set(self.productions)
        for invention in inventions:
            _check_name(invention.name, self.source)
            if invention.name in names:
                raise GrammarError(f"invention name {invention.name!r} is already a production",
                                   self.source)
            names.add(invention.name)
            unknown = {invention.nonterminal, *invention.arguments} - set(self.nonterminals)
            if unknown or invention.body is None:
                raise GrammarError(
                    f"invention {invention.name!r} needs a body and types among "
                    f"{', '.join(self.nonterminals)}" + (f" (unknown: {', '.join(sorted(unknown))})"
                                                         if unknown else ""), self.source)
        # Derived without Lark: an invention's syntax is fixed, "(" name arguments ")".
        productions = dict(self.productions)
        templates = dict(self._templates)
        for p in inventions:
            layout = ("(", p.name, *range(p.arity), ")") if p.arguments else (p.name,)
            productions[p.name] = Production(p.name, p.nonterminal, p.arguments, p.body, layout)
            templates[p.name] = _template(layout, self._glue_spaces)
        names = [p.name for p in productions.values() if p.body is not None]
        _check_bodies(productions, names, self.source, {n: (None, None, None, None) for n in names})
        by_nt = {nt: tuple(p for p in productions.values() if p.nonterminal == nt) for nt in self.nonterminals}
        return Grammar(
            start=self.start,
            nonterminals=self.nonterminals,
            productions=MappingProxyType(productions),
            logprobs=_normalised({n: 0.0 for n in productions}, by_nt, self.source),
            source=self.source,
            base_text=self.base_text,
            by_nt=MappingProxyType(by_nt),
            templates=MappingProxyType(templates),
            glue_spaces=self._glue_spaces,
            body_mass=MappingProxyType(_body_masses(productions, names)),
        )

    def make_invention(self, name: str, body: Program) -> Production:
        """An invention named ``name`` with its type and argument types inferred from ``body``."""
        if hole_index(body.production) is not None:
            raise ProgramError("an invention body cannot be a bare hole")
        types: dict[int, str] = {}
        nonterminal = self.production(body.production).nonterminal
        stack = [(body, nonterminal)]
        while stack:
            node, expected = stack.pop()
            index = hole_index(node.production)
            if index is not None:
                if types.setdefault(index, expected) != expected:
                    raise ProgramError(f"hole #{index} is used as both {types[index]!r} and {expected!r}")
                continue
            production = self.production(node.production)
            stack.extend(zip(node.children, production.arguments))
        if sorted(types) != list(range(len(types))):
            raise ProgramError(f"holes of an invention must be #0..#{len(types) - 1} without gaps")
        return Production(name, nonterminal, tuple(types[i] for i in range(len(types))), body)

    def to_text(self) -> str:
        """The self-contained Lark text of this grammar version (what :meth:`save` writes)."""
        return _version_text(self.base_text, self.inventions, self.logprobs)

    def save(self, path: str | os.PathLike) -> None:
        """Write :meth:`to_text` to ``path`` atomically (temp file, then ``os.replace``)."""
        from framework.store import write_text_atomic  # the project's one atomic writer

        write_text_atomic(path, self.to_text())


# ---- helpers: programs ----------------------------------------------------


def _substitute(body: Program, arguments: tuple[Program, ...]) -> Program:
    """``body`` with hole ``#i`` replaced by ``arguments[i]``.

    Memoised on node identity: expanded bodies share subtrees (a DAG), and a
    chain of doubling inventions must not be walked as a tree.
    """
    memo: dict[int, Program] = {}

    def go(node: Program) -> Program:
        done = memo.get(id(node))
        if done is not None:
            return done
        index = hole_index(node.production) if node.production[0] == "#" else None
        if index is not None:
            result = arguments[index]
        elif not node.children:
            result = node
        else:
            result = Program(node.production, tuple(go(c) for c in node.children))
        memo[id(node)] = result
        return result

    return go(body)


# ---- helpers: compiling ---------------------------------------------------


@lru_cache(maxsize=None)
def _load_builtin(name: str) -> Grammar:
    path = grammars_dir() / f"{name}.lark"
    if not path.is_file():
        valid = sorted(p.stem for p in grammars_dir().glob("*.lark"))
        raise GrammarError(f"no built-in grammar {name!r}; valid: {', '.join(valid)}")
    return Grammar.load(path)


def _version_text(base_text: str, inventions: Iterable[Production],
                  logprobs: Mapping[str, float] | None) -> str:
    inventions = list(inventions)
    if not inventions and logprobs is None:
        return base_text
    lines = [base_text.rstrip("\n"), "", GENERATED_MARK]
    for p in inventions:
        args = " ".join(p.arguments)
        lines.append(f"// @invention {p.name} : {args}{' ' if args else ''}-> {p.nonterminal} = {p.body!r}")
    for p in inventions:
        syntax = f'"(" "{p.name}" {" ".join(p.arguments)} ")"' if p.arguments else f'"{p.name}"'
        lines.append(f"%extend {p.nonterminal}: {syntax} -> {p.name}")
    if logprobs is not None:
        lines.append(f"// @logprobs {json.dumps(dict(logprobs))}")
    return "\n".join(lines) + "\n"


def _split_version(text: str, source: str):
    """Base text, invention declarations and weights of a (possibly versioned) grammar text."""
    base, mark, generated = text.partition(GENERATED_MARK)
    inventions: dict[str, tuple[str, tuple[str, ...], Program, int]] = {}
    logprobs = None
    if not mark:
        return text, inventions, logprobs
    first_line = base.count("\n") + 1
    for offset, line in enumerate(generated.split("\n")):
        lineno = first_line + offset
        stripped = line.strip()
        if not stripped.startswith("//") or "@" not in stripped:
            continue
        if match := _INVENTION_LINE.match(stripped):
            body = read_program(match["body"], f"{source}:{lineno}")
            inventions[match["name"]] = (match["nt"], tuple(match["args"].split()), body, lineno)
        elif match := _LOGPROBS_LINE.match(stripped):
            try:
                logprobs = (json.loads(match["json"]), lineno)
            except json.JSONDecodeError as error:
                raise GrammarError(f"bad @logprobs JSON: {error.msg}", source, lineno,
                                   line.index("{") + error.pos + 1) from None
        else:
            raise GrammarError("unrecognised directive (expected @invention or @logprobs)",
                               source, lineno, line.index("@") + 1)
    return base, inventions, logprobs


def _lark_error(error: Exception, text: str, source: str) -> GrammarError:
    line = getattr(error, "line", None)
    column = getattr(error, "column", None)
    message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    positioned = re.search(r"line (\d+) col(?:umn)? (\d+)", str(error))
    if (line is None or line < 0) and positioned:
        line, column = int(positioned.group(1)), int(positioned.group(2))
    if line is None or line < 0:
        # Lark names the rule or terminal at fault: quoted first, else any grammar name.
        named = re.findall(r"'([A-Za-z_][A-Za-z0-9_]*)'", str(error))
        named += re.findall(r"\b([A-Za-z_][A-Za-z0-9_]*)\b", str(error))
        tok = next((t for t in (_lark_text.find_name(text, n) for n in named) if t), None)
        if tok is not None:
            line, column = tok.line, tok.column
        else:
            line = column = None
    return GrammarError(f"Lark: {message}", source, line, column)


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


def _check_name(name: str, source: str, line: int | None = None, column: int | None = None) -> None:
    if not name or name[0] in "#$" or _STITCH_RESERVED.match(name):
        raise GrammarError(
            f"production name {name!r} is not a valid stitch symbol (not starting with '#' or "
            "'$', not 'lam'/'lambda', not of the invention form 'fn_<n>')", source, line, column)
    if not re.fullmatch(r"_?[a-z][_a-z0-9]*", name):
        raise GrammarError(f"production name {name!r} is not a Lark rule name "
                           "(lowercase ASCII letters, digits and '_')", source, line, column)


def _literal_value(terminal: lark.lexer.TerminalDef) -> str | None:
    """The one string a terminal matches, or ``None`` when it matches several."""
    pattern = terminal.pattern
    if isinstance(pattern, lark.lexer.PatternStr):
        return pattern.value
    try:
        import re._parser as sre_parse  # Python >= 3.11
    except ImportError:  # pragma: no cover
        import sre_parse  # type: ignore[no-redef]
    try:
        parsed = sre_parse.parse(pattern.value, 0)
    except re.error:
        return None
    if pattern.flags or not all(op == sre_parse.LITERAL for op, _ in parsed):
        return None
    return "".join(chr(value) for _, value in parsed) or None


def _template(layout: Sequence[str | int], glue_spaces: bool) -> tuple[str, ...]:
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


def _normalised(logprobs: Mapping[str, float], by_nt: Mapping[str, tuple[Production, ...]],
                source: str) -> Mapping[str, float]:
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


def _check_conventions(rules: list[_lark_text.RuleText],
                       source: str) -> dict[str, _lark_text.Alternative]:
    """Production convention checks on the scanned text (before Lark, for precise positions)."""
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
            _check_name(alt.alias.text, source, alt.alias.line, alt.alias.column)
            aliases[alt.alias.text] = alt
    return aliases


class _ConflictLog(logging.Handler):
    """Collects the shift/reduce conflicts Lark resolves silently (logged at debug level)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def _build_parser(text: str, start: str, source: str,
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
        raise _lark_error(error, text, source) from None
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


def _compile(text: str, source: str) -> Grammar:
    base_text, declared, weights = _split_version(text, source)
    rules = _lark_text.scan_rules(text)
    definitions = [r for r in rules if not r.extend]
    if not definitions:
        raise GrammarError("no rule found (a grammar needs at least one lowercase rule)", source, 1, 1)
    start = definitions[0].name.text
    aliases = _check_conventions(rules, source)
    parser = _build_parser(text, start, source, aliases)

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
                value = _literal_value(terminals[symbol.name])
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
            nonterminal, args, body, lineno = declared[name]
            if (nonterminal, args) != (str(rule.origin.name), tuple(arguments)):
                raise GrammarError(
                    f"@invention {name} declares {' '.join(args)} -> {nonterminal} but its rule "
                    f"builds {' '.join(arguments)} -> {rule.origin.name}", source, lineno, 1)
        productions[name] = Production(name, str(rule.origin.name), tuple(arguments), body, tuple(layout))
        templates[name] = _template(layout, glue_spaces)
    for name, (_, _, _, lineno) in declared.items():
        if name not in productions:
            raise GrammarError(f"@invention {name} has no rule alternative '-> {name}'",
                               source, lineno, 1)

    # Inventions last, in declaration order; base productions in file order.
    order = [n for n in productions if n not in declared] + list(declared)
    productions = {n: productions[n] for n in order}
    by_nt = {nt: tuple(p for p in productions.values() if p.nonterminal == nt) for nt in nonterminals}
    _check_bodies(productions, list(declared), source, declared)
    _check_productive(by_nt, source, definitions)

    if weights is None:
        logprobs = _normalised({n: 0.0 for n in productions}, by_nt, source)
    else:
        logprobs = _normalised(weights[0], by_nt, f"{source}:{weights[1]}")
    grammar = Grammar(
        start=start,
        nonterminals=nonterminals,
        productions=MappingProxyType(productions),
        logprobs=logprobs,
        source=source,
        base_text=base_text,
        by_nt=MappingProxyType(by_nt),
        templates=MappingProxyType(templates),
        glue_spaces=glue_spaces,
        body_mass=MappingProxyType(_body_masses(productions, list(declared))),
    )
    grammar._lark["parser"] = parser
    return grammar


def _body_masses(productions: Mapping[str, Production],
                 inventions: list[str]) -> dict[str, tuple[int, tuple[int, ...]]]:
    """Per invention: base productions of its expansion and copies of each hole.

    Composed from earlier inventions' figures, never by walking an expansion:
    a chain of inventions that nest a hole in itself expands doubly
    exponentially. Figures saturate at :data:`MASS_CAP`.
    """
    masses: dict[str, tuple[int, tuple[int, ...]]] = {}
    for name in inventions:
        production = productions[name]
        own, holes = 0, [0] * production.arity
        stack = [(production.body, 1)]
        while stack:
            node, copies = stack.pop()
            index = hole_index(node.production)
            if index is not None:
                holes[index] = min(MASS_CAP, holes[index] + copies)
                continue
            inner = masses.get(node.production)
            if inner is None:
                own = min(MASS_CAP, own + copies)
                stack.extend((child, copies) for child in node.children)
            else:
                own = min(MASS_CAP, own + copies * inner[0])
                stack.extend((c, min(MASS_CAP, copies * n)) for c, n in zip(node.children, inner[1]) if n)
        masses[name] = (own, tuple(holes))
    return masses


def _check_bodies(productions: Mapping[str, Production], inventions: list[str], source: str,
                  declared) -> None:
    """Each invention body is well typed and uses only base productions and earlier inventions."""
    earlier: set[str] = set()
    for name in inventions:
        production = productions[name]
        lineno = declared[name][3]
        assert production.body is not None

        def fail(message: str) -> GrammarError:
            return GrammarError(f"@invention {name}: {message}", source, lineno, 1)

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


def _check_productive(by_nt: Mapping[str, tuple[Production, ...]], source: str,
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


def _syntax_error(error: lark.exceptions.UnexpectedInput, text: str, source: str,
                  parser: lark.Lark) -> ProgramSyntaxError:
    terminals = {t.name: t for t in parser.terminals}

    def show(name: str) -> str:
        if name == "$END":
            return "end of input"
        terminal = terminals.get(name)
        value = _literal_value(terminal) if terminal is not None else None
        return json.dumps(value) if value is not None else name

    line, column = getattr(error, "line", -1), getattr(error, "column", -1)
    at_end = isinstance(error, lark.exceptions.UnexpectedEOF) or (
        isinstance(error, lark.exceptions.UnexpectedToken) and error.token.type == "$END")
    if at_end or line is None or line < 1:
        line = text.count("\n") + 1
        column = len(text) - (text.rfind("\n") + 1) + 1
    if isinstance(error, lark.exceptions.UnexpectedCharacters):
        message = f"unexpected character {text[error.pos_in_stream]!r}"
        expected = error.allowed or ()
    elif isinstance(error, lark.exceptions.UnexpectedToken):
        token = error.token
        message = ("unexpected end of input" if token.type == "$END"
                   else f"unexpected {token.value!r}")
        expected = error.expected or ()
    else:
        message = "unexpected end of input"
        expected = getattr(error, "expected", ()) or ()
    try:
        context = error.get_context(text).rstrip("\n")
    except Exception:  # noqa: BLE001 - context is a nicety, never the error itself
        context = ""
    return ProgramSyntaxError(message, source, line, column,
                              tuple(sorted(show(n) for n in expected)), context)
