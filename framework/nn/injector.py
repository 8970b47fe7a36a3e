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

import copy
from typing import ClassVar

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
        element_buffers: names of the buffers with one row per element (the
            nodes, then the edges), which :meth:`padded` extends; ``None``
            (the default for subclasses that do not say) means the injector
            cannot be padded.
    """

    element_buffers: ClassVar[tuple[str, ...] | None] = None

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

    @property
    def has_ghosts(self) -> bool:
        """Whether this is a :meth:`padded` copy, whose readout must leave ghost nodes out."""
        return "node_mask" in self._buffers

    def node_mean(self, node_states: torch.Tensor) -> torch.Tensor:
        """The readout ``[B, N, D] -> [B, D]``: the mean over the graph's nodes (ghosts of :meth:`padded` excluded)."""
        if "node_mask" not in self._buffers:
            return node_states.mean(dim=1)
        return (node_states * self.node_mask[:, None]).sum(dim=1) / self.node_count

    def edge_rows(self) -> int:
        """Rows of the element buffers after the node rows (0 without element buffers)."""
        names = self.element_buffers or ()
        return int(self._buffers[names[0]].shape[0]) - self.num_nodes if names else 0

    def padded(self, num_nodes: int, num_edge_rows: int, num_messages: int) -> Injector:
        """A copy on the same graph padded with ghosts: ``num_nodes`` node rows, ``num_messages`` messages.

        Population training stacks the buffers of many candidates, so their
        shapes must agree. Ghost nodes (after the real ones) and ghost edge
        rows copy row 0 of every element buffer; ghost messages run from the
        first ghost node to itself, so no real node receives anything new;
        :meth:`node_mean` leaves the ghost nodes out. The real nodes' features
        and states are then those of this injector. Parameters are shared.

        Raises ValueError if the injector cannot be padded (``element_buffers``
        is None), if a size is smaller than this graph's, or if ghost messages
        are asked for without a ghost node to carry them.
        """
        real_nodes, real_messages = self.num_nodes, self.num_messages
        real_edge_rows = self.edge_rows()
        if self.element_buffers is None:
            raise ValueError(f"{type(self).__name__} does not name its element buffers; it cannot be padded")
        if num_nodes < real_nodes or num_messages < real_messages or num_edge_rows < real_edge_rows:
            raise ValueError("padded sizes must not be smaller than the graph's")
        if num_messages > real_messages and num_nodes == real_nodes:
            raise ValueError("ghost messages need a ghost node")
        ghost_nodes, ghost_rows = num_nodes - real_nodes, num_edge_rows - real_edge_rows
        ghost_messages = num_messages - real_messages
        new = copy.copy(self)
        new._parameters, new._buffers, new._modules = dict(self._parameters), dict(self._buffers), dict(self._modules)
        for name in self.element_buffers:
            rows = self._buffers[name]
            first = rows[:1].expand(1 + max(ghost_nodes, ghost_rows), *rows.shape[1:])
            new._buffers[name] = torch.cat(
                [rows[:real_nodes], first[:ghost_nodes], rows[real_nodes:], first[:ghost_rows]]
            )
        ghost_edges = self.edge_index.new_full((2, ghost_messages), real_nodes)
        new._buffers["edge_index"] = torch.cat([self.edge_index, ghost_edges], dim=1)
        new._buffers["element_of_message"] = torch.cat(
            [self.element_of_message + ghost_nodes, self.element_of_message.new_zeros(ghost_messages)]
        )
        mask = torch.zeros(num_nodes, dtype=torch.get_default_dtype(), device=self.edge_index.device)
        mask[:real_nodes] = 1.0
        new._buffers["node_mask"] = mask
        new._buffers["node_count"] = torch.tensor(float(real_nodes), dtype=mask.dtype, device=mask.device)
        new._non_persistent_buffers_set = self._non_persistent_buffers_set | {"node_mask", "node_count"}
        new.num_nodes = num_nodes
        return new

    def extra_repr(self) -> str:
        return f"dim={self.dim}, nodes={self.num_nodes}, messages={self.num_messages}"
