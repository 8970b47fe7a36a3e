"""Where the tests find the conformance records of the original G-SSNN implementation.

``$FRAMEWORK_SHARED/conformance`` if that variable is set, else ``shared/``
beside the clone (as CI lays it out), else the copies bundled in
``tests/conformance/`` (which tests keep identical to the shared ones).

Two record sets: ``graph-dsl-original.jsonl`` (programs and the graphs the
original built) and ``gssnn-original/`` (the original network's weights,
inputs, outputs and gradients; its README says how they were made). For the
second, :func:`encoder_name`, :func:`head_name` and :func:`full_name` map the
original's parameter names onto ours.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from framework import PortGraph

NAME = "graph-dsl-original.jsonl"
REPO = Path(__file__).resolve().parents[1]
BUNDLED = REPO / "tests" / "conformance" / NAME
SHARED = Path(os.environ.get("FRAMEWORK_SHARED") or REPO.parent / "shared") / "conformance" / NAME
CONFORMANCE = SHARED if SHARED.is_file() else BUNDLED

BUNDLED_NETWORK = BUNDLED.parent / "gssnn-original"
SHARED_NETWORK = SHARED.parent / "gssnn-original"
NETWORK = SHARED_NETWORK if SHARED_NETWORK.is_dir() else BUNDLED_NETWORK


def records() -> list[dict[str, Any]]:
    """Every record: ``program``, ``original_program``, ``stitch_program``, ``mass``, ``output``."""
    return [json.loads(line) for line in CONFORMANCE.read_text(encoding="utf-8").splitlines() if line.strip()]


def graphs(limit: int | None = None) -> list[PortGraph]:
    """The recorded output graphs (the first ``limit`` of them)."""
    return [PortGraph.from_json(r["output"]) for r in records()[:limit]]


def network_files(root: Path = NETWORK) -> dict[str, bytes]:
    """Every file of a ``gssnn-original`` folder by its relative path, with its bytes."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def network_json(path: str) -> Any:
    """A JSON file of the network records, e.g. ``"head/graphs.json"`` or ``"counts.json"``."""
    return json.loads((NETWORK / path).read_text(encoding="utf-8"))


def network_record(path: str) -> dict[str, np.ndarray]:
    """Every array of one ``.npz`` network record, e.g. ``"encoder/encoder_out1.npz"``."""
    with np.load(NETWORK / path) as arrays:
        return dict(arrays)


#: ``ConvResidual.net`` indices of the original (``3`` is the GELU) -> our ``ConvResidual`` attributes.
_RESIDUAL_LAYERS = {"0": "conv3", "1": "norm", "2": "conv1a", "4": "conv1b"}


def encoder_name(original: str, conv_depth: int) -> str:
    """Our ``pixelshuffle-vit`` name for a ``PixelShuffle_ViT_Encoder`` parameter name."""
    index, rest = original.removeprefix("net.").split(".", 1)
    index, transformer = int(index), 5 + conv_depth  # net.0 unshuffle, net.1 stem, blocks, 3 parameter-free
    if index == 1:
        return f"stem.1.{rest}"
    if 2 <= index < 2 + conv_depth:
        layer, tail = rest.removeprefix("net.").split(".", 1)
        return f"convs.{index - 2}.{_RESIDUAL_LAYERS[layer]}.{tail}"
    if index == transformer:
        block, part, tail = re.fullmatch(r"layers\.(\d+)\.([01])\.(.+)", rest).groups()
        tail = tail.replace("to_qkv", "qkv").replace("to_out", "out").removeprefix("net.")
        return f"transformer.blocks.{block}.{part}.{tail}"
    if index == transformer + 1:
        return f"head.{rest.removeprefix('net.')}"
    raise KeyError(f"no parameter of ours corresponds to the original's {original!r}")


def head_name(original: str) -> str | None:
    """Our name (in a :class:`framework.GSSNN` with a ``gine`` backbone) for a ``GraphStructured`` one.

    None for the original's position tables and choice indices: our injector
    holds them in another layout (tests compare them separately).
    """
    if original.startswith("linear_out."):
        return "head." + original.removeprefix("linear_out.")
    if original.startswith("convs."):
        return "backbone.layers." + original.removeprefix("convs.").replace("apply_func.", "linear.")
    if original in {"nfeats_posemb", "efeats_posemb", "nfeats_choice_index", "efeats_choice_index"}:
        return None
    raise KeyError(f"no parameter of ours corresponds to the original's {original!r}")


def full_name(original: str, conv_depth: int) -> str | None:
    """Our :class:`framework.GSSNN` name for a ``program_structured`` one (``net.0`` encoder, ``net.1`` head)."""
    if original.startswith("net.0."):
        return "encoder." + encoder_name(original.removeprefix("net.0."), conv_depth)
    return head_name(original.removeprefix("net.1."))


def load_original(module: torch.nn.Module, record: dict[str, np.ndarray], name: Callable[[str], str | None]) -> None:
    """Copy the record's ``state_dict/*`` into ``module`` through the name map ``name``.

    Every parameter of ``module`` must receive a value, and every original
    entry must land on one of ours (or map to None).
    """
    ours = {}
    for key, value in record.items():
        if key.startswith("state_dict/") and (mine := name(key.removeprefix("state_dict/"))) is not None:
            ours[mine] = torch.from_numpy(value)
    missing, unexpected = module.load_state_dict(ours, strict=False)
    assert not unexpected, unexpected
    assert not {n for n, _ in module.named_parameters()} & set(missing), missing


def assert_conforms(mine: torch.Tensor, reference: np.ndarray, what: str, rel: float = 1e-10) -> None:
    """``max|mine - ref| <= rel * max|ref|`` (the records' recommended test), with the error in the message."""
    mine_np = mine.detach().cpu().double().numpy()
    assert mine_np.shape == reference.shape, (what, mine_np.shape, reference.shape)
    error, scale = np.abs(mine_np - reference).max(), np.abs(reference).max()
    assert error <= rel * scale, f"{what}: max |mine - ref| = {error:.3g}, {error / scale:.3g} of max |ref| ({rel:g})"


@contextlib.contextmanager
def default_dtype(dtype: torch.dtype) -> Iterator[None]:
    """Run under ``torch.set_default_dtype(dtype)`` (the records vary it), then restore the old default."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        yield
    finally:
        torch.set_default_dtype(before)
