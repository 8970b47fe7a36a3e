"""Run a ``dgl.nn.pytorch`` layer behind the framework's batched layer call.

:class:`framework.Backbone` calls each layer as
``layer(x [B, N, D], edge_index [2, M], edge_attr [B, M, D] | None)``: B
samples over one graph. DGL layers take one graph and ``[num_nodes, D]``
features, so the batch becomes B disjoint copies of the graph (a
block-diagonal graph, what ``dgl.batch`` builds): node ``n`` of sample ``b`` is
node ``b * N + n`` and message ``m`` of sample ``b`` is edge ``b * M + m``.
Optional self-loops come after all the messages, so edge features keep their
rows. The copies are built once per (graph, batch size) and cached.
"""

from __future__ import annotations

import functools
from typing import Any

import torch
from torch import nn

from framework import UsageError


@functools.lru_cache(maxsize=64)
def _block_graph(
    edges: tuple[tuple[int, ...], tuple[int, ...]], num_nodes: int, batch: int, self_loops: bool, device: str
) -> Any:
    import dgl  # importable: require_dgl() passed when the layer was built

    src, dst = (torch.tensor(row, dtype=torch.long) for row in edges)
    offsets = torch.arange(batch).mul_(num_nodes)[:, None]
    src, dst = (src[None, :] + offsets).reshape(-1), (dst[None, :] + offsets).reshape(-1)
    if self_loops:
        loops = torch.arange(batch * num_nodes)
        src, dst = torch.cat([src, loops]), torch.cat([dst, loops])
    graph = dgl.graph((src, dst), num_nodes=batch * num_nodes)
    try:
        return graph.to(device)
    except (dgl.DGLError, RuntimeError) as err:  # the PyPI build of DGL is CPU-only
        first_line = str(err).strip().splitlines()[0]
        raise UsageError(f"the installed DGL cannot run on {device}: {first_line}; use device = 'cpu'") from err


def block_graph(edge_index: torch.Tensor, num_nodes: int, batch: int, self_loops: bool = False) -> Any:
    """B disjoint copies of the graph of ``edge_index`` as one ``DGLGraph`` on its device."""
    edges = tuple(tuple(row) for row in edge_index.tolist())
    return _block_graph(edges, num_nodes, batch, self_loops, str(edge_index.device))


class DglConv(nn.Module):
    """One DGL layer ``conv(graph, feat[, edge_feat])`` as a framework backbone layer.

    Args:
        conv: the ``dgl.nn.pytorch`` layer (registered as submodule ``conv``).
        self_loops: add a self-loop to every node before calling ``conv``.

    Shapes:
        x ``[B, N, D]``, edge_index ``[2, M]``, edge_attr ``[B, M, D]`` or None
        -> ``[B, N, D_out]`` (a multi-head output ``[B * N, H, C]`` is
        flattened to ``H * C``).
    """

    def __init__(self, conv: nn.Module, self_loops: bool = False) -> None:
        super().__init__()
        self.conv, self.self_loops = conv, self_loops

    def reset_parameters(self) -> None:
        self.conv.reset_parameters()

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor, edge_attr: torch.Tensor | None = None) -> torch.Tensor:
        batch, num_nodes, dim = x.shape
        graph = block_graph(edge_index, num_nodes, batch, self_loops=self.self_loops)
        feats = x.reshape(batch * num_nodes, dim)
        if edge_attr is None:
            out = self.conv(graph, feats)
        else:
            out = self.conv(graph, feats, edge_attr.reshape(-1, edge_attr.shape[-1]))
        return out.reshape(batch, num_nodes, -1)

    def __repr__(self) -> str:
        return f"DglConv({type(self.conv).__name__})"
