"""Input encoders: a batch of task inputs -> vectors ``[B, out_dim]``.

Each is built by ``factory(options, input_shape, out_dim)``; the G-SSNN model
uses ``out_dim = D`` (the GNN width), the baseline ``out_dim = 1``.
"""

from __future__ import annotations

from framework import PluginInfo, hookimpl
from framework_plugins.encoders.cnn import CNNEncoder, CNNOptions, build_cnn
from framework_plugins.encoders.mlp import MLPEncoder, MLPOptions, build_mlp
from framework_plugins.encoders.pixelshuffle_vit import (
    PixelShuffleViT,
    PixelShuffleViTOptions,
    build_pixelshuffle_vit,
)

__all__ = ["CNNEncoder", "MLPEncoder", "PixelShuffleViT"]
classes = __all__


@hookimpl
def register_encoders() -> list[PluginInfo]:
    return [
        PluginInfo(
            "pixelshuffle-vit", "encoder", build_pixelshuffle_vit, PixelShuffleViTOptions,
            "the paper's encoder: pixel-unshuffle stem, residual convs, small ViT",
        ),
        PluginInfo("cnn", "encoder", build_cnn, CNNOptions, "strided convs, average pooling, linear head"),
        PluginInfo("mlp", "encoder", build_mlp, MLPOptions, "multilayer perceptron over the flattened input"),
    ]
