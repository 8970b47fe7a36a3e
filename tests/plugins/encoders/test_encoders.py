import pytest
import torch
from attrs import evolve

from framework import GraphIndex, GSSNN, UsageError
from framework.nn.testing import example_graphs
from framework_plugins.backbones.gine import GINEOptions, build_gine
from framework_plugins.encoders import register_encoders
from framework_plugins.encoders.cnn import CNNOptions, build_cnn
from framework_plugins.encoders.mlp import MLPOptions, build_mlp
from framework_plugins.encoders.pixelshuffle_vit import (
    PixelShuffleViTOptions,
    build_pixelshuffle_vit,
    convolve,
    grid_code,
    layer_norm_chw,
)
from framework_plugins.injectors.gssnn import GSSNNInjector

TINY_VIT = PixelShuffleViTOptions(unshuffle=4, width=16, conv_depth=1, depth=1, heads=2, head_dim=8, mlp_dim=32)


def count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_registered():
    assert {info.name for info in register_encoders()} == {"pixelshuffle-vit", "cnn", "mlp"}


def test_paper_parameter_counts():
    """gssnn.md: the original's 3,903,489 (baseline), 4,034,816 (encoder, out 512) and 4,823,297 (G-SSNN)."""
    baseline = build_pixelshuffle_vit(PixelShuffleViTOptions(), (1, 128, 128), 1)
    assert count(baseline) == 3_903_489
    graph = GraphIndex.from_port_graph(example_graphs()["tree9"])
    encoder = build_pixelshuffle_vit(PixelShuffleViTOptions(), (1, 128, 128), 512)
    assert count(encoder) == 4_034_816
    model = GSSNN(encoder, GSSNNInjector(graph, 512, 10), build_gine(GINEOptions(), 512), 512)
    assert count(model) == 4_823_297


def test_final_norm_is_an_option_off_by_default():
    plain = build_pixelshuffle_vit(TINY_VIT, (1, 8, 8), 3)
    normed = build_pixelshuffle_vit(evolve(TINY_VIT, final_norm=True), (1, 8, 8), 3)
    assert isinstance(plain.transformer.norm, torch.nn.Identity)
    assert isinstance(normed.transformer.norm, torch.nn.LayerNorm)
    assert count(normed) == count(plain) + 2 * TINY_VIT.width


def test_pixelshuffle_vit_shapes_and_token_grid():
    model = build_pixelshuffle_vit(TINY_VIT, (2, 16, 12), 5)
    assert model(torch.randn(3, 2, 16, 12)).shape == (3, 5)
    assert grid_code(4, 3, 16).shape == (4 * 3, 16)


@pytest.mark.parametrize("layout", [torch.contiguous_format, torch.channels_last])
def test_layer_norm_chw_is_layer_norm_over_chw(layout):
    norm = torch.nn.LayerNorm([6, 3, 5])
    torch.nn.init.normal_(norm.weight), torch.nn.init.normal_(norm.bias)
    x = torch.randn(4, 6, 3, 5, dtype=torch.float64).to(memory_format=layout).requires_grad_()
    norm = norm.double()
    ours = layer_norm_chw(x, norm)
    torch.testing.assert_close(ours, norm(x))
    grads = torch.autograd.grad(ours.square().sum(), [x, norm.weight, norm.bias])
    expected = torch.autograd.grad(norm(x).square().sum(), [x, norm.weight, norm.bias])
    for got, want in zip(grads, expected):
        torch.testing.assert_close(got, want)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("kernel", [1, 3])
