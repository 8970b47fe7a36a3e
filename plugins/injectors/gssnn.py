"""The G-SSNN paper's feature injection (arXiv 2303.03340; exact rules in gssnn.md).

Each graph element (node or edge, ids ``0..N+E-1`` in creation order) gets a
sin-cos positional code of its creation id and port plus its chunk of the
encoder vector, tiled to the full width. Both parts are precomputed per graph
as one positional table and one gather index over ``x``'s entries, so a whole
batch is injected by a single indexing operation.

``faithful = true`` reproduces the original implementation's quirks, for
ablation against its archived numbers:

1. each undirected edge is counted twice (once per endpoint), so the encoder
   vector is split into ``n_elt = N + 2E`` chunks (element ``j`` still takes
   chunk ``j``), and
2. each of those two copies is sent in both directions: every directed message
   appears twice (``M = 4E``);
3. the positional table is scrambled: an element that should get
   ``PE(a, b)`` gets ``PE(k mod H, k div H)`` with ``k = a (max_conn + 1) + b``
   and ``H = n_elt``;
4. that table is computed in torch's default dtype when the injector is
   built (float32 as the original ran, float64 under
   ``torch.set_default_dtype(torch.float64)``), then rounded to float32, as
   the original did; the exact mode computes it in float64.

The original's per-sample Python loop is not reproduced (it changes speed,
not values).
"""

from __future__ import annotations

import torch

from framework import GraphIndex, Injector, chunk_gather_index, gather_chunks, sincos_code
from framework_plugins.injectors.options import GSSNNInjectorOptions


class GSSNNInjector(Injector):
    """Node features ``PE(id, 0) + chunk(id)``, edge features ``PE(id, port + 1) + chunk(id)``.

    Args:
        graph: the candidate's index tensors.
        dim: ``D``, divisible by 4 and at least 8.
        max_conn: ports per node (only the ``faithful`` table uses it).
        faithful: reproduce the original's quirks (module docstring).
        temperature: base of the sin-cos frequencies (default: 10000).

    Shapes:
        x ``[B, D]`` -> node feats ``[B, N, D]``, edge feats ``[B, M, D]``
        (``M = 2E``, or ``4E`` when faithful).
    """

    element_buffers = ("position", "choice")

    def __init__(
        self, graph: GraphIndex, dim: int, max_conn: int, faithful: bool = False, temperature: float = 10000.0
    ) -> None:
        repeat = 2 if faithful else 1
        super().__init__(graph, dim, copies=repeat)
        self.faithful = faithful
        ids = torch.cat([graph.node_ids, graph.edge_ids])
        slots = torch.cat([torch.zeros_like(graph.node_ids), graph.edge_ports + 1])
        n_elt = graph.num_nodes + repeat * graph.num_edges
        if faithful:
            k = ids * (max_conn + 1) + slots
            ids_for_code, slots_for_code, dtype = k % n_elt, k // n_elt, torch.get_default_dtype()
        else:
            ids_for_code, slots_for_code, dtype = ids, slots, torch.float64
        code = sincos_code(ids_for_code, slots_for_code, dim, temperature, dtype=dtype)
        self.register_buffer("position", code.float())
        self.register_buffer("choice", chunk_gather_index(ids, n_elt, dim))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.split_elements(gather_chunks(x, self.choice) + self.position.to(x.dtype))

    def extra_repr(self) -> str:
        return super().extra_repr() + (", faithful=True" if self.faithful else "")


def build_gssnn_injector(options: GSSNNInjectorOptions, graph: GraphIndex, dim: int, max_conn: int) -> GSSNNInjector:
    return GSSNNInjector(graph, dim, max_conn, faithful=options.faithful, temperature=options.temperature)
