"""Batched message-passing primitives over dense ``[B, N, D]`` node tensors.

A batch of B samples shares one graph, so a message's source and destination
are the same for every sample: gathering and scattering run along dimension 1
with one index vector and no per-sample loop.
"""

from __future__ import annotations

import contextlib
import math
from contextvars import ContextVar
from typing import Callable, Iterator

import torch

#: ``source(shapes, like) -> uniforms``: where :func:`dropout_masks` takes its uniform numbers
#: from: a fresh flat tensor of as many values as the masks of ``shapes`` hold, which the
#: masks overwrite (``torch.rand`` when unset).
UniformSource = Callable[[list[torch.Size], torch.Tensor], torch.Tensor]

_uniform_source: ContextVar[UniformSource | None] = ContextVar("uniform_source", default=None)


@contextlib.contextmanager
def uniform_source(source: UniformSource) -> Iterator[None]:
    """Within the block, dropout masks draw their uniform numbers from ``source`` instead of ``torch.rand``.

    Population training feeds each member the numbers of its own generator
    this way, under ``vmap``, so a member's masks do not depend on who else
    trains beside it.
    """
    token = _uniform_source.set(source)
    try:
        yield
    finally:
        _uniform_source.reset(token)


def gather_nodes(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``x[:, index]``: node rows ``[B, N, D]`` picked per message -> ``[B, M, D]``."""
    return x.index_select(1, index)


def scatter_sum(messages: torch.Tensor, index: torch.Tensor, num_nodes: int) -> torch.Tensor:
    """Sum messages ``[B, M, D]`` into their destination nodes -> ``[B, num_nodes, D]``.

    Nodes that receive no message get zeros.
    """
    out = messages.new_zeros(messages.shape[0], num_nodes, *messages.shape[2:])
    return out.index_add_(1, index, messages)


def scatter_mean(messages: torch.Tensor, index: torch.Tensor, num_nodes: int) -> torch.Tensor:
    """Average messages ``[B, M, D]`` per destination node; zeros where none arrive."""
    count = torch.bincount(index, minlength=num_nodes).clamp(min=1).to(messages.dtype)
    shape = (1, num_nodes) + (1,) * (messages.dim() - 2)
    return scatter_sum(messages, index, num_nodes) / count.view(shape)


def scatter_softmax(scores: torch.Tensor, index: torch.Tensor, num_nodes: int) -> torch.Tensor:
    """Softmax of ``scores [B, M, ...]`` over the messages that share a destination.

    Subtracts each group's maximum first, so large scores do not overflow.
    """
    expanded = index.view(1, -1, *([1] * (scores.dim() - 2))).expand_as(scores)
    group_max = scores.new_full((scores.shape[0], num_nodes, *scores.shape[2:]), float("-inf"))
    group_max = group_max.scatter_reduce(1, expanded, scores.detach(), reduce="amax", include_self=True)
    exp = (scores - group_max.gather(1, expanded)).exp()
    total = scatter_sum(exp, index, num_nodes).gather(1, expanded)
    return exp / total


def dropout_masks(shapes: list[torch.Size], p: float, like: torch.Tensor) -> list[torch.Tensor]:
    """Inverted-dropout masks (``0`` or ``1/(1-p)``) of ``shapes``, dtype and device of ``like``.

    All masks come from one ``torch.rand`` call split in order. On CPU that
    draws the same numbers as one call per mask (the generator advances
    element by element), and one call saves the per-call and per-op overhead
    that dominated small G-SSNN heads.
    """
    sizes = [math.prod(shape) for shape in shapes]
    source = _uniform_source.get()
    uniform = torch.rand(sum(sizes), dtype=like.dtype, device=like.device) if source is None else source(shapes, like)
    flat = (uniform >= p).to(like.dtype).mul_(1.0 / (1.0 - p))  # not ge_: vmap has no batching rule for it
    return [mask.view(shape) for mask, shape in zip(flat.split(sizes), shapes)]


def dropout(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """Inverted dropout, like ``F.dropout``, with the mask drawn by ``torch.rand``.

    Same distribution (keep with probability ``1 - p``, scale by ``1/(1-p)``);
    on CPU this is about 2x faster (forward and backward) than the
    ``bernoulli_`` behind ``F.dropout``, which made dropout the largest cost
    of a G-SSNN head.
    """
    if not training or p == 0.0:
        return x
    return x * dropout_masks([x.shape], p, x)[0]


def under_vmap(tensor: torch.Tensor) -> bool:
    """Whether ``tensor`` is one member's view of a batch under ``torch.func.vmap`` (population training).

    For the few places where the fastest code for one network cannot run
    batched (memory-format queries, per-member ``index_add_``).
    """
    return torch._C._functorch.is_batchedtensor(tensor)


def add_rows(target: torch.Tensor, index: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
    """``target[:, index[m]] += rows[:, m]`` in place, for ``target [B, N, ...]`` and ``rows [B, M, ...]``.

    ``index_add_``, except when ``index`` differs per member under ``torch.func.vmap``
    (population training): there ``index_add_`` silently runs member by member, one
    kernel each, and ``scatter_add_`` with the index expanded batches for real. Both
    add in message order (bit-identical on CPU); ``index_add_`` is about 3x faster
    on CPU, so the sequential path keeps it.
    """
    if not under_vmap(index):
        return target.index_add_(1, index, rows)
    expanded = index.view(1, -1, *([1] * (rows.dim() - 2))).expand_as(rows)
    return target.scatter_add_(1, expanded, rows)


def add_self_loops(edge_index: torch.Tensor, num_nodes: int) -> torch.Tensor:
    """``edge_index [2, M]`` followed by one ``i -> i`` message per node: ``[2, M + N]``."""
    loops = torch.arange(num_nodes, device=edge_index.device).expand(2, num_nodes)
    return torch.cat([edge_index, loops], dim=1)
