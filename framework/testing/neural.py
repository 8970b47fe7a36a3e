"""Contract suites of the neural plugin kinds: injector, backbone, encoder, probe (imports torch).

Each ``check_<kind>(factory, options, ...)`` builds the plugin as the engine
does and checks, over the port graphs :func:`framework.testing.port_graphs`
generates: output shapes, finite values, batch independence, gradients
reaching every parameter, determinism under a seed, and for backbones
invariance under relabelling the nodes. A probe is run on small G-SSNNs built
over those graphs. A failure is a :class:`~framework.testing.ContractError`
saying what to fix.
"""

from __future__ import annotations

import json
import math
import random
from typing import Any, Callable, Mapping

import attrs
import torch
from hypothesis import given
from hypothesis import strategies as st

from framework.nn import Backbone, GraphIndex, Injector
from framework.testing import port_graphs
from framework.testing.suites import ContractError, examples, fail_unless

_SEEDS = st.integers(0, 2**31 - 1)


def _finite(kind: str, what: str, value: torch.Tensor) -> None:
    fail_unless(bool(torch.isfinite(value).all()), kind, f"{what} holds NaN or infinity",
                "check divisions, logarithms and normalisations (eval mode included)")


def _gradients_reach(kind: str, module: torch.nn.Module, output: torch.Tensor) -> None:
    module.zero_grad()
    if output.requires_grad:  # else nothing reaches any parameter (a detached output)
        output.square().sum().backward()
    missed = [name for name, p in module.named_parameters() if p.requires_grad and p.grad is None]
    fail_unless(not missed, kind, f"no gradient reaches {', '.join(missed)}",
                "use every parameter in forward (or set requires_grad=False on the unused ones)")


def check_backbone(factory: Callable[..., Any], options: Any, dim: int = 8, max_nodes: int = 10,
                   batch: int = 3, count: int = 15) -> None:
    """A backbone maps node states ``[B, N, D]`` to ``[B, N, D]``, equivariantly in the node order.

    A :class:`~framework.Backbone` subclass's ``pooled`` (the readout the model calls) is checked
    too: ``[B, D]``, finite, invariant under relabelling the nodes, sample by sample, gradients
    reaching every parameter.
    """

    @examples(count)
    @given(port_graphs(max_nodes=max_nodes), _SEEDS)
    def holds(graph: Any, seed: int) -> None:
        torch.manual_seed(seed)
        model = factory(options, dim).double().eval()
        index = GraphIndex.from_port_graph(graph)
        gen = torch.Generator().manual_seed(seed)
        x = torch.randn(batch, index.num_nodes, dim, generator=gen, dtype=torch.float64)
        e = torch.randn(batch, index.edge_index.shape[1], dim, generator=gen, dtype=torch.float64)
        out = model(x, index.edge_index, e)
        fail_unless(isinstance(out, torch.Tensor) and out.shape == x.shape, "backbone",
                    f"forward returned {tuple(getattr(out, 'shape', ()))} for node states {tuple(x.shape)} "
                    f"({index.num_nodes} nodes)", "return one state per node: the shape of node_feats")
        _finite("backbone", "the output", out)
        perm = torch.randperm(index.num_nodes, generator=gen)
        relabelled = torch.argsort(perm)[index.edge_index]
        order = torch.randperm(index.edge_index.shape[1], generator=gen)
        moved = model(x[:, perm], relabelled[:, order], e[:, order])
        fail_unless(torch.allclose(moved, out[:, perm], atol=1e-6), "backbone",
                    "relabelling the nodes changed the output beyond the same relabelling",
                    "compute from edge_index and the features only, never from node positions")
        single = torch.cat([model(x[i:i + 1], index.edge_index, e[i:i + 1]) for i in range(batch)])
        fail_unless(torch.allclose(single, out, atol=1e-6), "backbone", "a sample's output depends on the batch",
                    "do not mix samples (no batch statistics in eval mode)")
        torch.manual_seed(seed)
        twin = factory(options, dim).double().eval()
        fail_unless(torch.equal(twin(x, index.edge_index, e), out), "backbone",
                    "two backbones built under the same seed differ", "initialise from torch's global generator")
        _gradients_reach("backbone", model, model(x, index.edge_index, e))
        if isinstance(model, Backbone):  # the model reads out through pooled, never through forward
            _check_pooled(model, x, index.edge_index, e, (x[:, perm], relabelled[:, order], e[:, order]))

    holds()


