"""Speed of the vectorised G-SSNN against the original per-sample algorithm, in one run.

Prints one JSON line. Setting (issue 5): a 9-node, 8-edge program graph, batch
8, D = 512, the paper's encoder on 1 x 128 x 128 inputs.

* ``head``: forward + backward of the graph head alone (injection, 3 GINE
  layers, mean readout, linear), from an encoder output ``[8, 512]``.
* ``step``: one full training step (encoder + head, BCE loss, backward, Adam);
  ours uses the optimizer :func:`framework.train` builds, the reference the
  original's default Adam.

The reference is the original implementation's algorithm, transcribed below:
a Python loop over samples that slices and tiles the encoder output chunk by
chunk, and a batched graph rebuilt on every forward (what ``dgl.batch`` did).
It computes the same function as ``gssnn`` with ``faithful = true``; the
script checks that both heads agree before timing them. Times are medians of
repeated runs; ratios are reference / ours (higher is better). ``head_floor_ms``
times the two parts of our faithful head that no reorganisation removes (its
dropout draw and its linear layers). The JSON also
carries the 1-minute load average: on a shared machine, wall times with more
threads than idle cores are unreliable, so compare ratios from one run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import time
from typing import Callable

import torch
from torch import nn

from framework import GSSNN, GraphIndex, PortGraph, TrainingOptions, resolve_device
from framework.nn.testing import example_graphs
from framework.training import build_optimizer
from framework_plugins.backbones.gine import GINEOptions, build_gine
from framework_plugins.encoders.pixelshuffle_vit import PixelShuffleViTOptions, build_pixelshuffle_vit
from framework_plugins.injectors.gssnn import GSSNNInjector

DIM, BATCH, IMAGE = 512, 8, (1, 128, 128)


class ReferenceHead(nn.Module):
    """The original per-sample G-SSNN head (semantics: gssnn.md with its three quirks)."""

    def __init__(self, graph: PortGraph, dim: int, convs: nn.ModuleList, readout: nn.Linear, dropout: float) -> None:
        super().__init__()
        self.dim, self.convs, self.readout, self.dropout = dim, convs, readout, dropout
        starts, ends, edge_ids, ports = [], [], [], []
        for node, port, edge_id, neighbour in graph.edges:  # the original kept both copies of every edge
            starts.append(node)
            ends.append(neighbour)
            edge_ids.append(edge_id)
            ports.append(port + 1)
        node_ids = sorted(set(starts) | set(ends))
        self.n_nodes, n_elt = len(node_ids), len(node_ids) + len(edge_ids)
        h, w = n_elt, graph.max_conn + 1
        quarter = dim // 4
        omega = 1 / 10000 ** (torch.arange(quarter) / (quarter - 1))

        def scrambled(a: int, b: int) -> torch.Tensor:
            k = a * w + b
            x, y = k % h, k // h
            return torch.cat([(x * omega).sin(), (x * omega).cos(), (y * omega).sin(), (y * omega).cos()])

        self.register_buffer("node_pos", torch.stack([scrambled(a, 0) for a in node_ids]))
        self.register_buffer("edge_pos", torch.stack([scrambled(a, p) for a, p in zip(edge_ids, ports)]))
        self.node_ids, self.edge_ids = node_ids, edge_ids
        self.increment = dim // n_elt
        remainder = dim - self.increment * n_elt
        self.stops = list(range(self.increment + remainder, dim + 1, self.increment))
        at = {a: i for i, a in enumerate(node_ids)}
        self.src = [at[a] for a in starts + ends]
        self.dst = [at[a] for a in ends + starts]

    def batched_graph(self, batch: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """What ``dgl.batch`` builds on every forward: the graph repeated with node offsets."""
        src, dst = [], []
        for b in range(batch):
            offset = b * self.n_nodes
            src += [s + offset for s in self.src]
            dst += [d + offset for d in self.dst]
        return torch.tensor(src, device=device), torch.tensor(dst, device=device)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        src, dst = self.batched_graph(x.shape[0], x.device)
        node_feats, edge_feats = [], []
        for i in range(x.shape[0]):
            choice = torch.stack([
                x[i, start:stop].tile(math.ceil(self.dim / self.increment))[: self.dim]
                for start, stop in zip([0] + self.stops[:-1], self.stops)
            ])
            node_feats.append(self.node_pos + choice[self.node_ids])
            edge_feats.append((self.edge_pos + choice[self.edge_ids]).tile(2, 1))
        h, e = torch.cat(node_feats), torch.cat(edge_feats)
        for conv in self.convs:
            h_in = nn.functional.dropout(h, self.dropout, self.training)
            e_in = nn.functional.dropout(e, self.dropout, self.training)
            messages = torch.relu(h_in[src] + e_in)
            h = conv.linear((1 + conv.eps) * h_in + torch.zeros_like(h_in).index_add_(0, dst, messages))
        return self.readout(h.view(x.shape[0], self.n_nodes, -1).mean(dim=1))


def race(contenders: dict[str, Callable[[], None]], repeats: int, warmup: int = 2) -> dict[str, dict[str, float]]:
    """Median wall and process-CPU milliseconds of each function, run in alternation.

    Alternating (a, b, a, b, ...) spreads changes in machine load evenly over
    the contenders, so their ratio stays meaningful on a shared machine.
    """
    for fn in contenders.values():
        for _ in range(warmup):
            fn()
    wall: dict[str, list[float]] = {name: [] for name in contenders}
    cpu: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, fn in contenders.items():
            w, c = time.perf_counter(), time.process_time()
            fn()
            cpu[name].append(time.process_time() - c)
            wall[name].append(time.perf_counter() - w)
    return {
        name: {"wall": 1000 * statistics.median(wall[name]), "cpu": 1000 * statistics.median(cpu[name])}
        for name in contenders
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--head-repeats", type=int, default=30)
    parser.add_argument("--step-repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="torch CPU threads (default: all)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    torch.manual_seed(0)
    graph = example_graphs()["tree9"]
    index = GraphIndex.from_port_graph(graph)
    encoder = build_pixelshuffle_vit(PixelShuffleViTOptions(), IMAGE, DIM)
    ours = GSSNN(encoder, GSSNNInjector(index, DIM, graph.max_conn, faithful=True), build_gine(GINEOptions(), DIM), DIM)
    exact = GSSNN(encoder, GSSNNInjector(index, DIM, graph.max_conn), ours.backbone, DIM)
    exact.head = ours.head
    reference_head = ReferenceHead(graph, DIM, ours.backbone.layers, ours.head, dropout=0.3)
    reference = nn.Sequential(encoder, reference_head)
    for module in (ours, exact, reference):
        module.to(device)

    z = torch.randn(BATCH, DIM, device=device)
    ours.eval(), reference.eval()
    with torch.no_grad():
        agree = torch.allclose(ours.graph_head(z), reference_head(z), atol=1e-4, rtol=1e-4)
    if not agree:
        raise SystemExit("the vectorised faithful head and the per-sample reference disagree")
    ours.train(), exact.train(), reference.train()

    def head_step(head) -> None:
        zz = z.detach().requires_grad_()
        head(zz).sum().backward()
        sync(device)

    images = torch.rand(BATCH, *IMAGE, device=device) * 2 - 1
    targets = (torch.rand(BATCH, device=device) > 0.5).float()
    loss_fn = nn.BCEWithLogitsLoss()

    def full_step(model: nn.Module, optimizer: torch.optim.Optimizer):

        def step() -> None:
            optimizer.zero_grad(set_to_none=True)
            loss_fn(model(images)[:, 0], targets).backward()
            optimizer.step()
            sync(device)

        return step

    heads = race(
        {
            "reference": lambda: head_step(reference_head),
            "ours_faithful": lambda: head_step(ours.graph_head),
            "ours_exact": lambda: head_step(exact.graph_head),
        },
        args.head_repeats,
    )
    # Lower bounds of our faithful head that no reorganisation removes: drawing its dropout masks
    # (one value per node and message input entry of each layer, from the serial CPU generator) and
    # the D x D linear layers' forward and backward (on B x N rows, the last one on B rows: it
    # runs after the mean over nodes).
    n_masks = len(ours.backbone.layers) * BATCH * (index.num_nodes + ours.injector.num_messages) * DIM
    rows = torch.randn(BATCH, index.num_nodes, DIM, device=device)

    def linears_only() -> None:
        h = rows.detach().requires_grad_()
        *inner, last = [layer.linear for layer in ours.backbone.layers]
        for linear in inner:
            h = linear(h)
        last(h.mean(dim=1)).sum().backward()
        sync(device)

    floors = race(
        {"dropout_draw": lambda: (torch.rand(n_masks, device=device), sync(device)), "linears": linears_only},
        args.head_repeats,
    )
    original_adam = torch.optim.Adam(reference.parameters(), lr=1e-3)  # the original's optimizer
    our_adam, _ = build_optimizer(ours, TrainingOptions(), device)  # what framework.train uses
    steps = race(
        {"reference": full_step(reference, original_adam), "ours_faithful": full_step(ours, our_adam)},
        args.step_repeats,
        warmup=1,
    )
    print(json.dumps({
        "benchmark": "gssnn_step",
        "device": str(device) if device.type == "cpu" else torch.cuda.get_device_name(device),
        "threads": torch.get_num_threads(),
        "graph": {"nodes": index.num_nodes, "edges": index.num_edges},
        "batch": BATCH,
        "dim": DIM,
        "head_ms": {name: round(t["wall"], 3) for name, t in heads.items()},
        "step_ms": {name: round(t["wall"], 2) for name, t in steps.items()},
        "head_floor_ms": {name: round(t["wall"], 3) for name, t in floors.items()},
        "head_speedup": round(heads["reference"]["wall"] / heads["ours_faithful"]["wall"], 2),
        "step_speedup": round(steps["reference"]["wall"] / steps["ours_faithful"]["wall"], 2),
        "head_cpu_ms": {name: round(t["cpu"], 3) for name, t in heads.items()},
        "step_cpu_ms": {name: round(t["cpu"], 2) for name, t in steps.items()},
        "goals": {"head_speedup": 20, "step_speedup": 1.5},
        "original_ms": {"head": 44, "step": 552},  # the original code on the development machine (issue 5)
        "load_avg_1min": round(os.getloadavg()[0], 2),
        "outputs_agree": agree,
    }))


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


if __name__ == "__main__":
    main()
