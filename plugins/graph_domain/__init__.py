"""The graph domain: programs of the G-SSNN seed DSL build port-labelled graphs.

Paper: "Symbolic Synthesis of Neural Networks" (arXiv 2303.03340). A program of
the graph DSL (``grammars/graph.lark``) runs on a one-node graph and returns a
:class:`~framework.PortGraph`, which fixes the topology of a GNN head. The
exact semantics are in ``interpreter.py``; deduplication in ``equivalence.py``.

Spec usage (every option shown with its default)::

    [domain]
    plugin = "graph"
    max_conn = 10
    step_budget = 10000
    equivalence = "simple"    # or "ported"
    argument = 3              # n, for recursive programs (grammars/graph-rec.lark)
    max_recursion = 64
"""

from __future__ import annotations

from typing import Hashable, Mapping

from attrs import field, frozen
from attrs.validators import ge, gt, in_, instance_of

from framework import Grammar, PluginInfo, PortGraph, Program, Rejection, hookimpl

from .continuations import GraphContinuations
from .drawing import drawing_bytes, importance_svg, on_generation_end  # noqa: F401 (the reporter hook registers with the module)
from .equivalence import EQUIVALENCES
from .interpreter import DEFAULT_MAX_RECURSION, DEFAULT_STEP_BUDGET, indirection_table, interpret, provenance
from .rules import REWRITE_RULES


@frozen
class GraphDomainOptions:
    """Options of the ``graph`` domain.

    * ``max_conn``: ports per node (the seed uses 10).
    * ``step_budget``: base primitives one evaluation may execute before it is
      rejected with ``"budget exceeded"``; a run never executes more than the
      program's mass, so only programs of larger mass can be rejected.
    * ``equivalence``: ``"simple"`` (the seed's: isomorphic simple graphs) or
      ``"ported"`` (isomorphic port-labelled multigraphs).
    * ``argument``: the natural number n a recursive program (``if_zero``,
      ``recurse``: ``graph-rec.lark``) is run on.
    * ``max_recursion``: deepest ``recurse`` nesting before a program is
      rejected with ``"budget exceeded"`` (one that recurses past zero never stops).
    """

    max_conn: int = field(default=10, validator=[instance_of(int), ge(1)])
    step_budget: int = field(default=DEFAULT_STEP_BUDGET, validator=[instance_of(int), gt(0)])
    equivalence: str = field(default="simple", validator=in_(tuple(EQUIVALENCES)))
    argument: int = field(default=3, validator=[instance_of(int), ge(0)])
    max_recursion: int = field(default=DEFAULT_MAX_RECURSION, validator=[instance_of(int), gt(0)])


class GraphDomain:
    """Evaluates graph-DSL programs and deduplicates their outputs."""

    def __init__(self, options: GraphDomainOptions = GraphDomainOptions()) -> None:
        self.options = options
        self._key, self._equivalent = EQUIVALENCES[options.equivalence]
        self._grammar: Grammar | None = None
        #: the interpreter's keywords (`interpret(..., **limits)`) from the options
        self._limits = {"max_conn": options.max_conn, "step_budget": options.step_budget,
                        "argument": options.argument, "max_recursion": options.max_recursion}
        # (grammar, indirection table) of the last grammar seen: the engine
        # evaluates many programs against one grammar version at a time.
        self._tables: tuple[Grammar | None, dict] = (None, {})

    @property
    def grammar(self) -> Grammar:
        """The seed graph grammar, loaded on first use from the package data."""
        if self._grammar is None:
            self._grammar = Grammar.load_builtin("graph")
        return self._grammar

    def _table(self, grammar: Grammar) -> dict:
        cached, table = self._tables
        if grammar is not cached:
            inventions = grammar.inventions
            arity = max((p.arity for p in inventions), default=0)
            table = indirection_table({p.name: p.body for p in inventions}, arity)
            self._tables = (grammar, table)
        return table

    def evaluate(self, program: Program, grammar: Grammar | None = None) -> PortGraph | Rejection:
        """Run ``program``; inventions of ``grammar`` are interpreted through their bodies."""
        return interpret(program, self._table(grammar) if grammar is not None else None, **self._limits)

    def provenance(self, program: Program, grammar: Grammar | None = None) -> dict[int, int]:
        """Element id of the output graph -> pre-order index of the program node that built it
        (an invention call owns what its body builds); what ``framework probe`` ablates per production."""
        return provenance(program, self._table(grammar) if grammar is not None else None, **self._limits)

    def key(self, output: PortGraph) -> Hashable:
        """Cheap invariant of the chosen equivalence (equal for equivalent outputs)."""
        return self._key(output)

    def equivalent(self, a: PortGraph, b: PortGraph) -> bool:
        """Exact check of the chosen equivalence.

        Identical graphs (many programs build exactly the same one) skip the
        isomorphism search, which costs milliseconds.
        """
        return a == b or self._equivalent(a, b)

    def continuations(self, grammar: Grammar) -> GraphContinuations:
        """The DSL's small steps under ``grammar``, for search by behaviour (``continuations.py``)."""
        return GraphContinuations(self._table(grammar), self.options.max_conn, self.options.step_budget)

    def rewrite_rules(self) -> tuple[str, ...]:
        """Rewrites over the base productions that never change an output (``rules.py``).

        Synthesizers compile them into the grammar so no program containing
        a left side is built (``framework.dsl.rules``).
        """
        return REWRITE_RULES

    def to_graph(self, output: PortGraph) -> PortGraph:
        """Outputs already are port graphs."""
        return output

    def draw(self, output: PortGraph, title: str = "", format: str = "svg") -> bytes:
        """The output graph drawn as ``format`` (``"svg"``, ``"png"``): nodes on a circle in
        creation order, each edge labelled ``id:port`` (``framework dsl draw``)."""
        return drawing_bytes(output, title, format)

    def draw_importance(self, output: PortGraph, importance: Mapping[tuple[str, int], float], title: str = "") -> bytes:
        """An SVG of ``output`` with nodes and edges (``("node" | "edge", id)`` -> 0..1) shaded
        white to red by importance (``framework probe``)."""
        return importance_svg(output, importance, title)


@hookimpl
def register_domains() -> list[PluginInfo]:
    return [
        PluginInfo(
            "graph",
            "domain",
            GraphDomain,
            GraphDomainOptions,
            summary="G-SSNN seed DSL: programs build port-labelled graphs (arXiv 2303.03340)",
        )
    ]