def _check_pooled(model: Backbone, x: torch.Tensor, edge_index: torch.Tensor, e: torch.Tensor,
                  relabelled: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> None:
    """``pooled``'s contract: one finite ``[D]`` state per sample, independent of node labels and batch."""
    pooled = model.pooled(x, edge_index, e)
    expected = (x.shape[0], x.shape[2])
    fail_unless(isinstance(pooled, torch.Tensor) and tuple(pooled.shape) == expected, "backbone",
                f"pooled returned {tuple(getattr(pooled, 'shape', ())) or type(pooled).__name__} for node states "
                f"{tuple(x.shape)}, expected {expected} ([batch, dim])",
                "reduce over the node axis: return one state per sample (e.g. self(...).sum(dim=1))")
    _finite("backbone", "pooled", pooled)
    fail_unless(torch.allclose(model.pooled(*relabelled), pooled, atol=1e-6), "backbone",
                "relabelling the nodes changed pooled", "pool with a symmetric reduction (sum, mean, max) over nodes")
    single = torch.cat([model.pooled(x[i:i + 1], edge_index, e[i:i + 1]) for i in range(x.shape[0])])
    fail_unless(torch.allclose(single, pooled, atol=1e-6), "backbone", "a sample's pooled state depends on the batch",
                "reduce over nodes (dim=1) only, never over the batch")
    _gradients_reach("backbone", model, model.pooled(x, edge_index, e))


def check_injector(factory: Callable[..., Any], options: Any, dim: int = 8, max_nodes: int = 10,
                   batch: int = 3, count: int = 15) -> None:
    """An injector maps ``x[B, D]`` to node features ``[B, N, D]`` and message features ``[B, M, D]``,
    ``M`` the columns of its ``edge_index`` (the graph's messages, each ``copies`` times)."""

    @examples(count)
    @given(port_graphs(max_nodes=max_nodes), _SEEDS)
    def holds(graph: Any, seed: int) -> None:
        index = GraphIndex.from_port_graph(graph)
        torch.manual_seed(seed)
        injector = factory(options, index, dim, graph.max_conn).double()
        x = torch.randn(batch, dim, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
        result = injector(x)
        fail_unless(isinstance(result, tuple) and len(result) == 2, "injector",
                    f"forward returned {type(result).__name__}", "return (node_feats, message_feats)")
        nodes, messages = result
        edge_index = getattr(injector, "edge_index", None)
        fail_unless(isinstance(edge_index, torch.Tensor) and edge_index.shape[0] == 2, "injector",
                    f"edge_index is {edge_index!r:.60}", "subclass framework.Injector (it owns edge_index)")
        fail_unless(bool((edge_index < index.num_nodes).all()), "injector",
                    "edge_index names nodes beyond the graph", "build it from graph.edge_index")
        expected_nodes = (batch, index.num_nodes, dim)
        fail_unless(tuple(nodes.shape) == expected_nodes, "injector",
                    f"node features have shape {tuple(nodes.shape)} for a {index.num_nodes}-node graph, "
                    f"expected {expected_nodes}", "return one row per node of the graph")
        expected_messages = (batch, edge_index.shape[1], dim)
        fail_unless(tuple(messages.shape) == expected_messages, "injector",
                    f"message features have shape {tuple(messages.shape)}, expected {expected_messages} "
                    f"(one per column of edge_index)", "return one row per directed message")
        _finite("injector", "node features", nodes)
        _finite("injector", "message features", messages)
        for i in range(batch):
            one_nodes, one_messages = injector(x[i:i + 1])
            fail_unless(torch.allclose(one_nodes, nodes[i:i + 1]) and torch.allclose(one_messages, messages[i:i + 1]),
                        "injector", "a sample's features depend on the batch", "do not mix samples")
        torch.manual_seed(seed)
        twin = factory(options, index, dim, graph.max_conn).double()
        fail_unless(torch.equal(twin(x)[0], nodes), "injector", "two injectors built under the same seed differ",
                    "initialise from torch's global generator")
        if any(p.requires_grad for p in injector.parameters()):
            _gradients_reach("injector", injector, torch.cat(injector(x), dim=1))

    holds()


def check_encoder(factory: Callable[..., Any], options: Any, input_shape: tuple[int, ...] = (1, 16, 16),
                  out_dim: int = 8, count: int = 5) -> None:
    """An encoder maps ``[B, *input_shape]`` to ``[B, out_dim]``, sample by sample."""

    @examples(count)
    @given(st.integers(1, 4), _SEEDS)
    def holds(batch: int, seed: int) -> None:
        torch.manual_seed(seed)
        encoder = factory(options, input_shape, out_dim).double().eval()
        x = torch.rand(batch, *input_shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
        out = encoder(x)
        fail_unless(isinstance(out, torch.Tensor) and tuple(out.shape) == (batch, out_dim), "encoder",
                    f"forward returned {tuple(getattr(out, 'shape', ()))} for inputs {tuple(x.shape)}, "
                    f"expected {(batch, out_dim)}", "return [B, out_dim]")
        _finite("encoder", "the output", out)
        single = torch.cat([encoder(x[i:i + 1]) for i in range(batch)])
        fail_unless(torch.allclose(single, out, atol=1e-6), "encoder", "a sample's output depends on the batch",
                    "do not mix samples in eval mode")
        _gradients_reach("encoder", encoder, encoder(x))

    holds()


def check_probe(factory: Callable[..., Any], options: Any, method: str | None = None,
                task: Mapping[str, Any] | None = None, cache_dir: Any = None, dim: int = 8, max_nodes: int = 6,
                samples: int = 24, count: int = 5) -> None:
    """A probe: ``run(subject)`` on small G-SSNNs (random weights, over :func:`port_graphs`) returns a
    :class:`~framework.ProbeReport` of the subject's candidate and split whose accuracy and loss are
    the intact network's, whose parts are ranked (:func:`framework.rank`), finite, with intervals
    around their means and elements of the graph, and whose ``details`` are JSON data; the same
    report under the subject's seed, whatever torch's global generator holds; the network, its
    mode and gradients, and the split left as they were. On a baseline network (``graph`` None)
    it returns a report or raises :class:`framework.UsageError`.

    ``method``: the name the probe is registered under (``report.method`` must be it). The
    split is random images, unless ``task`` (a ``[task]`` table, ``{"plugin": "synthetic", ...}``,
    with ``cache_dir``) gives it and :meth:`~framework.ProbeSubject.load_task` works, as a probe
    that reads a second task needs.
    """
    from framework.errors import UsageError
    from framework.plugins import build_plugin, build_registry

    probe = factory(options)
    registry = data = None
    if task is not None:
        registry = build_registry()
        table = dict(task)
        data = build_plugin(registry, "task", table.pop("plugin"), table, path="task").load(cache_dir, 0)

    def subject(graph: Any, seed: int) -> Any:
        from framework import ProbeSubject, Split

        gen = torch.Generator().manual_seed(seed)
        if data is None:
            x = torch.rand(samples, 1, 4, 4, generator=gen)
            split = Split(x, (x.flatten(1).mean(1) > 0.5).float())
        else:
            split = data.select
        torch.manual_seed(seed)
        module = _probe_network(graph, tuple(split.x.shape[1:]), dim).eval()
        if graph is None:
            return ProbeSubject(module, f"baseline-{seed}", split, "select", None, seed=seed)
        rng = random.Random(seed)  # which program node built each element (the domain's provenance)
        productions = tuple(f"{i}: p{i}" for i in range(rng.randint(1, 3)))
        provenance = {element: rng.randrange(len(productions)) for element in range(graph.next_id)}
        return ProbeSubject(module, f"c{seed}", split, "select", graph, productions, provenance, registry,
                            cache_dir, dict(task or {}), 0, seed)

    @examples(count)
    @given(port_graphs(max_nodes=max_nodes), _SEEDS)
    def holds(graph: Any, seed: int) -> None:
        target = subject(graph, seed)
        report = _probed(probe, target)
        _check_report(report, target, method)
        torch.manual_seed(seed + 1)  # a probe draws from subject.seed, not from torch's global generator
        fail_unless(_json(_probed(probe, target)) == _json(report), "probe",
                    "two runs on the same subject gave different reports",
                    "draw every random choice from subject.seed (torch.Generator().manual_seed(subject.seed))")

    holds()
    baseline = subject(None, 0)
    try:
        report = _probed(probe, baseline)
    except UsageError:
        return
    _check_report(report, baseline, method)


def _probe_network(graph: Any, input_shape: tuple[int, ...], dim: int) -> torch.nn.Module:
    """A small G-SSNN over ``graph`` (its encoder alone, one logit, for None), random weights."""
    from framework.nn import GraphIndex, GSSNN

    if graph is None:
        return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(math.prod(input_shape), 1))
    encoder = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(math.prod(input_shape), dim))
    index = GraphIndex.from_port_graph(graph)
    return GSSNN(encoder, _ScaledInjector(index, dim), _SumBackbone(dim, depth=2, act="relu"), dim)


class _ScaledInjector(Injector):
    """Per element: the encoder output scaled by a learned vector plus a learned positional code."""

    def __init__(self, graph: GraphIndex, dim: int) -> None:
        super().__init__(graph, dim)
        elements = graph.num_nodes + len(graph.edge_ids)
        self.scale = torch.nn.Parameter(torch.randn(elements, dim))
        self.code = torch.nn.Parameter(torch.randn(elements, dim))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.split_elements(x[:, None, :] * self.scale + self.code)


class _SumLayer(torch.nn.Module):
    """``h_i' = W (h_i + sum over messages j -> i of (h_j + e_ji))``."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor, edge_attr: torch.Tensor | None = None) -> torch.Tensor:
        source, target = edge_index
        messages = x[:, source] if edge_attr is None else x[:, source] + edge_attr
        return self.linear(x.index_add(1, target, messages))


class _SumBackbone(Backbone):
    supports_edge_feats = True

    def make_layer(self, dim: int) -> torch.nn.Module:
        return _SumLayer(dim)


def _probed(probe: Any, subject: Any) -> Any:
    """``probe.run(subject)``, checked to leave the network and the split as they were."""
    module = subject.module
    weights = {name: value.clone() for name, value in module.state_dict().items()}
    modes = [m.training for m in module.modules()]
    flags = [(p.requires_grad, None if p.grad is None else p.grad.clone()) for p in module.parameters()]
    x, y = subject.split.x.clone(), subject.split.y.clone()
    report = probe.run(subject)
    after = module.state_dict()
    changed = [name for name, value in weights.items() if name not in after or not torch.equal(after[name], value)]
    fix = "probe a copy (copy.deepcopy(subject.module)) or use torch.func.functional_call with your own tensors"
    fail_unless(not changed, "probe", f"run changed the network's {', '.join(changed)}", fix)
    fail_unless([m.training for m in module.modules()] == modes, "probe",
                "run left the network out of eval mode", "restore module.eval() (or probe a copy)")
    now = [(p.requires_grad, p.grad) for p in module.parameters()]
    fail_unless(all(a == b and (g is None) == (h is None) and (g is None or torch.equal(g, h))
                    for (a, g), (b, h) in zip(flags, now)), "probe",
                "run changed the network's gradients or requires_grad flags",
                "differentiate with torch.autograd.grad(..., inputs) instead of backward(), or probe a copy")
    fail_unless(torch.equal(subject.split.x, x) and torch.equal(subject.split.y, y), "probe",
                "run changed the split's samples", "clone the samples before changing them")
    return report


def _json(report: Any) -> str:
    return json.dumps(attrs.asdict(report), sort_keys=True)


def _check_report(report: Any, subject: Any, method: str | None) -> None:
    from framework import PartScore, ProbeReport, per_sample, rank

    fail_unless(isinstance(report, ProbeReport), "probe", f"run returned {type(report).__name__}",
                "return framework.ProbeReport(method, subject.candidate, subject.split_name, accuracy, loss, parts)")
    fail_unless(isinstance(report.method, str) and report.method and report.method == (method or report.method),
                "probe", f"the report's method is {report.method!r}" + (f", not {method!r}" if method else ""),
                "set method to the name the probe is registered under (probes/<id>/<method>.json)")
    fail_unless((report.candidate, report.split) == (subject.candidate, subject.split_name), "probe",
                f"the report is of {report.candidate!r} on {report.split!r}, the subject was "
                f"{subject.candidate!r} on {subject.split_name!r}", "copy subject.candidate and subject.split_name")
    with torch.no_grad():
        correct, loss = per_sample(subject.module(subject.split.x).float().reshape(-1), subject.split.y)
    accuracy, loss = float(correct.mean()), float(loss.mean())
    fail_unless(math.isclose(report.accuracy, accuracy, abs_tol=1e-6)
                and math.isclose(report.loss, loss, rel_tol=1e-4, abs_tol=1e-6), "probe",
                f"the report's accuracy {report.accuracy!r} and loss {report.loss!r} are not the intact network's "
                f"({accuracy:.6f}, {loss:.6f}) on the split", "measure subject.module on subject.split (per_sample)")
    parts = report.parts
    fail_unless(isinstance(parts, (tuple, list)) and len(parts) > 0 and all(isinstance(p, PartScore) for p in parts),
                "probe", f"parts is {parts!r:.80}", "return the parts knocked out as framework.PartScore values "
                "(framework.part_score gives one)")
    nodes = set(subject.graph.node_ids) if subject.graph is not None else set()
    edges = {e[0] for e in subject.graph.undirected_edges} if subject.graph is not None else set()
    for part in parts:
        figures = (part.accuracy, part.accuracy_drop, part.accuracy_drop_low, part.accuracy_drop_high,
                   part.loss_increase, part.loss_increase_low, part.loss_increase_high)
        fail_unless(all(isinstance(v, float) and math.isfinite(v) for v in figures), "probe",
                    f"part {part.part!r} has figures {figures}", "give finite floats (per_sample, part_score)")
        fail_unless(0.0 <= part.accuracy <= 1.0 and -1.0 <= part.accuracy_drop <= 1.0, "probe",
                    f"part {part.part!r}: accuracy {part.accuracy}, drop {part.accuracy_drop}",
                    "accuracies are fractions of the split's samples")
        fail_unless(part.accuracy_drop_low <= part.accuracy_drop + 1e-9 <= part.accuracy_drop_high + 2e-9
                    and part.loss_increase_low <= part.loss_increase + 1e-9 <= part.loss_increase_high + 2e-9,
                    "probe", f"part {part.part!r}: an interval does not hold its mean",
                    "give (low, high) of the mean's bootstrap interval (framework.part_score)")
        allowed = {"node": nodes, "edge": edges}.get(part.kind, nodes | edges)
        fail_unless(isinstance(part.elements, tuple) and set(part.elements) <= allowed, "probe",
                    f"part {part.part!r} ({part.kind}) covers elements {part.elements!r} that are not "
                    f"{'its kind' if part.kind in ('node', 'edge') else 'elements'} of the graph",
                    "name the graph's node and edge ids (subject.graph.node_ids, undirected_edges), as a tuple")
    fail_unless(tuple(parts) == rank(parts), "probe", "the parts are not in rank order", "return rank(parts)")
    try:
        _json(report)
    except (TypeError, ValueError) as exc:
        raise ContractError(f"probe contract: the report is not JSON data ({exc}); give details as numbers, "
                            "strings, lists and dicts (float(tensor), tensor.tolist())") from None


__all__ = ["ContractError", "check_backbone", "check_encoder", "check_injector", "check_probe"]
