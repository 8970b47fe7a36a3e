"""What the engine expects of a domain plugin."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Hashable, Protocol

from attrs import frozen

if TYPE_CHECKING:
    from framework.dsl.grammar import Grammar
    from framework.dsl.program import Program
    from framework.graph import PortGraph


@frozen
class Rejection:
    """Why a program has no usable output (data, not an exception).

    ``reason`` is a short stable code (``"not connected"``, ``"single node"``,
    ``"budget exceeded"``, ...) and ``detail`` an optional human sentence.
    """

    reason: str
    detail: str = ""


class Domain(Protocol):
    """A domain gives programs their meaning."""

    #: The grammar a run starts from when the spec names none.
    grammar: Grammar

    def evaluate(self, program: Program, grammar: Grammar) -> Any | Rejection:
        """Run ``program`` (step-bounded; inventions resolved through ``grammar``)."""

    def key(self, output: Any) -> Hashable:
        """A cheap invariant: equivalent outputs have equal keys."""

    def equivalent(self, a: Any, b: Any) -> bool:
        """Exact equivalence check behind :meth:`key`."""

    def to_graph(self, output: Any) -> PortGraph:
        """The graph the neural side is built on."""
