"""benchmarks/population_step.py prints its one JSON line, and the kernel counts behave (small sizes)."""

import importlib.util
import json
from pathlib import Path

import torch

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "population_step.py"


def test_population_step_prints_the_issue_s_json(capsys):
    spec = importlib.util.spec_from_file_location("population_step", SCRIPT)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    threads = torch.get_num_threads()
    try:
        bench.main(["--small", "--members", "1,4", "--repeats", "1", "--threads", "1"])
    finally:
        torch.set_num_threads(threads)
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["device"] == "cpu" and [row["P"] for row in result["rows"]] == [1, 4]
    one, four = result["rows"]
    for row in result["rows"]:
        for key in ("kernels_per_step", "seconds_per_step", "peak_memory_mb"):
            assert set(row[key]) == {"sequential", "population"}, key
        assert row["speedup"] > 0
    # the sequential loop's count grows with P, the population's does not
    assert four["kernels_per_step"]["sequential"] >= 3.5 * one["kernels_per_step"]["sequential"]
    assert four["kernels_per_step"]["population"] <= 1.5 * one["kernels_per_step"]["population"]
    assert result["population_kernel_growth"] <= 1.5
