"""Feature injectors: an encoder vector ``x [B, D]`` becomes graph features.

Contract of every injector (decided here, relied on by :class:`GSSNN`):

* ``forward(x [B, D]) -> (node_feats [B, N, D], edge_feats [B, M, D])`` where
  ``edge_feats`` has one row per **directed message**, already expanded;
* the injector owns the message index it speaks about: ``injector.edge_index``
  (a buffer ``[2, M]``, node positions) is what the backbone receives. For
  ordinary injectors it is :attr:`GraphIndex.edge_index` (``M = 2E``); the
  ``gssnn`` injector's ``faithful`` mode uses ``M = 4E`` (the original
  implementation's doubled edges, ``copies = 2``).

The helpers below implement the two building blocks of the G-SSNN paper's
injection (gssnn.md): the sin-cos positional code and the chunk-and-tile
choice of encoder entries, as precomputed index tensors.
"""

from __future__ import annotations

import torch
from torch import nn

from framework.errors import UsageError
from framework.nn.graph_index import GraphIndex


def check_sincos_dim(dim: int) -> None:
    """The sin-cos code needs ``D`` divisible by 4 and at least 8 (``w`` divides by ``D/4 - 1``)."""
    if dim % 4 != 0 or dim < 8:
        raise UsageError(f"the sin-cos positional code needs a feature size divisible by 4 and >= 8, got {dim}")


def sincos_code(
    a: torch.Tensor, b: torch.Tensor, dim: int, temperature: float = 10000.0, dtype: torch.dtype = torch.float64
) -> torch.Tensor:
    """``PE(a, b) = [sin(a w), cos(a w), sin(b w), cos(b w)]`` per row: ``[K] x [K] -> [K, dim]``.

    ``w_i = 1 / temperature^(i / (dim/4 - 1))`` for ``i = 0 .. dim/4 - 1``.
    Computed and returned in ``dtype``, on ``a``'s device. In float32 this is,
    operation for operation, what the original G-SSNN code and vit-pytorch's
    ``posemb_sincos_2d`` computed under torch's default float32, so it gives
    their values bit for bit.
    """
    check_sincos_dim(dim)
    quarter = dim // 4
    omega = 1.0 / temperature ** (torch.arange(quarter, dtype=dtype, device=a.device) / (quarter - 1))
    pa = a.to(dtype)[:, None] * omega[None, :]
    pb = b.to(dtype)[:, None] * omega[None, :]
    return torch.cat([pa.sin(), pa.cos(), pb.sin(), pb.cos()], dim=1)


def chunk_gather_index(ids: torch.Tensor, n_elt: int, dim: int) -> torch.Tensor:
    """Indices into ``x``'s ``D`` entries giving element ``ids[k]`` its tiled chunk: ``[K, dim]``.

    ``x`` is split into ``n_elt`` contiguous chunks: ``inc = dim // n_elt``;
    chunk 0 has ``inc + dim % n_elt`` entries, every other chunk ``inc``.
    Element ``j`` receives chunk ``j`` repeated to length ``dim``, i.e. entry
    ``d`` is ``x[start_j + d mod len_j]``.

    Graphs with more elements than entries (``n_elt > dim``, where the
    original implementation crashed) wrap around: chunk ``j`` is the single
    entry ``x[j mod dim]``, so element ``j`` receives that entry ``dim`` times.
    """
    d = torch.arange(dim)
    inc = dim // n_elt
    if inc == 0:
        return (ids % dim)[:, None].expand(-1, dim).clone()
    first = inc + dim % n_elt
    start = torch.where(ids == 0, 0, first + (ids - 1) * inc)
    length = torch.where(ids == 0, first, inc)
    return start[:, None] + d[None, :] % length[:, None]


def gather_chunks(x: torch.Tensor, choice: torch.Tensor) -> torch.Tensor:
    """``x[:, choice]`` for ``x [B, D]`` and ``choice [K, D]`` -> ``[B, K, D]``.

    Written as one ``index_select`` on the flattened index: its backward is
    a plain ``index_add``, about twice as fast on CPU as advanced indexing's.
    """
    return x.index_select(1, choice.flatten()).view(x.shape[0], *choice.shape)


class Injector(nn.Module):
    """Base class of feature injectors: owns the message index the backbone uses.

    Most injectors compute one feature row per graph *element* (the N nodes,
    then the E undirected edges, ``[B, N + E, D]``) and let
    :meth:`split_elements` hand each directed message its edge's row.

    Args:
        graph: the candidate's index tensors.
        dim: the encoder output size ``D`` (= the GNN width).
        copies: how many times each directed message is sent (default: 1;
            the ``faithful`` G-SSNN injector sends each twice, ``M = 4E``).

    Attributes:
        edge_index: buffer ``[2, M]``, ``graph.edge_index`` repeated ``copies``
            times -- pass it to the backbone.
        element_of_message: buffer ``[M]``, the element row (``N + edge``) of
            each message.
        num_nodes: ``N``.
    """

    def __init__(self, graph: GraphIndex, dim: int, copies: int = 1) -> None:
        super().__init__()
        self.dim, self.num_nodes = dim, graph.num_nodes
        self.register_buffer("edge_index", graph.edge_index.repeat(1, copies))
        self.register_buffer("element_of_message", graph.num_nodes + graph.edge_of_message.repeat(copies))

    @property
    def num_messages(self) -> int:
        return int(self.edge_index.shape[1])

    def split_elements(self, feats: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Element rows ``[B, N + E, D]`` -> node feats ``[B, N, D]``, message feats ``[B, M, D]``."""
        return feats[:, : self.num_nodes], feats.index_select(1, self.element_of_message)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def extra_repr(self) -> str:
        return f"dim={self.dim}, nodes={self.num_nodes}, messages={self.num_messages}"
