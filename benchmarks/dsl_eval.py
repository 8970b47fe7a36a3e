"""Benchmark: graph-DSL evaluation throughput (the ``graph`` domain's inner loop).

Measures programs evaluated per second by ``GraphDomain.evaluate`` on three
program sets, each timed ``--repeat`` times (the best time is reported, as
``timeit`` does: on a shared machine the slower runs measure the neighbours):

* ``corpus``: the 69 programs of ``tests/conformance/graph-dsl-original.jsonl``
  (tiled to about ``--n`` programs, so each timing is long enough to be stable);
* ``uniform``: ``--n`` programs sampled (seeded) from the seed grammar's uniform
  PCFG, at most ``--max-size`` nodes: what an unguided search evaluates, mostly
  rejected;
* ``weighted``: the same from the PCFG re-weighted on the corpus, which
  builds graphs far more often.

The reference, measured in the same run on the same programs, is a bare
iterative walk over every node of each program (the least any tree
interpreter in Python must do); ``*_vs_walk`` is evaluation time / walk time.
Also reported: the share of each set that builds a graph, and per corpus graph
the cost of the dedup key (``simple`` / ``ported``), of the exact check against
an isomorphic copy with reversed node ids (a real search) and against a graph
with the same node ids (the shortcut most duplicates take).

    python benchmarks/dsl_eval.py [--n 2000] [--max-size 40] [--repeat 7] [--seed 0]

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path
from typing import Callable, Sequence

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "conformance" / "graph-dsl-original.jsonl"  # the original implementation's records


def _best_seconds(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def _walk(programs: Sequence) -> int:
    nodes = 0
    for program in programs:
        stack = [program]
        while stack:
            node = stack.pop()
            nodes += 1
            stack.extend(node.children)
    return nodes


def _reversed_nodes(graph):
    """``graph`` with its node ids renamed in reverse order (an isomorphic copy)."""
    from framework import PortGraph

    nodes = graph.node_ids
    rename = dict(zip(nodes, reversed(nodes)))
    edges = tuple(sorted(((rename[u], p, i, rename[v]) for u, p, i, v in graph.edges), reverse=True))
    return PortGraph(edges=edges, next_id=graph.next_id, size=graph.size, max_conn=graph.max_conn)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="random programs per sampled set")
    parser.add_argument("--max-size", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from framework import Grammar, PortGraph
    from framework.dsl.pcfg import SizeTable, compile_table, reweight, sample_program
    from framework_plugins.graph_domain import GraphDomain
    from framework_plugins.graph_domain.equivalence import EQUIVALENCES

    grammar = Grammar.load_builtin("graph")
    corpus = [grammar.parse(json.loads(line)["program"]) for line in CORPUS.read_text().splitlines() if line.strip()]
    rng = random.Random(args.seed)
    sets = {"corpus": corpus * max(1, args.n // len(corpus))}
    for name, weights in (("uniform", grammar), ("weighted", reweight(grammar, corpus))):
        sizes = SizeTable(compile_table(weights), args.max_size)
        sets[name] = [sample_program(sizes, rng) for _ in range(args.n)]

    domain = GraphDomain()
    result: dict[str, object] = {"benchmark": "dsl_eval", "repeat": args.repeat, "max_size": args.max_size}
    for name, programs in sets.items():
        evaluate = domain.evaluate
        outputs = [evaluate(p, grammar) for p in programs]  # warm-up
        seconds = _best_seconds(lambda: [evaluate(p, grammar) for p in programs], args.repeat)
        walk = _best_seconds(lambda: _walk(programs), args.repeat)
        result[f"{name}_programs"] = len(programs) if name != "corpus" else len(corpus)
        result[f"{name}_programs_per_s"] = round(len(programs) / seconds)
        result[f"{name}_nodes_per_s"] = round(_walk(programs) / seconds)
        result[f"{name}_vs_walk"] = round(seconds / walk, 2)
        result[f"{name}_graph_share"] = round(sum(isinstance(o, PortGraph) for o in outputs) / len(outputs), 3)

    graphs = [domain.evaluate(p, grammar) for p in corpus]
    # isomorphic copies with the node ids reversed: the check must search
    copies = [_reversed_nodes(g) for g in graphs]
    for equivalence, (key_of, exact) in EQUIVALENCES.items():
        key = _best_seconds(lambda: [key_of(g) for g in graphs], args.repeat)
        check = _best_seconds(lambda: [exact(g, c) for g, c in zip(graphs, copies)], max(1, args.repeat // 3))
        same = _best_seconds(lambda: [exact(g, g) for g in graphs], args.repeat)
        result[f"{equivalence}_key_us"] = round(key / len(graphs) * 1e6, 1)
        result[f"{equivalence}_equivalent_us"] = round(check / len(graphs) * 1e6, 1)
        result[f"{equivalence}_equivalent_same_ids_us"] = round(same / len(graphs) * 1e6, 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
