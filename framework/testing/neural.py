"""Contract suites of the neural plugin kinds: injector, backbone, encoder (imports torch).

Each ``check_<kind>(factory, options, ...)`` builds the plugin as the engine
does and checks, over the port graphs :func:`framework.testing.port_graphs`
generates: output shapes, finite values, batch independence, gradients
reaching every parameter, determinism under a seed, and for backbones
invariance under relabelling the nodes. A failure is a
:class:`~framework.testing.ContractError` saying what to fix.
"""

from __future__ import annotations

from typing import Any, Callable

import torch
from hypothesis import given
from hypothesis import strategies as st

from framework.nn import Backbone, GraphIndex
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


__all__ = ["ContractError", "check_backbone", "check_encoder", "check_injector"]
