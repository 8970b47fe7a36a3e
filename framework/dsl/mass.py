"""Mass figures of inventions: what an invention weighs once expanded, without expanding it.

:func:`framework.dsl.program.mass` reads these figures (``Grammar.body_mass``)
to measure a program in base productions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from framework.dsl.production import Production, hole_index
from framework.dsl.program import MASS_CAP

#: Per invention: (base productions in its expansion, copies of each hole).
BodyMass = Mapping[str, tuple[int, tuple[int, ...]]]


def body_masses(productions: Mapping[str, Production],
                inventions: Sequence[str]) -> dict[str, tuple[int, tuple[int, ...]]]:
    """Per invention: base productions of its expansion and copies of each hole.

    Composed from earlier inventions' figures, never by walking an expansion:
    a chain of inventions that nest a hole in itself expands doubly
    exponentially. Figures saturate at :data:`~framework.dsl.program.MASS_CAP`.
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
