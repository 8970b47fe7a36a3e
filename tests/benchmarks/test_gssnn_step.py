"""The benchmark's transcription of the original G-SSNN computes what our modules and the original compute.

Its speed ratios mean something only if both sides compute the same function;
the script checks that at start-up on the paper's sizes, these tests on more
graphs and a small encoder, in float64, and against the original's own
outputs (tests/conformance/gssnn-original/).
"""

import importlib.util
from functools import partial
from pathlib import Path

import pytest
import torch
from conformance_data import (
    assert_conforms,
    default_dtype,
    encoder_name,
    head_name,
    load_original,
    network_json,
    network_record,
)

from framework import GSSNN, GraphIndex, PortGraph
from framework.nn.testing import example_graphs
from framework_plugins.backbones.gine import GINEOptions, build_gine
from framework_plugins.encoders.pixelshuffle_vit import PixelShuffleViTOptions, build_pixelshuffle_vit
from framework_plugins.injectors.gssnn import GSSNNInjector

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "gssnn_step.py"
REDUCED = PixelShuffleViTOptions(unshuffle=8, width=32, conv_depth=2, depth=2, heads=2, head_dim=16, mlp_dim=64)


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("gssnn_step", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def faithful_head(graph: PortGraph, dim: int) -> GSSNN:
    injector = GSSNNInjector(GraphIndex.from_port_graph(graph), dim, graph.max_conn, faithful=True)
    return GSSNN(torch.nn.Identity(), injector, build_gine(GINEOptions(), dim), dim)


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
    model = faithful_head(graph, dim).double().eval()
    reference = bench.ReferenceHead(graph, dim, model.backbone.layers, model.head, dropout=0.3).double().eval()
    z = torch.randn(5, dim, dtype=torch.float64)
    torch.testing.assert_close(reference(z), model.graph_head(z))


def test_reference_encoder_is_the_original(bench):
    record = network_record("encoder/encoder_out32.npz")
    with default_dtype(torch.float64):
        ours = build_pixelshuffle_vit(REDUCED, (1, 32, 32), 32).eval()
        load_original(ours, record, partial(encoder_name, conv_depth=REDUCED.conv_depth))
        out = bench.ReferenceEncoder(ours).eval()(torch.from_numpy(record["x"]))
    assert_conforms(out, record["out"], "reference encoder out")


def test_reference_head_is_the_original(bench):
    row = next(r for r in network_json("head/graphs.json") if r["name"] == "record_3")
    graph = PortGraph.from_json(row["graph_json"])
    with default_dtype(torch.float64):  # the records' `out`: tables computed in float64, kept in float32
        model = faithful_head(graph, 512).eval()
        load_original(model, network_record("head/weights.npz"), head_name)
        reference = bench.ReferenceHead(graph, 512, model.backbone.layers, model.head, dropout=0.3).eval()
    record = network_record("head/" + row["file"])
    assert_conforms(reference(torch.from_numpy(record["x"])), record["out"], "reference head out")
