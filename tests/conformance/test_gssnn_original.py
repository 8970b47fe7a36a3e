"""Our paper model against the original G-SSNN network's own outputs (tests/conformance/gssnn-original/).

The records hold the original's weights under its parameter names, inputs,
outputs and gradients, computed by running the original code (its README).
We load the weights into our modules through the name maps of
``tests/conformance_data.py`` and compare in float64 with the README's
tolerance, ``max|mine - ref| <= 1e-10 max|ref|``, three ways:

* ``out``: everything built and run under default float64;
* ``t32``: float64 weights and inputs, but the position codes computed as the
  original ran, in float32 (head tables when the injector is built, the
  encoder's code on every forward under default float32);
* ``f32``: everything float32, as the original trained (1e-5: float32 noise).
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
import torch
from conformance_data import (
    BUNDLED_NETWORK,
    SHARED_NETWORK,
    assert_conforms,
    default_dtype,
    encoder_name,
    full_name,
    head_name,
    load_original,
    network_files,
    network_json,
    network_record,
)

from framework import GSSNN, GraphIndex, PortGraph
from framework_plugins.backbones.gine import GINEOptions, build_gine
from framework_plugins.encoders.pixelshuffle_vit import PixelShuffleViTOptions, build_pixelshuffle_vit, grid_code
from framework_plugins.injectors.gssnn import GSSNNInjectorOptions, build_gssnn_injector

HEAD_ROWS = network_json("head/graphs.json")
FULL_ROWS = network_json("encoder/graphs.json")
COUNTS = network_json("counts.json")
PAPER = PixelShuffleViTOptions()  # unshuffle 16 on 128 px = the original's downsampled_size 8
REDUCED = PixelShuffleViTOptions(unshuffle=8, width=32, conv_depth=2, depth=2, heads=2, head_dim=16, mlp_dim=64)
IMAGE, REDUCED_IMAGE = (1, 128, 128), (1, 32, 32)


def count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def gssnn(encoder: torch.nn.Module, graph_json: dict, dim: int) -> GSSNN:
    """Our paper G-SSNN (faithful ``gssnn`` injector, ``gine``) on ``encoder``; built in the default dtype."""
    graph = PortGraph.from_json(graph_json)
    index = GraphIndex.from_port_graph(graph)
    injector = build_gssnn_injector(GSSNNInjectorOptions(faithful=True), index, dim, graph.max_conn)
    return GSSNN(encoder, injector, build_gine(GINEOptions(), dim), dim)


def run(model: torch.nn.Module, x: np.ndarray, forward=None) -> tuple[torch.Tensor, torch.Tensor]:
    """``out`` and ``d out.sum() / dx`` in ``model``'s dtype (eval mode: dropout off)."""
    dtype = next(model.parameters()).dtype
    inputs = torch.from_numpy(x).to(dtype).requires_grad_()
    out = (forward or model)(inputs)
    out.sum().backward()
    return out, inputs.grad


def check_weight_grads(model: torch.nn.Module, record: dict[str, np.ndarray], name, what: str) -> int:
    """Compare every stored ``grad/<original name>`` with our parameter's gradient; how many there were."""
    ours = dict(model.named_parameters())
    stored = [key for key in record if key.startswith("grad/")]
    for key in stored:
        assert_conforms(ours[name(key.removeprefix("grad/"))].grad, record[key], f"{what} {key}")
    return len(stored)


def check_tables(model: GSSNN, graph_json: dict, nodes: np.ndarray, edges: np.ndarray) -> None:
    """Our faithful position table equals the original's ``nfeats_posemb`` / ``efeats_posemb``, bit for bit.

    Ours has one row per node and per undirected edge (ascending ids); the
    original one per node and per JSON edge entry (each edge twice).
    """
    position = model.injector.position  # float32 values (in float64 once the model is .double()'d)
    n_nodes = nodes.shape[0]
    edge_ids = sorted({edge_id for _, (edge_id, _) in graph_json["edges"]})
    rows = [n_nodes + edge_ids.index(edge_id) for _, (edge_id, _) in graph_json["edges"]]
    np.testing.assert_array_equal(position[:n_nodes].numpy(), nodes)
    np.testing.assert_array_equal(position[rows].numpy(), edges)


