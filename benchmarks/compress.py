"""Benchmark: the ``stitch`` library learner end to end vs raw ``stitch_core.compress``.

Both run in this process on the same programs (by default the 69 programs of
``tests/conformance/graph-dsl-original.jsonl``) with the same stitch
settings. The plugin's time includes everything the engine pays for one
library-learning step: programs to text, stitch, typing / deduplication /
renaming of the abstractions, reading the rewritten programs back and
compiling the new grammar version. The reference is stitch alone on
pre-made text. Each side is timed ``--repeat`` times, interleaved; times
are medians, and ratios are given of medians and of minima (the minima are
steadier on a busy machine). Prints one JSON line; ``ratio`` is plugin / raw (target: at
most 1.2). ``grammar_ms`` is the part of the plugin's time spent in
``Grammar.with_inventions`` (timed separately on the same inventions), and
``ratio_excluding_grammar`` the ratio without it: the learner's own overhead.

    python benchmarks/compress.py [--corpus FILE.jsonl] [--iterations 3] [--max-arity 2] [--repeat 15]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO / "tests" / "conformance" / "graph-dsl-original.jsonl"  # the original implementation's records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                        help="JSONL with a 'program' field per line (graph DSL)")
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--max-arity", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    os.environ.setdefault("FRAMEWORK_LOAD_PLUGINS", "library")  # do not import the neural plugins
    import stitch_core

    from framework import Grammar
    from framework.plugins import build_plugin, build_registry

    grammar = Grammar.load_builtin("graph")
    texts = [json.loads(line)["program"] for line in args.corpus.read_text().splitlines() if line.strip()]
    programs = [grammar.parse(text) for text in texts]
    options = {"iterations": args.iterations, "max_arity": args.max_arity}
    learner = build_plugin(build_registry(), "library_learner", "stitch", options)

    def raw() -> object:
        return stitch_core.compress(texts, iterations=args.iterations, max_arity=args.max_arity,
                                    no_curried_metavars=True, no_curried_bodies=True, no_mismatch_check=True)

    def plugin() -> object:
        return learner.compress(grammar, programs)

    result = plugin()  # warm-up: imports, caches
    raw_result = raw()

    def grammar_step() -> object:
        return grammar.with_inventions(result.inventions)

    times: dict[str, list[float]] = {"raw": [], "plugin": [], "grammar": []}
    for _ in range(args.repeat):
        for name, call in (("raw", raw), ("plugin", plugin), ("grammar", grammar_step)):
            start = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - start)
    median = {name: statistics.median(values) * 1000 for name, values in times.items()}
    best = {name: min(values) * 1000 for name, values in times.items()}
    print(json.dumps({
        "benchmark": "compress",
        "programs": len(programs),
        "iterations": args.iterations,
        "max_arity": args.max_arity,
        "inventions": len(result.inventions),
        "compression_ratio": round(result.ratio, 4),
        "stitch_compression_ratio": round(raw_result.json["compression_ratio"], 4),
        "raw_ms": round(median["raw"], 2),
        "plugin_ms": round(median["plugin"], 2),
        "grammar_ms": round(median["grammar"], 2),
        "ratio": round(median["plugin"] / median["raw"], 3),
        "ratio_excluding_grammar": round((median["plugin"] - median["grammar"]) / median["raw"], 3),
        "ratio_of_minima": round(best["plugin"] / best["raw"], 3),
        "ratio_of_minima_excluding_grammar": round((best["plugin"] - best["grammar"]) / best["raw"], 3),
        "target_ratio": 1.2,
        "repeat": args.repeat,
    }))


if __name__ == "__main__":
    main()
