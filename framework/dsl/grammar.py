"""Grammars: a ``.lark`` file compiled once into a production table.

Convention (see ``docs/grammars.md``): every alternative of a rule is a
production named by its ``-> alias``; rules are the DSL's types
(nonterminals), the first rule is the start type; literal tokens are what the
printer emits. Synthesizers work on :attr:`Grammar.productions` and
:meth:`Grammar.by_nonterminal` without Lark in the loop; Lark (LALR) is only
used by :meth:`Grammar.parse` and at load time.

A grammar *version* adds inventions (library productions with a body) and
weights. It is saved as one self-contained, valid Lark file
(:mod:`framework.dsl.version_file`). The pipeline from text to table is
:mod:`framework.dsl.compile`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path

import attrs
import lark
from attrs import evolve, field, frozen

from framework.dsl.compile import Compiled, add_inventions, compile_text, normalised
from framework.dsl.errors import GrammarError, ProgramError
from framework.dsl.lark_errors import syntax_error
from framework.dsl.production import Production, hole, hole_index
from framework.dsl.program import Program
from framework.dsl.version_file import version_text
from framework.text import NotText, read_text

__all__ = ["Grammar", "Production", "grammars_dir", "hole", "hole_index", "min_sizes"]

#: The package the built-in grammars ship in (``grammars/`` in a clone).
BUILTIN_PACKAGE = "framework_grammars"


def grammars_dir() -> Path:
    """The folder of the grammars shipped with the framework (``graph.lark``, ``arith.lark``).

    ``grammars/`` in a clone, the installed ``framework_grammars`` package otherwise.
    """
    return Path(str(resources.files(BUILTIN_PACKAGE)))


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
            text = read_text(path)
        except OSError as error:
            raise GrammarError(f"cannot read grammar: {error.strerror}", str(path)) from None
        except NotText as error:
            raise GrammarError(f"{error.reason}: a grammar is a Lark text file", str(path), error.line,
                               error.column) from None
        return cls.from_text(text, source=str(path))

    @classmethod
    def load_builtin(cls, name: str) -> Grammar:
        """A grammar shipped with the framework, by name (``"graph"``, ``"arith"``)."""
        return _load_builtin(name)

    @classmethod
    def from_text(cls, text: str, source: str = "<string>") -> Grammar:
        """Compile grammar ``text``; errors name ``source:line:col``."""
        return cls._of(compile_text(text, source), source)

    @classmethod
    def _of(cls, compiled: Compiled, source: str) -> Grammar:
        arguments = attrs.asdict(compiled, recurse=False)  # Compiled's fields are our arguments
        parser = arguments.pop("parser")
        grammar = cls(source=source, **arguments)
        if parser is not None:
            grammar._lark["parser"] = parser
        return grammar

    def _compiled(self) -> Compiled:
        return Compiled(**{f.alias: getattr(self, f.name) for f in attrs.fields(Grammar)
                           if f.init and f.alias != "source"})

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
            parser = self._lark["parser"] = compile_text(self.to_text(), self.source).parser
        return parser

    def parse(self, text: str, source: str = "<program>") -> Program:
        """Parse one program; raises :class:`ProgramSyntaxError` (line, column, expected tokens)."""
        parser = self._parser
        try:
            return parser.parse(text)
        except lark.exceptions.UnexpectedInput as error:
            raise syntax_error(error, text, source, parser) from None

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
            if not isinstance(node, Program):
                raise ProgramError(f"a {type(node).__name__} ({node!r:.40}) where a {expected!r} program is expected")
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
        grammar = evolve(self, logprobs=normalised(logprobs, self._by_nonterminal, self.source))
        grammar._lark.update(self._lark)  # the parser does not depend on the weights
        return grammar

    def with_inventions(self, inventions: Sequence[Production]) -> Grammar:
        """A new grammar version with ``inventions`` added after the existing ones.

        Weights are reset to uniform (re-estimate them with :meth:`with_logprobs`).
        Bodies may use base productions, earlier inventions and holes ``#i``.
        """
        return Grammar._of(add_inventions(self._compiled(), inventions, self.source), self.source)

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
        return version_text(self.base_text, self.inventions, self.logprobs)

    def save(self, path: str | os.PathLike) -> None:
        """Write :meth:`to_text` to ``path`` atomically (temp file, then ``os.replace``)."""
        from framework.store import write_text_atomic  # the project's one atomic writer

        write_text_atomic(path, self.to_text())


def min_sizes(grammar: Grammar) -> Mapping[str, int | None]:
    """The smallest program size (number of productions) of every nonterminal of ``grammar``;
    ``None`` for a nonterminal that derives no finite program.

    What a synthesizer needs to know whether a subtree of some type fits in the size left.
    """
    sizes = {nt: None for nt in grammar.nonterminals}
    changed = True
    while changed:
        changed = False
        for nt in grammar.nonterminals:
            for p in grammar.by_nonterminal(nt):
                if all(sizes[a] is not None for a in p.arguments):
                    candidate = 1 + sum(sizes[a] for a in p.arguments)
                    if sizes[nt] is None or candidate < sizes[nt]:
                        sizes[nt] = candidate
                        changed = True
    return sizes


# ---- helpers -------------------------------------------------------------


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


@lru_cache(maxsize=None)
def _load_builtin(name: str) -> Grammar:
    resource = resources.files(BUILTIN_PACKAGE) / f"{name}.lark"
    if not resource.is_file():
        valid = sorted(r.name.removesuffix(".lark") for r in resources.files(BUILTIN_PACKAGE).iterdir()
                       if r.name.endswith(".lark"))
        raise GrammarError(f"no built-in grammar {name!r}; valid: {', '.join(valid)}")
    return Grammar.from_text(resource.read_text(encoding="utf-8"), source=str(resource))
