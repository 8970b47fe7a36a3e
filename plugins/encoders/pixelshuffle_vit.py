"""The G-SSNN paper's image encoder: pixel-unshuffle stem, residual convs, a small ViT.

As described in gssnn.md (arXiv 2303.03340): a ``C x H x W`` image becomes
``(H/f) x (W/f)`` tokens by PixelUnshuffle(f) and a 1x1 convolution, passes
residual conv blocks, gets a 2-D sin-cos position code, runs through a
pre-norm transformer and is averaged over tokens into ``Linear(width, out)``.
With the default options this is the function of the original code
(``PixelShuffle_ViT_Encoder`` on vit-pytorch 0.38.1): no LayerNorm after the
last transformer block, and the position code recomputed on every forward in
torch's default dtype. On 1 x 128 x 128 images it has the original's
3,903,489 parameters for ``out = 1`` (the baseline) and 4,034,816 for
``out = 512`` (the G-SSNN encoder).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from framework import UsageError, sincos_code, under_vmap
from framework_plugins.encoders.options import PixelShuffleViTOptions
from framework_plugins.encoders.transformer import Transformer


def check_image_shape(input_shape: tuple[int, ...], factor: int) -> tuple[int, int, int]:
    """``(C, H, W)`` of an image input whose sides ``factor`` divides, or a UsageError saying why not."""
    if len(input_shape) != 3:
        raise UsageError(f"pixelshuffle-vit needs image inputs (C, H, W), got shape {tuple(input_shape)}")
    channels, height, width = input_shape
    if height % factor or width % factor:
        raise UsageError(
            f"pixelshuffle-vit: unshuffle = {factor} does not divide the input size {height} x {width}; "
            f"choose a factor that divides both sides"
        )
    return channels, height, width


class ConvResidual(nn.Module):
    """``x + conv1x1(gelu(conv1x1(layernorm(conv3x3(x)))))``, bias-free convs, LayerNorm over ``[C, H, W]``.

    Runs in channels-last layout (the encoder converts its weights and the
    stem's output), so the encoder's tokens come out as a contiguous view; the
    LayerNorm is computed on the ``[B, H, W, C]`` view so that layout never
    has to be undone. Its parameters keep the ``[C, H, W]`` shape of
    ``nn.LayerNorm([C, H, W])``.
    """

    def __init__(self, channels: int, height: int, width: int) -> None:
        super().__init__()
        self.conv3 = nn.Conv2d(channels, channels, kernel_size=3, padding=1, bias=False)
        self.norm = nn.LayerNorm([channels, height, width])
        self.conv1a = nn.Conv2d(channels, channels, kernel_size=1, bias=False)
        self.conv1b = nn.Conv2d(channels, channels, kernel_size=1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = layer_norm_chw(convolve(self.conv3, x), self.norm)
        return x + convolve(self.conv1b, F.gelu(convolve(self.conv1a, h)))


def convolve(conv: nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
    """``conv(x)`` (stride 1, "same" padding), written for ``vmap`` where that is faster. Same function.

    ``vmap`` turns a member's convolution into one grouped convolution of the
    population (a group per member). On CPU in float32 or bfloat16 oneDNN runs
    that as one kernel, the fastest here, so it is kept for 3 x 3 kernels.
    Elsewhere, and for 1 x 1 kernels, a batched matrix product over channels
    is used: a 1 x 1 grouped convolution is slower than one, torch runs a
    float64 grouped convolution group by group (one call per member), and
    batched products are what a GPU runs best. The product works on the
    ``[B, H, W, C]`` view (a larger kernel unfolds its patches there) and
    returns that layout viewed as ``[B, C, H, W]``: the channels-last layout of
    the sequential path, which the LayerNorms and tokens that follow read
    without copies.
    """
    if not under_vmap(x) or (conv.kernel_size != (1, 1) and _one_grouped_kernel(x)):
        return conv(x)
    pixels = x.permute(0, 2, 3, 1)  # [B, H, W, C]
    if conv.kernel_size == (1, 1):
        out = torch.einsum("bhwc,oc->bhwo", pixels, conv.weight[:, :, 0, 0])
    else:
        (kh, kw), (ph, pw) = conv.kernel_size, conv.padding
        patches = F.pad(pixels, (0, 0, pw, pw, ph, ph)).unfold(1, kh, 1).unfold(2, kw, 1)  # [B, H, W, C, kh, kw]
        out = torch.einsum("bhwcij,ocij->bhwo", patches, conv.weight)
    if conv.bias is not None:
        out = out + conv.bias
    return out.permute(0, 3, 1, 2)


def _one_grouped_kernel(x: torch.Tensor) -> bool:
    """Whether torch runs a grouped convolution of ``x`` as one oneDNN kernel (CPU, float32 or bfloat16)."""
    return x.device.type == "cpu" and x.dtype in (torch.float32, torch.bfloat16) and torch.backends.mkldnn.is_available()


def layer_norm_chw(x: torch.Tensor, norm: nn.LayerNorm) -> torch.Tensor:
    """``norm(x)`` for ``norm = nn.LayerNorm([C, H, W])``, computed on the channels-last view of ``x``.

    The statistics run over the same ``C * H * W`` entries in another order,
    and the affine parameters are permuted alike, so the result is the same
    function; the output keeps ``x``'s (channels-last) layout without a copy.
    """
    channels_last = x.permute(0, 2, 3, 1)  # contiguous when x is channels-last
    weight, bias = norm.weight.permute(1, 2, 0), norm.bias.permute(1, 2, 0)
    return F.layer_norm(channels_last, channels_last.shape[1:], weight, bias, norm.eps).permute(0, 3, 1, 2)


def grid_code(
    height: int, width: int, dim: int, dtype: torch.dtype | None = None, device: torch.device | None = None
) -> torch.Tensor:
    """2-D sin-cos code of a ``height x width`` token grid, row-major: ``[H*W, dim]``.

    Token ``(r, c)`` gets ``[sin(c w), cos(c w), sin(r w), cos(r w)]``,
    computed in ``dtype`` (default: torch's default dtype) on ``device``, as
    vit-pytorch 0.38.1's ``posemb_sincos_2d`` computes it.
    """
    rows, cols = torch.meshgrid(
        torch.arange(height, device=device), torch.arange(width, device=device), indexing="ij"
    )
    return sincos_code(cols.flatten(), rows.flatten(), dim, dtype=dtype or torch.get_default_dtype())


class PixelShuffleViT(nn.Module):
    """The paper's encoder.

    Args:
        input_shape: ``(C, H, W)``; ``H`` and ``W`` divisible by ``unshuffle``.
        out_dim: output size.
        unshuffle: PixelUnshuffle factor (paper: 16).
        width: token width (paper: 256); divisible by 4.
        conv_depth: residual conv blocks (paper: 3).
        depth, heads, head_dim, mlp_dim: transformer (paper: 2, 4, 128, 512).
        final_norm: a LayerNorm after the last transformer block (paper: none).

    Shapes:
        ``[B, C, H, W] -> [B, out_dim]``.
    """

    def __init__(
        self,
        input_shape: tuple[int, ...],
        out_dim: int,
        unshuffle: int = 16,
        width: int = 256,
        conv_depth: int = 3,
        depth: int = 2,
        heads: int = 4,
        head_dim: int = 128,
        mlp_dim: int = 512,
        final_norm: bool = False,
    ) -> None:
        super().__init__()
        channels, height, wide = check_image_shape(input_shape, unshuffle)
        grid_h, grid_w = height // unshuffle, wide // unshuffle
        self.stem = nn.Sequential(
            nn.PixelUnshuffle(unshuffle), nn.Conv2d(channels * unshuffle**2, width, kernel_size=1)
        )
        self.convs = nn.Sequential(*[ConvResidual(width, grid_h, grid_w) for _ in range(conv_depth)])
        self.transformer = Transformer(width, depth, heads, head_dim, mlp_dim, final_norm)
        self.head = nn.Linear(width, out_dim)
        self.stem[1].to(memory_format=torch.channels_last)
        self.convs.to(memory_format=torch.channels_last)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pixels = self.stem[0](x)
        if not under_vmap(pixels):  # vmap cannot query memory formats: population members run NCHW (same function)
            pixels = pixels.contiguous(memory_format=torch.channels_last)
        features = self.convs(convolve(self.stem[1], pixels))
        # Channels-last [B, C, H, W] is [B, H, W, C] in memory: the tokens below are a view, no copy.
        tokens = features.flatten(2).transpose(1, 2)  # [B, H*W, width], row-major
        # Recomputed per call in the default dtype, then cast, as the original did: its exact function.
        _, channels, rows, cols = features.shape
        position = grid_code(rows, cols, channels, device=tokens.device).to(tokens.dtype)
        tokens = self.transformer(tokens + position)
        return self.head(tokens.mean(dim=1))


def build_pixelshuffle_vit(
    options: PixelShuffleViTOptions, input_shape: tuple[int, ...], out_dim: int
) -> PixelShuffleViT:
    return PixelShuffleViT(
        tuple(input_shape),
        out_dim,
        unshuffle=options.unshuffle,
        width=options.width,
        conv_depth=options.conv_depth,
        depth=options.depth,
        heads=options.heads,
        head_dim=options.head_dim,
        mlp_dim=options.mlp_dim,
        final_norm=options.final_norm,
    )
