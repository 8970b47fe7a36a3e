"""Input encoders: a batch of task inputs -> vectors ``[B, out_dim]``.

Each is built by ``factory(options, input_shape, out_dim)``; the G-SSNN model
uses ``out_dim = D`` (the GNN width), the baseline ``out_dim = 1``. The
encoders (``cnn``, ``mlp``, ``pixelshuffle_vit``) import torch when first
built; their options (``options``) do not.
"""

from __future__ import annotations

from framework import LazyFactory, PluginInfo, hookimpl
from framework_plugins.encoders.options import CNNOptions, MLPOptions, PixelShuffleViTOptions


@hookimpl
def register_encoders() -> list[PluginInfo]:
    return [
        PluginInfo(
            "pixelshuffle-vit", "encoder", LazyFactory(f"{__name__}.pixelshuffle_vit:build_pixelshuffle_vit"),
            PixelShuffleViTOptions, "the paper's encoder: pixel-unshuffle stem, residual convs, small ViT",
        ),
        PluginInfo("cnn", "encoder", LazyFactory(f"{__name__}.cnn:build_cnn"), CNNOptions,
                   "strided convs, average pooling, linear head"),
        PluginInfo("mlp", "encoder", LazyFactory(f"{__name__}.mlp:build_mlp"), MLPOptions,
                   "multilayer perceptron over the flattened input"),
    ]
