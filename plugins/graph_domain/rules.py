"""Rewrites that never change a graph-DSL program's output, derived from the semantics.

Synthesizers compile them into the grammar (``framework.dsl.rules.sharpen``)
so that no program containing a left side is built. Why each one holds
(``docs/graph-dsl.md`` has the semantics):

* ``next_port`` and ``prev_port`` are inverse (ports modulo ``max_conn``) and
  touch nothing else.
* ``(move (move k))``: an edge sits on the same port at both of its ends, so a
  second move returns along it; with no edge both do nothing.
* ``(connect (connect k))``: after a connect either (pos, port) is taken or
  nothing changed, so a second one does nothing.
* ``(add (add k))``: after an add the graph has two components (or nothing
  changed), so a second add does nothing.
* ``(push (pop k))``: with one component pop drops what push pushed. With
  two (right after an add) the cursor sits on the fresh node, which has no
  edge to move along, and the stack still holds the node the add needed,
  which differs from it, so pop drops the top then too.
* ``func`` keeps only its sub-routine's graph and restores the cursor and the
  stack: a sub-routine that cannot change the graph (``identity``, one
  cursor or stack primitive, ``add``, whose fresh node is unattached and
  discarded) is a no-op; ``(func (func f identity) k)`` is ``(func f k)``
  (the inner one keeps f's graph exactly when the outer would).
* A probe of ``if_positions_equal`` only reports its final position: a probe
  ending with a primitive that does not move the cursor then stops is the
  same as ``identity``.
* At the root the state is the initial one (node 0 alone, no edge, empty
  stack) and port changes keep it so: ``move``, ``pop``, ``connect`` and
  ``add`` do nothing there, and after one or two port changes.
"""

from __future__ import annotations

#: Cursor and stack primitives: they never change the graph.
_GRAPH_NEUTRAL = ("next_port", "prev_port", "move", "push", "pop")
#: Primitives that do not change the cursor's position.
_POSITION_NEUTRAL = ("next_port", "prev_port", "push", "pop", "connect")
#: Primitives that do nothing in the initial state.
_IDLE_AT_START = ("move", "pop", "connect", "add")


def _probe(index: int, primitive: str) -> str:
    args = ["?f", "?g", "?h", "?e", "?k"]
    lhs, rhs = list(args), list(args)
    lhs[index], rhs[index] = f"({primitive} identity)", "identity"
    return f"(if_positions_equal {' '.join(lhs)}) -> (if_positions_equal {' '.join(rhs)})"


def _at_start(prefix: tuple[str, ...], primitive: str) -> str:
    lhs, rhs = f"({primitive} ?k)", "?k"
    for port in reversed(prefix):
        lhs, rhs = f"({port} {lhs})", f"({port} {rhs})"
    return f"^{lhs} -> {rhs}"


REWRITE_RULES: tuple[str, ...] = (
    "(next_port (prev_port ?k)) -> ?k",
    "(prev_port (next_port ?k)) -> ?k",
    "(move (move ?k)) -> ?k",
    "(push (pop ?k)) -> ?k",
    "(connect (connect ?k)) -> (connect ?k)",
    "(add (add ?k)) -> (add ?k)",
    "(func identity ?k) -> ?k",
    "(func (func ?f identity) ?k) -> (func ?f ?k)",
    *(f"(func ({p} identity) ?k) -> ?k" for p in (*_GRAPH_NEUTRAL, "add")),
    *(_probe(i, p) for i in (0, 1) for p in _POSITION_NEUTRAL),
    *(_at_start(prefix, p)
      for prefix in ((), ("next_port",), ("prev_port",), ("next_port", "next_port"), ("prev_port", "prev_port"))
      for p in _IDLE_AT_START),
)
