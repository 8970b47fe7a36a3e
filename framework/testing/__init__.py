"""Property-based testing kit for framework and plugin authors (Hypothesis strategies).

* :func:`programs` generates well-typed programs of *any* grammar, built
  directly from its production table (inventions included), bounded in size.
* :func:`port_graphs` generates :class:`~framework.PortGraph` values that
  satisfy the graph-domain output invariants, without running any domain.
* :func:`port_graph_violations` (from :mod:`framework.graph`; the engine applies it to every
  candidate) states those invariants as a checker, so a
  domain plugin can assert them on its own outputs.
* :func:`specs` generates valid run specs (plugin options included as raw
  tables), for properties of spec handling.
* :func:`registered` makes plugin modules or objects visible to every
  plugin manager built inside a ``with`` block (and only there).
* One contract suite per plugin kind, ``check_<kind>(factory, options, ...)``
  (:mod:`framework.testing.suites`; the neural ones, in
  :mod:`framework.testing.neural`, import torch on first use), failing with a
  :class:`ContractError` that says what to fix. They are loaded on first
  use, so ``help(framework.testing)`` does not list them: ``__all__`` names
  them, ``help(framework.testing.suites)`` and ``help(framework.testing.neural)``
  document each.
* The ``run_spec`` pytest fixture (:mod:`framework.testing.pytest_plugin`,
  registered with pytest through the ``pytest11`` entry point) runs a tiny
  spec in ``tmp_path``.

Example::

    from hypothesis import given
    from framework import Grammar
    from framework.testing import programs

    GRAMMAR = Grammar.load_builtin("arith")

    @given(programs(GRAMMAR, max_size=15))
    def test_round_trip(program):
        assert GRAMMAR.parse(GRAMMAR.print(program)) == program
"""

from __future__ import annotations

from hypothesis import strategies as st

from framework.dsl.grammar import Grammar, Production, min_sizes
from framework.dsl.program import Program
from framework.graph import PortGraph, port_graph_violations

__all__ = [
    "ContractError",
    "check_backbone",
    "check_domain",
    "check_encoder",
    "check_executor",
    "check_injector",
    "check_library_learner",
    "check_probe",
    "check_selector",
    "check_synthesizer",
    "check_task",
    "min_sizes",
    "port_graph_violations",
    "port_graphs",
    "programs",
    "registered",
    "scores",
    "specs",
]

#: Where each contract suite lives (imported on first use: the neural ones import torch).
_SUITES = {
    **dict.fromkeys(("ContractError", "check_domain", "check_executor", "check_library_learner", "check_selector",
                     "check_synthesizer", "check_task", "scores"), "framework.testing.suites"),
    **dict.fromkeys(("check_backbone", "check_encoder", "check_injector", "check_probe"), "framework.testing.neural"),
}


def __getattr__(name: str) -> object:
    module = _SUITES.get(name)
    if module is None:
        raise AttributeError(f"module 'framework.testing' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(module), name)


def programs(grammar: Grammar, max_size: int = 20, nonterminal: str | None = None,
             inventions: bool = True) -> st.SearchStrategy[Program]:
    """Well-typed programs of ``grammar`` with at most ``max_size`` productions.

    ``nonterminal`` defaults to the grammar's start type; ``inventions=False``
    keeps to base productions. Shrinks towards small programs made of the
    grammar's first, cheapest productions.
    """
    root = nonterminal or grammar.start
    nt_min = min_sizes(grammar)
    if nt_min[root] > max_size:
        raise ValueError(f"no program of {root!r} has at most {max_size} productions "
                         f"(the smallest has {nt_min[root]})")
    choices: dict[str, list[tuple[int, Production]]] = {}
    for nt in grammar.nonterminals:
        usable = [p for p in grammar.by_nonterminal(nt) if inventions or p.body is None]
        extra = [(1 + sum(nt_min[a] for a in p.arguments) - nt_min[nt], p) for p in usable]
        choices[nt] = sorted(extra, key=lambda item: item[0])

    @st.composite
    def draw_program(draw) -> Program:
        # Depth-first, iterative: the slack is what the size bound still allows
        # beyond the minimal completion of every pending child.
        slack = max_size - nt_min[root]
        pending = [root]
        preorder: list[Production] = []
        while pending:
            nt = pending.pop()
            options = [p for extra, p in choices[nt] if extra <= slack]
            production = draw(st.sampled_from(options))
            slack -= 1 + sum(nt_min[a] for a in production.arguments) - nt_min[nt]
            preorder.append(production)
            pending.extend(reversed(production.arguments))
        built: list[Program] = []
        for production in reversed(preorder):
            arity = production.arity
            children = tuple(built[len(built) - arity:][::-1]) if arity else ()
            if arity:
                del built[len(built) - arity:]
            built.append(Program(production.name, children))
        return built[0]

    return draw_program()


@st.composite
def _port_graph(draw, max_nodes: int, max_conn: int | None) -> PortGraph:
    conn = max_conn if max_conn is not None else draw(st.integers(2, 10))
    n_nodes = draw(st.integers(2, max(2, max_nodes)))
    used: dict[int, set[int]] = {0: set()}
    edges: list[tuple[int, int, int, int]] = []
    next_id = 1

    def add_edge(u: int, v: int, port: int) -> None:
        nonlocal next_id
        edges.append((u, port, next_id, v))
        edges.append((v, port, next_id, u))
        used[u].add(port)
        used[v].add(port)
        next_id += 1

    for _ in range(n_nodes - 1):
        anchors = [u for u in sorted(used) if len(used[u]) < conn]
        if not anchors:
            break
        node, next_id = next_id, next_id + 1
        used[node] = set()
        anchor = draw(st.sampled_from(anchors))
        port = draw(st.sampled_from(sorted(set(range(conn)) - used[anchor])))
        add_edge(anchor, node, port)
    for _ in range(draw(st.integers(0, len(used)))):
        u, v = draw(st.sampled_from(sorted(used))), draw(st.sampled_from(sorted(used)))
        free = sorted(set(range(conn)) - used[u] - used[v])
        if u != v and free:
            add_edge(u, v, draw(st.sampled_from(free)))
    edges.sort(key=lambda e: (e[0], e[1]), reverse=True)
    return PortGraph(edges=tuple(edges), next_id=next_id, size=len(used), max_conn=conn)


def port_graphs(max_nodes: int = 8, max_conn: int | None = None) -> st.SearchStrategy[PortGraph]:
    """Port graphs satisfying every output invariant (see :func:`port_graph_violations`).

    Nodes and edges share one creation counter, as the graph domain builds
    them; ``max_conn=None`` draws the port count from 2..10. Multi-edges
    (parallel edges on different ports) occur.
    """
    return _port_graph(max_nodes, max_conn)


# ---------------------------------------------------------------------------
# Run specs and temporary plugins
# ---------------------------------------------------------------------------


def registered(*plugins: object):
    """Context manager: ``plugins`` (modules or objects with ``@hookimpl`` functions)
    are registered in every plugin manager built inside the block, then forgotten.

    Example::

        with registered(my_plugin_module):
            registry = build_registry()   # includes my_plugin_module's plugins
    """
    from framework.plugins import temporary_plugins

    return temporary_plugins(plugins)


_NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=12)
_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
_FINITE = st.floats(allow_nan=False, allow_infinity=False, width=64)
_SCALARS = st.one_of(st.integers(-(2**40), 2**40), _FINITE, st.booleans(), _TEXT)
_OPTION_VALUES = st.one_of(_SCALARS, st.lists(st.integers(-100, 100), max_size=4))


