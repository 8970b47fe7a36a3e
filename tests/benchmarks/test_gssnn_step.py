"""The benchmark's transcription of the original G-SSNN computes what our modules compute.

Its speed ratios mean something only if both sides compute the same function;
the script checks that at start-up on the paper's sizes, these tests on more
graphs and a small encoder, in float64.
"""

import importlib.util
from pathlib import Path

import pytest
import torch

from framework import GSSNN, GraphIndex
from framework.nn.testing import example_graphs
from framework_plugins.backbones.gine import GINEOptions, build_gine
from framework_plugins.encoders.pixelshuffle_vit import PixelShuffleViTOptions, build_pixelshuffle_vit
from framework_plugins.injectors.gssnn import GSSNNInjector

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "gssnn_step.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("gssnn_step", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_reference_encoder_is_ours(bench):
    torch.manual_seed(0)
    options = PixelShuffleViTOptions(unshuffle=4, width=16, conv_depth=2, depth=2, heads=2, head_dim=8, mlp_dim=32)
    ours = build_pixelshuffle_vit(options, (1, 16, 16), 12).double().eval()
    reference = bench.ReferenceEncoder(ours).eval()
    images = torch.rand(3, 1, 16, 16, dtype=torch.float64) * 2 - 1
    torch.testing.assert_close(reference(images), ours(images))


@pytest.mark.parametrize("name", ["pair", "tree9", "cyclic"])
def test_reference_head_is_our_faithful_head(bench, name):
    torch.manual_seed(0)
    graph, dim = example_graphs()[name], 64
    index = GraphIndex.from_port_graph(graph)
    injector = GSSNNInjector(index, dim, graph.max_conn, faithful=True)
    model = GSSNN(torch.nn.Identity(), injector, build_gine(GINEOptions(), dim), dim)
    model = model.double().eval()
    reference = bench.ReferenceHead(graph, dim, model.backbone.layers, model.head, dropout=0.3).double().eval()
    z = torch.randn(5, dim, dtype=torch.float64)
    # Both position tables are float32 (the transcription computes its own in float32): 1e-5, not 1e-7.
    torch.testing.assert_close(reference(z), model.graph_head(z), atol=1e-5, rtol=1e-5)
