"""Benchmark: Raven puzzles generated per second, one process vs a process pool.

Generates the same ``--n`` puzzles (paper settings, one seed) twice in this
run: serially in this process (the reference), then with ``--workers``
spawned processes. The pool's time includes starting its workers, as a
``raven`` task load pays it. Checks that both give identical arrays. Prints
one JSON line; ``speedup`` is pool / serial puzzles per second (at most
``workers``). ``serial_puzzles_per_cpu_s`` divides by this process's CPU
time instead of wall time: the per-core rate, little affected by other load
(``load_avg_1m``, read at the end, says how busy the machine was). Nothing is
cached: this times generation, not the cache.

    python benchmarks/raven_gen.py [--n 96] [--workers CPU_COUNT] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

# This file's folder is first on sys.path and its name would shadow the
# raven_gen package (here and in the spawned workers, which copy sys.path).
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=96, help="puzzles per side")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from framework_plugins.tasks.raven_generate import GenerationSettings, generate

    settings = GenerationSettings()
    counts = {"train": args.n}
    start, cpu_start = time.perf_counter(), time.process_time()
    serial = generate(settings, args.seed, counts, workers=1)["train"]
    serial_s, serial_cpu_s = time.perf_counter() - start, time.process_time() - cpu_start
    start = time.perf_counter()
    pooled = generate(settings, args.seed, counts, workers=args.workers)["train"]
    pool_s = time.perf_counter() - start
    identical = all(
        np.array_equal(getattr(serial, name), getattr(pooled, name))
        for name in ("images", "rules", "layout_attr", "matrix_type", "background")
    )
    print(
        json.dumps(
            {
                "benchmark": "raven_gen",
                "n": args.n,
                "workers": args.workers,
                "cpu_count": os.cpu_count(),
                "serial_puzzles_per_s": round(args.n / serial_s, 2),
                "serial_puzzles_per_cpu_s": round(args.n / serial_cpu_s, 2),
                "pool_puzzles_per_s": round(args.n / pool_s, 2),
                "speedup": round(serial_s / pool_s, 3),
                "identical": identical,
                "load_avg_1m": round(os.getloadavg()[0], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