def _choice(cls, plugin=_NAMES, **fields):
    import attrs as _attrs

    declared = {f.name for f in _attrs.fields(cls)}
    options = st.dictionaries(_NAMES.filter(lambda k: k not in declared), _OPTION_VALUES, max_size=3)
    return st.builds(cls, plugin=plugin, options=options, **fields)


def specs():
    """Valid :class:`~framework.spec.Spec` values: every section, random plugin names and options."""
    from framework import spec as s
    from framework.training_options import TrainingOptions

    nonneg = st.floats(0, 1e6, allow_nan=False)
    population = st.integers(1, 200).flatmap(
        lambda size: st.builds(
            s.PopulationSection,
            size=st.just(size),
            keep=st.integers(1, size),
            repeats=st.integers(1, 5),
            replace_smaller=st.booleans(),
            explore_budget=st.integers(1, 10**6),
            selector=_choice(s.SelectorChoice),
            initial=st.lists(_TEXT, max_size=3).map(tuple),
        )
    )
    training = st.builds(
        TrainingOptions,
        epochs=st.integers(1, 100),
        batch_size=st.integers(1, 512),
        lr=st.floats(1e-8, 10.0),
        plateau_factor=st.floats(0.01, 0.99),
        plateau_patience=st.integers(0, 1000),
        plateau_cooldown=st.integers(0, 1000),
        plateau_threshold=nonneg,
        scheduler=st.sampled_from(("plateau", "none")),
        amp=st.sampled_from(("auto", True, False)),
        eval_batch_size=st.integers(1, 4096),
        shuffle=st.booleans(),
    )
    return st.builds(
        s.Spec,
        run=st.builds(
            s.RunSection,
            name=_NAMES,
            seed=st.integers(0, 2**31),
            generations=st.integers(1, 50),
            device=st.sampled_from(s.DEVICES),
            out=st.none() | _TEXT,
        ),
        domain=_choice(s.DomainChoice, grammar=st.none() | _TEXT),
        task=_choice(s.TaskChoice),
        synthesizers=st.lists(_choice(s.SynthesizerChoice), min_size=1, max_size=3).map(tuple),
        library=_choice(s.LibraryChoice, enabled=st.booleans(), reweight=st.booleans(),
                        smoothing=nonneg, max_diff=nonneg),
        model=st.builds(
            s.ModelSection,
            dim=st.integers(1, 4096),
            encoder=_choice(s.EncoderChoice),
            injector=_choice(s.InjectorChoice),
            backbone=_choice(s.BackboneChoice),
        ),
        training=training,
        population=population,
        baseline=st.builds(s.BaselineSection, runs=st.integers(0, 100)),
        executor=_choice(s.ExecutorChoice),
        plugins=st.builds(s.PluginsSection, modules=st.lists(_NAMES, max_size=2).map(tuple),
                          paths=st.lists(_TEXT, max_size=2).map(tuple),
                          disable=st.none() | st.lists(_NAMES, max_size=2).map(tuple)),
    )
