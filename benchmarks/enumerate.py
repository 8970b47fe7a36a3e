"""Benchmark: heap-search enumeration, and exploration (evaluate + dedupe) on graph.lark.

Two figures, each timed ``--repeat`` times with the best kept (as ``timeit``
does: on a shared machine the slower runs measure the neighbours), in wall
time and in this process's CPU time (``*_per_cpu_s``: what one core does
when the machine is busy with other work):

* ``enumerated_per_s``: programs the heap search yields per second on the
  seed grammar (uniform weights, at most ``--max-size`` nodes), ``--n`` of
  them from a fresh search, in batches as the ``enumerative`` synthesizer
  takes them. Target: 71,000 per second on one core, the best rate of the
  original compiled OCaml search. Reference, same run: constructing each
  yielded program's root node once with one heap push and pop (the least
  any best-first enumerator in Python does per program);
  ``enumerate_vs_build`` is search time / that time. Also reported on the
  PCFG re-weighted on the conformance corpus (``weighted_per_s``), where the
  order is no longer by size.
* ``explored_per_s``: programs per second through :func:`framework.explore`
  (enumerative synthesizer, ``graph`` domain, dedupe by output) on the
  re-weighted PCFG, ``--explore-n`` programs. Reference, same run: the same
  synthesizer's proposals followed by a bare ``domain.evaluate`` loop over
  them; ``explore_vs_evaluate`` is the ratio (exploration's own overhead:
  dedupe keys, equivalence checks, mass, counts).

    python benchmarks/enumerate.py [--n 300000] [--max-size 20] [--explore-n 20000] [--repeat 5]

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import gc
import heapq
import json
import os
import platform
import random
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "conformance" / "graph-dsl-original.jsonl"  # the original implementation's records
BATCH = 512  # the enumerative synthesizer's default batch size


class Clock:
    """Wall and CPU seconds of one timed block; keeps the best of each over repeats."""

    def __init__(self) -> None:
        self.wall, self.cpu = [], []

    def __enter__(self) -> Clock:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall.append(time.perf_counter() - self._wall)
        self.cpu.append(time.process_time() - self._cpu)

    def rate(self, n: int, cpu: bool = False) -> int:
        return round(n / min(self.cpu if cpu else self.wall))

    def ratio(self, other: Clock, cpu: bool = False) -> float:
        mine, theirs = (self.cpu, other.cpu) if cpu else (self.wall, other.wall)
        return round(min(mine) / min(theirs), 3)


def enumerate_programs(table, max_size: int, n: int) -> list:
    """``n`` pairs from a fresh search, in batches as the synthesizer takes them."""
    from framework.dsl.heap_search import HeapSearch

    search = HeapSearch(table, max_size)
    out: list = []
    while len(out) < n:
        chunk = search.take(min(BATCH, n - len(out)))
        if not chunk:
            break
        out.extend(chunk)
    return out


def build(programs: list) -> None:
    """Build each program's root node once (over its existing children), one heap push and pop each."""
    from framework import Program

    heap: list = []
    tick = 0
    for program in programs:
        tick += 1
        heapq.heappush(heap, (-1.0, tick, Program(program.production, program.children)))
    while heap:
        heapq.heappop(heap)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=300_000, help="programs to enumerate per timing")
    parser.add_argument("--max-size", type=int, default=20)
    parser.add_argument("--explore-n", type=int, default=20_000, help="programs to explore per timing")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    os.environ.setdefault("FRAMEWORK_LOAD_PLUGINS", "graph_domain,synthesizers")
    from framework import Grammar
    from framework.dsl.pcfg import compile_table, reweight
    from framework.explore import explore
    from framework.plugins import build_plugin, build_registry

    grammar = Grammar.load_builtin("graph")
    corpus = [json.loads(line)["program"] for line in CORPUS.read_text().splitlines() if line.strip()]
    weighted = reweight(grammar, [grammar.parse(t) for t in corpus], smoothing=1.0)
    uniform_table, weighted_table = compile_table(grammar), compile_table(weighted)

    search, building, weighted_search = Clock(), Clock(), Clock()
    for _ in range(args.repeat):
        with search:
            pairs = enumerate_programs(uniform_table, args.max_size, args.n)
        programs = [p for _, p in pairs]
        gc.disable()  # as HeapSearch.take does
        with building:
            build(programs)
        gc.enable()
        del pairs, programs  # each timing starts with the same memory in use
        with weighted_search:
            enumerate_programs(weighted_table, args.max_size, args.n)
    count = args.n

    registry = build_registry()
    domain = build_plugin(registry, "domain", "graph")

    def synthesizer():
        return build_plugin(registry, "synthesizer", "enumerative", {"max_size": args.max_size})

    exploring, pipeline = Clock(), Clock()
    result = None
    for _ in range(args.repeat):
        with exploring:
            result = explore(domain, weighted, [("enumerative", synthesizer())], [], want=args.explore_n,
                             rng=random.Random(0), budget=args.explore_n)
        with pipeline:
            for batch in synthesizer().propose(weighted, [], args.explore_n, random.Random(0)):
                for program in batch:
                    domain.evaluate(program, weighted)

    print(json.dumps({
        "benchmark": "enumerate",
        "grammar": "graph.lark",
        "max_size": args.max_size,
        "n": count,
        "enumerated_per_s": search.rate(count),
        "enumerated_per_cpu_s": search.rate(count, cpu=True),
        "target_per_s": 71_000,
        "build_per_s": building.rate(count),
        "enumerate_vs_build": search.ratio(building),
        "enumerate_vs_build_cpu": search.ratio(building, cpu=True),
        "weighted_per_s": weighted_search.rate(count),
        "weighted_per_cpu_s": weighted_search.rate(count, cpu=True),
        "explore_n": args.explore_n,
        "explored_per_s": exploring.rate(args.explore_n),
        "explored_per_cpu_s": exploring.rate(args.explore_n, cpu=True),
        "enumerate_evaluate_per_s": pipeline.rate(args.explore_n),
        "explore_vs_evaluate": exploring.ratio(pipeline),
        "explore_vs_evaluate_cpu": exploring.ratio(pipeline, cpu=True),
        "explore_found": result.stats.found,
        "explore_rejected": result.stats.rejected,
        "explore_duplicates": result.stats.duplicates,
        "repeat": args.repeat,
        "python": platform.python_version(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
    }))


if __name__ == "__main__":
    main()