def test_the_bundled_records_are_the_shared_ones():
    assert set(network_files(BUNDLED_NETWORK)) >= {"README.md", "counts.json", "head/weights.npz"}
    if SHARED_NETWORK.is_dir():
        assert network_files(BUNDLED_NETWORK) == network_files(SHARED_NETWORK)


def test_paper_parameter_counts_and_shapes_are_the_originals():
    baseline = build_pixelshuffle_vit(PAPER, IMAGE, 1)
    assert count(baseline) == COUNTS["baseline_out1"] == 3_903_489
    assert count(build_pixelshuffle_vit(PAPER, IMAGE, 512)) == COUNTS["encoder_out512"] == 4_034_816
    model = gssnn(build_pixelshuffle_vit(PAPER, IMAGE, 512), HEAD_ROWS[-1]["graph_json"], 512)
    assert count(model) == COUNTS["gssnn_full"] == 4_823_297
    for ours, shapes, name in [
        (baseline, COUNTS["baseline_parameter_shapes"], lambda n: encoder_name(n.removeprefix("net."), 3)),
        (model, COUNTS["gssnn_full_parameter_shapes"], partial(full_name, conv_depth=3)),
    ]:
        mine = {n: list(p.shape) for n, p in ours.named_parameters()}
        assert {name(n): shape for n, shape in shapes.items()} == mine


def test_reduced_parameter_counts_are_the_originals():
    reduced = COUNTS["reduced_config"]
    assert count(build_pixelshuffle_vit(REDUCED, REDUCED_IMAGE, 1)) == reduced["encoder_out1"]
    assert count(build_pixelshuffle_vit(REDUCED, REDUCED_IMAGE, 32)) == reduced["encoder_out32"]
    full = gssnn(build_pixelshuffle_vit(REDUCED, REDUCED_IMAGE, 32), FULL_ROWS[0]["graph_json"], 32)
    assert count(full) == reduced["full"][FULL_ROWS[0]["file"]]


# -- the head (GraphStructured) at the paper's settings, on 9 graphs -------------------------------------------


@pytest.fixture(scope="module")
def head_weights():
    return network_record("head/weights.npz")


def head(row: dict, weights: dict, build_dtype: torch.dtype, dtype: torch.dtype) -> GSSNN:
    """Our head on the row's graph: its table built under ``build_dtype``, then run in ``dtype``."""
    with default_dtype(build_dtype):
        model = gssnn(torch.nn.Identity(), row["graph_json"], 512)
    model = model.to(dtype).eval()
    load_original(model, weights, head_name)
    return model


@pytest.mark.parametrize("row", HEAD_ROWS, ids=[row["name"] for row in HEAD_ROWS])
def test_head_is_the_original(row, head_weights):
    record = network_record("head/" + row["file"])
    model = head(row, head_weights, torch.float64, torch.float64)
    check_tables(model, row["graph_json"], record["state_dict/nfeats_posemb"], record["state_dict/efeats_posemb"])
    assert model.injector.num_messages == row["n_messages"]
    out, grad_x = run(model, record["x"], model.graph_head)
    assert_conforms(out, record["out"], "out")
    assert_conforms(grad_x, record["grad_x"], "grad_x")
    stored = check_weight_grads(model, record, head_name, row["name"])
    assert stored == (8 if row["weight_grads_stored"] else 0)


@pytest.mark.parametrize("row", HEAD_ROWS, ids=[row["name"] for row in HEAD_ROWS])
def test_head_with_float32_tables_is_the_original_as_it_ran(row, head_weights):
    record = network_record("head/" + row["file"])
    model = head(row, head_weights, torch.float32, torch.float64)
    check_tables(model, row["graph_json"], record["table_t32/nfeats_posemb"], record["table_t32/efeats_posemb"])
    out, grad_x = run(model, record["x"], model.graph_head)
    assert_conforms(out, record["out_t32"], "out_t32")
    assert_conforms(grad_x, record["grad_x_t32"], "grad_x_t32")
    model = head(row, head_weights, torch.float32, torch.float32)
    out, grad_x = run(model, record["x"], model.graph_head)
    assert_conforms(out, record["out_f32"], "out_f32", rel=1e-5)
    assert_conforms(grad_x, record["grad_x_f32"], "grad_x_f32", rel=1e-5)


