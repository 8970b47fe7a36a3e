"""Benchmark: generation 0's exploration of a spec, exactly as ``framework run`` does it, without training.

Same domain, grammar, synthesizers (in the spec's order), seed, number of
programs wanted (``population.size``) and budget (``population.explore_budget``);
``--without NAME`` drops a synthesizer from the spec, so one run can compare
the spec with and without it. Prints one JSON line: per variant, the
exploration counts, who found what, and the found graphs' sizes.

    python benchmarks/generation0.py examples/paper-reduced.toml [--without behavioural] [--want N]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from pathlib import Path


def explore_generation0(spec, spec_dir: Path, registry, drop: str | None, want: int | None) -> dict:
    from framework import Grammar
    from framework.engine import derive_seed
    from framework.explore import explore
    from framework.plugins import build_plugin

    def build(choice):
        return build_plugin(registry, choice.kind, choice.plugin, choice.options)

    domain = build(spec.domain)
    grammar = Grammar.load(spec_dir / spec.domain.grammar) if spec.domain.grammar else domain.grammar
    synthesizers = [(c.plugin, build(c)) for c in spec.synthesizers if c.plugin != drop]
    started = time.perf_counter()
    result = explore(domain, grammar, synthesizers, [], want=want or spec.population.size,
                     rng=random.Random(derive_seed(spec.run.seed, "explore", 0)),
                     budget=spec.population.explore_budget)
    seconds = time.perf_counter() - started
    stats = result.stats
    return {
        "synthesizers": [name for name, _ in synthesizers],
        "want": want or spec.population.size,
        "proposed": stats.proposed,
        "proposed_by": dict(stats.proposed_by),
        "evaluated": stats.evaluated,
        "internal": sum(getattr(s, "evaluations", 0) for _, s in synthesizers),
        "found": stats.found,
        "found_by": dict(stats.found_by),
        "rejected": dict(stats.rejected),
        "duplicates": stats.duplicates,
        "seconds": round(seconds, 2),
        "graphs": [{"program": grammar.print(f.program), "nodes": f.output.size,
                    "edges": len(f.output.undirected_edges)} for f in result.found],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("spec", type=Path)
    parser.add_argument("--without", action="append", default=[], help="also run without this synthesizer")
    parser.add_argument("--want", type=int, help="programs wanted (default: population.size)")
    args = parser.parse_args()
    from framework.spec import load_spec

    spec, plugins = load_spec(args.spec)
    spec_dir = args.spec.resolve().parent
    rows = [explore_generation0(spec, spec_dir, plugins.registry, None, args.want)]
    rows += [explore_generation0(spec, spec_dir, plugins.registry, name, args.want) for name in args.without]
    print(json.dumps({"benchmark": "generation0", "spec": str(args.spec), "budget": spec.population.explore_budget,
                      "rows": rows, "load_average_1m": round(os.getloadavg()[0], 2)}))


if __name__ == "__main__":
    main()
