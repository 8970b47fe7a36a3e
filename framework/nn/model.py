"""Model assembly: encoder -> injector -> backbone -> mean readout -> linear head.

The G-SSNN of one candidate program is this composition with the program's
graph fixed inside the injector. The paper's baseline is the encoder alone,
built with ``out_dim = 1``; both are plain ``nn.Module`` s mapping a batch of
inputs to logits ``[B, out_dim]``, which is all :func:`framework.train` needs.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from framework.errors import PluginFault
from framework.nn.backbone import Backbone
from framework.nn.injector import Injector


class GSSNN(nn.Module):
    """A graph-structured head on an encoder (Symbolic Synthesis of Neural Networks, arXiv 2303.03340).

    Args:
        encoder: ``[B, *input_shape] -> [B, dim]``.
        injector: ``[B, dim] -> ([B, N, dim], [B, M, dim])``; its
            ``edge_index`` buffer is the message index the backbone receives.
        backbone: ``(node_feats, edge_index, edge_feats) -> [B, N, dim]``.
        dim: the width ``D`` shared by encoder output, injector and backbone.
        out_dim: logits per sample (default: 1).

        num_nodes: the graph's node count ``N`` (default: ``injector.num_nodes``).

    Shapes:
        ``[B, *input_shape] -> [B, out_dim]``.

    The first forward checks every stage's output shape against the graph
    (encoder ``[B, dim]``; injector ``[B, N, dim]``, ``[B, M, dim]`` with its
    ``edge_index`` ``[2, M]`` of node positions; backbone ``[B, N, dim]``) and
    raises :class:`framework.errors.PluginFault` naming the stage that broke
    it, or that raised; later forwards skip the checks.
    """

    def __init__(self, encoder: nn.Module, injector: Injector, backbone: nn.Module, dim: int, out_dim: int = 1,
                 num_nodes: int | None = None) -> None:
        super().__init__()
        self.encoder, self.injector, self.backbone = encoder, injector, backbone
        self.head = nn.Linear(dim, out_dim)
        self.dim = dim
        self.num_nodes = injector.num_nodes if num_nodes is None else num_nodes
        self.checked = False

    def graph_head(self, z: torch.Tensor) -> torch.Tensor:
        """Everything after the encoder: ``[B, dim] -> [B, out_dim]``."""
        if not self.checked:
            return self._checked_graph_head(z)
        node_feats, edge_feats = self.injector(z)
        if isinstance(self.backbone, Backbone):  # may average before its last linear map (cheaper)
            return self.head(self.backbone.pooled(node_feats, self.injector.edge_index, edge_feats, **self._ghosts()))
        return self.head(self._node_mean(self.backbone(node_feats, self.injector.edge_index, edge_feats)))

    def _ghosts(self) -> dict[str, Any]:
        """``mean=`` for :meth:`Backbone.pooled` where a padded injector's ghost nodes must be left
        out (population training); elsewhere none, so a backbone overriding ``pooled`` without it works."""
        return {"mean": self.injector.node_mean} if getattr(self.injector, "has_ghosts", False) else {}

    def _node_mean(self, states: torch.Tensor) -> torch.Tensor:
        return self.injector.node_mean(states) if getattr(self.injector, "has_ghosts", False) else states.mean(dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.checked:
            return self.graph_head(self.encoder(x))
        z = _stage("encoder", self.encoder, x)
        _expect("encoder", "output", z, (x.shape[0], self.dim), "[batch, model.dim]")
        out = self.graph_head(z)
        self.checked = True
        return out

    def _checked_graph_head(self, z: torch.Tensor) -> torch.Tensor:
        """:meth:`graph_head` with every output checked (the first forward)."""
        batch, n = z.shape[0], self.num_nodes
        output = _stage("injector", self.injector, z)
        if not (isinstance(output, tuple) and len(output) == 2):
            raise PluginFault("injector", f"forward returned {type(output).__name__}, expected "
                                          "(node features, message features)")
        node_feats, edge_feats = output
        edge_index = self.injector.edge_index
        if not (isinstance(edge_index, torch.Tensor) and edge_index.dim() == 2 and edge_index.shape[0] == 2):
            raise PluginFault("injector", f"edge_index has shape {_shape(edge_index)}, expected (2, M)")
        m = int(edge_index.shape[1])
        if m and not (0 <= int(edge_index.min()) and int(edge_index.max()) < n):
            raise PluginFault("injector", f"edge_index holds node positions outside 0..{n - 1} "
                                          f"(the graph has {n} nodes)")
        _expect("injector", "node features", node_feats, (batch, n, self.dim), f"[batch, {n} nodes, model.dim]")
        _expect("injector", "message features", edge_feats, (batch, m, self.dim),
                f"[batch, {m} messages (edge_index columns), model.dim]")
        if isinstance(self.backbone, Backbone):
            # a look at the node states only: their dropout draws are given back, so the first
            # forward draws what every later one does (and what population training feeds it)
            with torch.random.fork_rng(devices=[z.device] if z.device.type == "cuda" else []):
                states = _stage("backbone", self.backbone, node_feats, edge_index, edge_feats)
        else:
            states = _stage("backbone", self.backbone, node_feats, edge_index, edge_feats)
        _expect("backbone", "node states", states, (batch, n, self.dim), f"[batch, {n} nodes, model.dim]")
        if isinstance(self.backbone, Backbone):  # the value every later forward computes
            pooled = _stage("backbone", self.backbone.pooled, node_feats, edge_index, edge_feats, **self._ghosts())
            _expect("backbone", "pooled states", pooled, (batch, self.dim), "[batch, model.dim]")
            return self.head(pooled)
        return self.head(self._node_mean(states))


def _stage(kind: str, function: Any, *args: Any, **kwargs: Any) -> Any:
    """``function(*args, **kwargs)``, an exception in it reported as the fault of the ``kind`` plugin."""
    try:
        return function(*args, **kwargs)
    except PluginFault:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure of a plugin's module, named
        raise PluginFault(kind, f"forward raised {type(exc).__name__}: {exc}") from exc


def _shape(value: Any) -> str:
    return str(tuple(value.shape)) if isinstance(value, torch.Tensor) else type(value).__name__


def _expect(kind: str, what: str, value: Any, shape: tuple[int | None, ...], meaning: str) -> None:
    if not isinstance(value, torch.Tensor) or tuple(value.shape) != shape:
        raise PluginFault(kind, f"{what}: shape {_shape(value)}, expected {shape} ({meaning})")
