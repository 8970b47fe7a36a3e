"""The saved form of a grammar version: the base text, then a generated section.

The generated section starts at :data:`GENERATED_MARK` and holds one
``// @invention name : args -> type = body`` comment line per invention, one
``%extend`` alternative per invention (so the file stays valid Lark) and an
optional ``// @logprobs {json}`` line with the weights.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping

from attrs import frozen

from framework.dsl.errors import GrammarError
from framework.dsl.production import Production
from framework.dsl.program import Program
from framework.dsl.sexp import read_program

#: First line of the generated section of a saved grammar version.
GENERATED_MARK = "// ==== framework grammar version: generated below, edit at your own risk ===="
_INVENTION_LINE = re.compile(
    r"^//\s*@invention\s+(?P<name>\S+)\s*:(?P<args>[^=]*?)->\s*(?P<nt>\S+)\s*=\s*(?P<body>.+?)\s*$"
)
_LOGPROBS_LINE = re.compile(r"^//\s*@logprobs\s+(?P<json>\{.*\})\s*$")


@frozen
class Declared:
    """One ``@invention`` line: the types it declares, its body and its line number."""

    nonterminal: str
    arguments: tuple[str, ...]
    body: Program
    line: int


@frozen
class VersionParts:
    """A grammar text split: base text, declared inventions (in order), weights and their line."""

    base_text: str
    inventions: Mapping[str, Declared]
    logprobs: Mapping[str, float] | None = None
    logprobs_line: int | None = None


def version_text(base_text: str, inventions: Iterable[Production],
                 logprobs: Mapping[str, float] | None) -> str:
    """The self-contained Lark text of a version (the base text alone when nothing is added)."""
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


def split_version(text: str, source: str) -> VersionParts:
    """Base text, invention declarations and weights of a (possibly versioned) grammar text."""
    base, mark, generated = text.partition(GENERATED_MARK)
    if not mark:
        return VersionParts(text, {})
    inventions: dict[str, Declared] = {}
    logprobs = logprobs_line = None
    first_line = base.count("\n") + 1
    for offset, line in enumerate(generated.split("\n")):
        lineno = first_line + offset
        stripped = line.strip()
        if not stripped.startswith("//") or "@" not in stripped:
            continue
        if match := _INVENTION_LINE.match(stripped):
            body = read_program(match["body"], f"{source}:{lineno}")
            inventions[match["name"]] = Declared(match["nt"], tuple(match["args"].split()), body, lineno)
        elif match := _LOGPROBS_LINE.match(stripped):
            try:
                logprobs, logprobs_line = json.loads(match["json"]), lineno
            except json.JSONDecodeError as error:
                raise GrammarError(f"bad @logprobs JSON: {error.msg}", source, lineno,
                                   line.index("{") + error.pos + 1) from None
        else:
            raise GrammarError("unrecognised directive (expected @invention or @logprobs)",
                               source, lineno, line.index("@") + 1)
    return VersionParts(base, inventions, logprobs, logprobs_line)
