"""A pre-norm transformer encoder (the "simple ViT" block of Beyer et al. 2022).

Shared by the encoders of this package; not a plugin itself.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from framework import under_vmap


class Attention(nn.Module):
    """Pre-norm multi-head self-attention without biases (``heads * head_dim`` inner width)."""

    def __init__(self, dim: int, heads: int, head_dim: int) -> None:
        super().__init__()
        self.heads = heads
        self.norm = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * heads * head_dim, bias=False)
        self.out = nn.Linear(heads * head_dim, dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, tokens, _ = x.shape
        q, k, v = self.qkv(self.norm(x)).view(batch, tokens, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        if under_vmap(q):  # SDPA has no batching rule on CPU (vmap would run it member by member)
            weights = (q @ k.transpose(-1, -2) * q.shape[-1] ** -0.5).softmax(dim=-1)
            attended = weights @ v
        else:
            attended = F.scaled_dot_product_attention(q, k, v)  # [B, heads, T, head_dim]
        return self.out(attended.transpose(1, 2).reshape(batch, tokens, -1))


class FeedForward(nn.Sequential):
    """Pre-norm MLP: LayerNorm, Linear(dim, hidden), GELU, Linear(hidden, dim)."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__(nn.LayerNorm(dim), nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))


class Transformer(nn.Module):
    """``depth`` residual (attention, feed-forward) pairs, optionally followed by a LayerNorm.

    Without ``final_norm`` this is vit-pytorch 0.38.1's simple-ViT
    ``Transformer``, which the G-SSNN paper used: it returns the residual
    stream of the last block as it is. Later vit-pytorch versions, and most
    ViTs, normalise it once more (``final_norm = True``).

    Shapes:
        ``[B, T, dim] -> [B, T, dim]``.
    """

    def __init__(self, dim: int, depth: int, heads: int, head_dim: int, mlp_dim: int, final_norm: bool = False) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(
            nn.ModuleList([Attention(dim, heads, head_dim), FeedForward(dim, mlp_dim)]) for _ in range(depth)
        )
        self.norm = nn.LayerNorm(dim) if final_norm else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for attention, feed_forward in self.blocks:
            x = x + attention(x)
            x = x + feed_forward(x)
        return self.norm(x)