def test_convolve_under_vmap_is_each_members_convolution(kernel, dtype):
    """Population training runs a member's convolutions batched: the same values and gradients as
    its own ``conv``; on CPU in float32 a 3 x 3 one is one oneDNN call for all members, forward and
    backward (the fastest there), anything else batched products (no convolution call at all)."""
    members, conv = 4, torch.nn.Conv2d(6, 5, kernel, padding=kernel // 2, bias=False).to(dtype)
    weights = torch.randn(members, *conv.weight.shape, dtype=dtype, requires_grad=True)
    x = torch.randn(members, 2, 6, 7, 7, dtype=dtype, requires_grad=True)

    wrapped = _Convolve(conv)

    def member(weight, image):
        return torch.func.functional_call(wrapped, {"conv.weight": weight}, (image,))

    with torch.profiler.profile() as profiled:
        batched = torch.func.vmap(member)(weights, x)
        batched_grads = torch.autograd.grad(batched.square().sum(), [weights, x])
    calls = sum(e.name in ("aten::mkldnn_convolution", "aten::convolution_backward") for e in profiled.events())
    expected = torch.stack([member(w, i) for w, i in zip(weights, x)])
    expected_grads = torch.autograd.grad(expected.square().sum(), [weights, x])
    tolerance = {"atol": 1e-4, "rtol": 1e-4} if dtype == torch.float32 else {}
    torch.testing.assert_close(batched, expected, **tolerance)
    for got, want in zip(batched_grads, expected_grads):
        torch.testing.assert_close(got, want, **tolerance)
    assert calls == (2 if kernel == 3 and dtype == torch.float32 else 0)  # one forward, one backward


class _Convolve(torch.nn.Module):
    def __init__(self, conv: torch.nn.Conv2d) -> None:
        super().__init__()
        self.conv = conv

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return convolve(self.conv, x)


def test_pixelshuffle_vit_runs_channels_last_with_plain_parameter_shapes():
    """The conv weights live channels-last (faster on CPU); names, shapes and values load as usual."""
    model = build_pixelshuffle_vit(TINY_VIT, (1, 8, 8), 3)
    assert model.convs[0].conv3.weight.is_contiguous(memory_format=torch.channels_last)
    plain = {name: t.contiguous() for name, t in model.state_dict().items()}
    copy = build_pixelshuffle_vit(TINY_VIT, (1, 8, 8), 3)
    copy.load_state_dict(plain)
    assert copy.convs[0].conv3.weight.is_contiguous(memory_format=torch.channels_last)
    x = torch.randn(2, 1, 8, 8)
    torch.testing.assert_close(copy(x), model(x))


def test_grid_code_is_column_then_row():
    code = grid_code(2, 3, 8)  # token (r, c) at row-major index 3 r + c
    assert torch.allclose(code[4, :2], torch.sin(torch.tensor([1.0, 1.0 / 10000])))  # column 1
    assert torch.allclose(code[4, 4:6], torch.sin(torch.tensor([1.0, 1.0 / 10000])))  # row 1
    assert torch.equal(code[2, 4:6], torch.zeros(2))  # row 0


def test_pixelshuffle_vit_rejects_sizes_the_factor_does_not_divide():
    with pytest.raises(UsageError, match="unshuffle = 16 does not divide the input size 100 x 100"):
        build_pixelshuffle_vit(PixelShuffleViTOptions(), (1, 100, 100), 1)
    with pytest.raises(UsageError, match="image inputs"):
        build_pixelshuffle_vit(PixelShuffleViTOptions(), (64,), 1)
    with pytest.raises(ValueError, match="multiple of 4"):
        PixelShuffleViTOptions(width=30)


def test_cnn_shapes():
    assert build_cnn(CNNOptions(channels=[4, 8]), (3, 20, 20), 7)(torch.randn(2, 3, 20, 20)).shape == (2, 7)
    assert build_cnn(CNNOptions(channels=[4]), (9, 9), 2)(torch.randn(2, 9, 9)).shape == (2, 2)
    with pytest.raises(UsageError, match="image inputs"):
        build_cnn(CNNOptions(), (10,), 1)
    with pytest.raises(ValueError, match="at least one"):
        CNNOptions(channels=())


def test_mlp_shapes_and_options():
    assert build_mlp(MLPOptions(hidden=[8]), (2, 3), 4)(torch.randn(5, 2, 3)).shape == (5, 4)
    linear = build_mlp(MLPOptions(hidden=()), (6,), 1)
    assert count(linear) == 7
    with pytest.raises(ValueError):
        MLPOptions(hidden=(0,))


@pytest.mark.parametrize(
    "build, shape",
    [
        (lambda: build_pixelshuffle_vit(TINY_VIT, (1, 8, 8), 3), (1, 8, 8)),
        (lambda: build_cnn(CNNOptions(channels=[4]), (1, 8, 8), 3), (1, 8, 8)),
        (lambda: build_mlp(MLPOptions(hidden=[8]), (1, 8, 8), 3), (1, 8, 8)),
    ],
)
def test_samples_are_independent(build, shape):
    model = build().eval()
    x = torch.randn(4, *shape)
    torch.testing.assert_close(model(x)[1:2], model(x[1:2]), atol=1e-5, rtol=1e-5)
