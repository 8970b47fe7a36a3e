"""One optimiser step of a whole population: the sequential loop against population training.

Prints one JSON line. Setting (issue 13): the paper's sizes -- pixel-shuffle
ViT encoder on 1 x 128 x 128 images, D = 512, the gssnn injector, three GINE
layers (dropout 0.3), batch 8 -- and P candidates whose graphs have 2 to 16
nodes, for P in 1, 4, 16, 50.

* ``sequential``: each member's step of :func:`framework.train`
  (:func:`framework.training.train_step`: forward, BCE, backward, fused Adam,
  ReduceLROnPlateau), one member after another.
* ``population``: :meth:`framework.population.StackedPopulation.step`, one
  step of all P members at once.

``kernels_per_step`` counts the ATen-level operators (nested ones included)
that ``torch.profiler`` sees during one step of the whole population: the
CPU-measurable proxy of GPU launch cost (on CUDA, ``cuda_kernels_per_step``
counts the launched kernels too). ``seconds_per_step`` are medians over
``--steps`` steps with the contenders alternated, ``spread`` their min and
max; ``speedup`` is sequential / population. ``peak_memory_mb``: on CUDA the
allocator's peak during a step; on CPU the state the contender holds
(parameters, gradients, optimiser moments, stacked buffers) plus the peak of
what one step allocates on top (profiler memory events). The load average is
reported: on a shared machine compare ratios from one run, not wall times.
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import os
import statistics
import sys
import time
from typing import Callable

import torch
from torch.profiler import ProfilerActivity, profile

from framework import GSSNN, GraphIndex, TrainingOptions
from framework.nn.testing import port_graph
from framework.population import StackedPopulation
from framework.task import Split, TaskData
from framework.training import _deterministic, build_optimizer, seed_everything, train_step
from framework_plugins.backbones.gine import GINEOptions, build_gine
from framework_plugins.encoders.pixelshuffle_vit import PixelShuffleViTOptions, build_pixelshuffle_vit
from framework_plugins.injectors.gssnn import GSSNNInjector

PAPER = {"dim": 512, "batch": 8, "image": (1, 128, 128), "encoder": PixelShuffleViTOptions()}
#: For the test of this script: the same code on sizes a CI machine runs in seconds.
SMALL = {"dim": 16, "batch": 4, "image": (1, 16, 16),
         "encoder": PixelShuffleViTOptions(unshuffle=4, width=16, conv_depth=1, depth=1, heads=2, head_dim=8, mlp_dim=16)}


def graph_sizes(members: int) -> list[int]:
    """2 to 16 nodes, mixed."""
    return [2 + (7 * i) % 15 for i in range(members)]


def build_member(nodes: int, seed: int, sizes: dict) -> GSSNN:
    seed_everything(seed)
    graph = port_graph(nodes, extra_edges=nodes // 4, seed=seed)
    dim = sizes["dim"]
    encoder = build_pixelshuffle_vit(sizes["encoder"], sizes["image"], dim)
    injector = GSSNNInjector(GraphIndex.from_port_graph(graph), dim, graph.max_conn)
    return GSSNN(encoder, injector, build_gine(GINEOptions(dropout=0.3), dim), dim)


class Sequential:
    """Every member with its own optimiser and scheduler, stepped one after another."""

    def __init__(self, models, data: TaskData, options: TrainingOptions, device: torch.device) -> None:
        self.models, self.options, self.device = models, options, device
        self.optimizers = [build_optimizer(m.to(device).train(), options, device) for m in models]
        self.x, self.y = data.train.x.to(device), data.train.y.to(device)
        self.step()  # the moments exist after a first step, as they do in training

    def step(self, batch: torch.Tensor | None = None) -> None:
        batch = torch.arange(self.options.batch_size, device=self.device) if batch is None else batch
        for model, (optimizer, scheduler) in zip(self.models, self.optimizers):
            train_step(model, optimizer, scheduler, self.x[batch], self.y[batch], self.options, self.device)

    def state_bytes(self) -> int:
        tensors = [p for m in self.models for p in m.parameters()] + [b for m in self.models for b in m.buffers()]
        tensors += [p.grad for m in self.models for p in m.parameters() if p.grad is not None]
        tensors += [t for optimizer, _ in self.optimizers for state in optimizer.state.values()
                    for t in state.values() if torch.is_tensor(t)]
        return sum(t.numel() * t.element_size() for t in tensors)


class Population:
    def __init__(self, models, data: TaskData, options: TrainingOptions, device: torch.device) -> None:
        self.stacked = StackedPopulation(models, list(range(len(models))), data, options, device)
        self.batch = torch.arange(options.batch_size, device=device).expand(len(models), -1)
        self.step()  # the first step lays out the dropout numbers

    def step(self) -> None:
        self.stacked.step(self.batch)

    def state_bytes(self) -> int:
        s = self.stacked
        tensors = [*s.param_list, *s.buffers.values(), *s.optimizer.exp_avg, *s.optimizer.exp_avg_sq]
        return 2 * sum(t.numel() * t.element_size() for t in s.param_list) + sum(
            t.numel() * t.element_size() for t in tensors[len(s.param_list):]) + sum(
            t.numel() * t.element_size() for t in s.param_list)


def profile_step(step: Callable[[], None], device: torch.device) -> tuple[dict[str, int], int]:
    """One profiled step: its operator counts and the peak of what it allocates (one step, not two:
    P = 50 sequential at the paper's size takes minutes a step on a CPU)."""
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    if device.type == "cuda":
        synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        base = torch.cuda.memory_allocated(device)
    with profile(activities=activities, profile_memory=device.type != "cuda") as prof:
        step()
        synchronize(device)
    events = prof.events()
    counts = {"aten": sum(e.name.startswith("aten::") for e in events)}
    if device.type == "cuda":
        counts["cuda"] = sum(e.device_type == torch.autograd.DeviceType.CUDA for e in events)
        return counts, torch.cuda.max_memory_allocated(device) - base
    usage = sorted((e.time_range.start, e.cpu_memory_usage) for e in events if e.name == "[memory]")
    peak = current = 0
    for _, delta in usage:
        current += delta
        peak = max(peak, current)
    return counts, peak


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def race(contenders: dict[str, Callable[[], None]], repeats: int, device: torch.device) -> dict[str, list[float]]:
    """Seconds of each contender's step, alternated (a, b, a, b, ...) so load changes hit both alike."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, step in contenders.items():
            synchronize(device)
            started = time.perf_counter()
            step()
            synchronize(device)
            times[name].append(time.perf_counter() - started)
    return times


def measure(members: int, sizes: dict, device: torch.device, repeats: int) -> dict:
    options = TrainingOptions(batch_size=sizes["batch"])
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(4 * sizes["batch"], *sizes["image"], generator=generator) * 2 - 1
    y = (torch.rand(len(x), generator=generator) > 0.5).float()
    data = TaskData(Split(x, y), Split(x[:0], y[:0]), Split(x, y), input_shape=sizes["image"])
    models = [build_member(n, seed, sizes) for seed, n in enumerate(graph_sizes(members))]
    contenders = {"sequential": Sequential([copy.deepcopy(m) for m in models], data, options, device),
                  "population": Population(models, data, options, device)}
    with _deterministic(device):
        profiled = {name: profile_step(c.step, device) for name, c in contenders.items()}
        kernels = {name: counts for name, (counts, _) in profiled.items()}
        peaks = {name: c.state_bytes() + profiled[name][1] for name, c in contenders.items()}
        times = race({name: c.step for name, c in contenders.items()}, repeats, device)
    median = {name: statistics.median(t) for name, t in times.items()}
    row = {
        "P": members,
        "kernels_per_step": {name: k["aten"] for name, k in kernels.items()},
        "seconds_per_step": {name: round(m, 4) for name, m in median.items()},
        "spread": {name: [round(min(t), 4), round(max(t), 4)] for name, t in times.items()},
        "speedup": round(median["sequential"] / median["population"], 3),
        "peak_memory_mb": {name: round(b / 2**20, 1) for name, b in peaks.items()},
    }
    if device.type == "cuda":
        row["cuda_kernels_per_step"] = {name: k["cuda"] for name, k in kernels.items()}
    del contenders, models
    gc.collect()
    return row


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--P", "--members", dest="members", default="1,4,16,50",
                        help="population sizes, comma-separated")
    parser.add_argument("--steps", "--repeats", dest="repeats", type=int, default=5,
                        help="timed steps per contender and size (P = 50 sequential at the paper's size: "
                             "about a minute a step on a 2-core CPU)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="torch CPU threads")
    parser.add_argument("--small", action="store_true", help="tiny sizes (for the test of this script)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    sizes = SMALL if args.small else PAPER
    load_before = os.getloadavg()
    rows = []
    for members in args.members.split(","):
        rows.append(measure(int(members), sizes, device, args.repeats))
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)  # each row as it is measured
    counts = {row["P"]: row["kernels_per_step"]["population"] for row in rows}
    first, last = min(counts), max(counts)
    print(json.dumps({
        "device": str(device) if device.type != "cuda" else torch.cuda.get_device_name(device),
        "sizes": "small" if args.small else "paper (pixelshuffle-vit, D=512, batch 8, graphs of 2-16 nodes)",
        "threads": torch.get_num_threads(),
        "rows": rows,
        "population_kernel_growth": round(counts[last] / counts[first], 3),
        "goal": "population kernels at the largest P <= 1.5x at the smallest; CPU: population not >10% slower at P=16",
        "load_average": {"before": [round(v, 2) for v in load_before], "after": [round(v, 2) for v in os.getloadavg()]},
        "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