# -- the encoder (PixelShuffle_ViT_Encoder) at the reduced configuration ---------------------------------------


@pytest.mark.parametrize("out_dim", [1, 32])
def test_encoder_is_the_original(out_dim):
    record = network_record(f"encoder/encoder_out{out_dim}.npz")
    name = partial(encoder_name, conv_depth=REDUCED.conv_depth)
    with default_dtype(torch.float64):
        model = build_pixelshuffle_vit(REDUCED, REDUCED_IMAGE, out_dim).eval()
        load_original(model, record, name)
        out, grad_x = run(model, record["x"])
        np.testing.assert_array_equal(grid_code(4, 4, 32).numpy(), record["posemb_f64"])
    assert_conforms(out, record["out"], "out")
    assert_conforms(grad_x, record["grad_x"], "grad_x")
    assert check_weight_grads(model, record, name, f"encoder out {out_dim}") == 34


@pytest.mark.parametrize("out_dim", [1, 32])
def test_encoder_with_a_float32_position_code_is_the_original_as_it_ran(out_dim):
    record = network_record(f"encoder/encoder_out{out_dim}.npz")
    name = partial(encoder_name, conv_depth=REDUCED.conv_depth)
    model = build_pixelshuffle_vit(REDUCED, REDUCED_IMAGE, out_dim).double().eval()
    load_original(model, record, name)
    with default_dtype(torch.float32):  # the code follows the default dtype, the weights stay float64
        np.testing.assert_array_equal(grid_code(4, 4, 32).numpy(), record["posemb_f32"])
        out, grad_x = run(model, record["x"])
    assert_conforms(out, record["out_t32"], "out_t32")
    assert_conforms(grad_x, record["grad_x_t32"], "grad_x_t32")
    out, grad_x = run(model.float(), record["x"])
    assert_conforms(out, record["out_f32"], "out_f32", rel=1e-5)
    assert_conforms(grad_x, record["grad_x_f32"], "grad_x_f32", rel=1e-5)


# -- the full model (program_structured) at the reduced configuration, on 2 graphs -----------------------------


def full(row: dict, record: dict, build_dtype: torch.dtype, dtype: torch.dtype) -> GSSNN:
    with default_dtype(build_dtype):
        model = gssnn(build_pixelshuffle_vit(REDUCED, REDUCED_IMAGE, 32), row["graph_json"], 32)
    model = model.to(dtype).eval()
    load_original(model, record, partial(full_name, conv_depth=REDUCED.conv_depth))
    return model


@pytest.mark.parametrize("row", FULL_ROWS, ids=[row["name"] for row in FULL_ROWS])
def test_full_model_is_the_original(row):
    record = network_record("encoder/" + row["file"])
    model = full(row, record, torch.float64, torch.float64)
    check_tables(model, row["graph_json"], record["state_dict/net.1.nfeats_posemb"], record["state_dict/net.1.efeats_posemb"])
    with default_dtype(torch.float64):
        out, grad_x = run(model, record["x"])
    assert_conforms(out, record["out"], "out")
    assert_conforms(grad_x, record["grad_x"], "grad_x")
    name = partial(full_name, conv_depth=REDUCED.conv_depth)
    assert check_weight_grads(model, record, name, row["name"]) == len(list(model.parameters())) == 42


@pytest.mark.parametrize("row", FULL_ROWS, ids=[row["name"] for row in FULL_ROWS])
def test_full_model_with_float32_codes_is_the_original_as_it_ran(row):
    record = network_record("encoder/" + row["file"])
    model = full(row, record, torch.float32, torch.float64)
    check_tables(model, row["graph_json"], record["table_t32/net.1.nfeats_posemb"], record["table_t32/net.1.efeats_posemb"])
    out, grad_x = run(model, record["x"])  # under the default float32: the encoder's code in float32
    assert_conforms(out, record["out_t32"], "out_t32")
    assert_conforms(grad_x, record["grad_x_t32"], "grad_x_t32")
    out, grad_x = run(full(row, record, torch.float32, torch.float32), record["x"])
    assert_conforms(out, record["out_f32"], "out_f32", rel=1e-5)
    assert_conforms(grad_x, record["grad_x_f32"], "grad_x_f32", rel=1e-5)
