"""Benchmark: how many new graphs exploration finds, per synthesizer, in generation 0.

Generation 0 of the paper's settings: ``graph.lark`` with its uniform PCFG,
no population, a budget of 200,000 programs, want = budget (so nothing stops
early). For each synthesizer setup and each equivalence (``simple``, the
seed's, and ``ported``) one :func:`framework.explore` call is timed, and the
row says

* ``proposed``: programs the synthesizers handed to exploration;
* ``evaluated``: programs the domain ran: exploration's evaluations plus, for
  a synthesizer that evaluates partial programs itself (``behavioural``),
  its own (``internal``), which the budget also bounds;
* ``found``: distinct outputs (connected graphs of two or more nodes, new
  under the equivalence); ``found_per_100k`` per 100,000 programs evaluated,
  ``found_per_s`` per second of wall time;
* ``sizes``: histograms of the found graphs' nodes and (undirected) edges.

Setups run one after another in a fixed order, each equivalence in turn
(alternated, so a change of load hits every setup alike); the load average
is reported. ``speedup_vs_pair`` is a setup's ``found_per_s`` over today's
``enumerative`` + ``stochastic`` pair's (the paper spec's pair: max sizes 30
and 40, no pruning: what generation 0 ran before rewrite rules), in the same
run and equivalence. ``enumerative-pruned`` is heap search on the grammar
sharpened by the domain's rewrite rules.

    python benchmarks/explore_yield.py [--budget 200000] [--setups enumerative,stochastic,...]

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import time
from collections import Counter

#: setup name -> [(synthesizer plugin, options)], drawn from round robin as a spec lists them
SETUPS: dict[str, list[tuple[str, dict]]] = {
    "enumerative": [("enumerative", {"max_size": 30, "prune": False})],
    "stochastic": [("stochastic", {"max_size": 40})],
    "enumerative+stochastic": [("enumerative", {"max_size": 30, "prune": False}), ("stochastic", {"max_size": 40})],
    "enumerative-pruned": [("enumerative", {"max_size": 30, "prune": True})],
    "behavioural": [("behavioural", {})],
}


def histogram(values) -> dict[str, int]:
    return {str(k): v for k, v in sorted(Counter(values).items())}


def run_setup(registry, domain, grammar, setup: list[tuple[str, dict]], budget: int, seed: int) -> dict:
    from framework.explore import explore
    from framework.plugins import build_plugin

    synthesizers = [(plugin, build_plugin(registry, "synthesizer", plugin, options)) for plugin, options in setup]
    started = time.perf_counter()
    result = explore(domain, grammar, synthesizers, [], want=budget, rng=random.Random(seed), budget=budget)
    seconds = time.perf_counter() - started
    internal = sum(getattr(s, "evaluations", 0) for _, s in synthesizers)
    evaluated = result.stats.evaluated + internal
    found = result.stats.found
    graphs = [f.output for f in result.found]
    return {
        "proposed": result.stats.proposed,
        "evaluated": evaluated,
        "internal": internal,
        "found": found,
        "found_per_100k": round(found * 100_000 / evaluated, 2) if evaluated else 0.0,
        "found_per_s": round(found / seconds, 3) if seconds > 0 else 0.0,
        "seconds": round(seconds, 2),
        "rejected": dict(result.stats.rejected),
        "duplicates": result.stats.duplicates,
        "repeats": result.stats.repeats,
        "sizes": {
            "nodes": histogram(g.size for g in graphs),
            "edges": histogram(len(g.undirected_edges) for g in graphs),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", type=int, default=200_000)
    parser.add_argument("--setups", default=",".join(SETUPS), help="comma-separated, from: " + ", ".join(SETUPS))
    parser.add_argument("--equivalences", default="simple,ported")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    setups = args.setups.split(",")
    unknown = [s for s in setups if s not in SETUPS]
    if unknown:
        parser.error(f"unknown setup(s) {', '.join(unknown)}; known: {', '.join(SETUPS)}")

    os.environ.setdefault("FRAMEWORK_LOAD_PLUGINS", "graph_domain,synthesizers")
    from framework import Grammar
    from framework.plugins import build_plugin, build_registry

    registry = build_registry()
    grammar = Grammar.load_builtin("graph")
    load_before = os.getloadavg()[0]
    rows = []
    for equivalence in args.equivalences.split(","):
        domain = build_plugin(registry, "domain", "graph", {"equivalence": equivalence})
        for name in setups:
            row = run_setup(registry, domain, grammar, SETUPS[name], args.budget, args.seed)
            rows.append({"synthesizer": name, "equivalence": equivalence, **row})
    pair = {r["equivalence"]: r["found_per_s"] for r in rows if r["synthesizer"] == "enumerative+stochastic"}
    for row in rows:
        reference = pair.get(row["equivalence"])
        if reference:
            row["speedup_vs_pair"] = round(row["found_per_s"] / reference, 2)
    print(json.dumps({
        "benchmark": "explore_yield",
        "grammar": "graph.lark",
        "weights": "uniform",
        "budget": args.budget,
        "rows": rows,
        "python": platform.python_version(),
        "load_average_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "cpus": os.cpu_count(),
    }))


if __name__ == "__main__":
    main()
