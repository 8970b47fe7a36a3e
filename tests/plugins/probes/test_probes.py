"""The built-in probes on networks built so that the answer is known."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from framework import GSSNN, GraphIndex, ProbeSubject, Split, TaskData, chunk_gather_index, train
from framework.nn.testing import port_graph
from framework.training import TrainingOptions
from framework_plugins.backbones.gine import build_gine
from framework_plugins.injectors.gssnn import GSSNNInjector
from framework_plugins.probes.ablation import AblationOptions, AblationProbe

DIM = 16


class SignalOnOneElement(nn.Module):
    """A fixed encoder: the input's signal lands only in the entries of one element's chunk."""

    def __init__(self, entries: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("entries", entries)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = torch.zeros(len(x), DIM)
        z[:, self.entries] = x[:, :1]
        return z


def _split(n: int, seed: int) -> Split:
    generator = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=generator).float()
    x = (2 * y - 1)[:, None] + 0.3 * torch.randn(n, 1, generator=generator)
    return Split(x, y)


def _network_with_signal_on_edge(edge_id: int):
    graph = port_graph(5, extra_edges=1, seed=4)
    index = GraphIndex.from_port_graph(graph)
    elements = index.num_nodes + index.num_edges
    entries = chunk_gather_index(torch.tensor([edge_id]), elements, DIM)[0].unique()
    from framework.nn.options import GINEOptions

    model = GSSNN(SignalOnOneElement(entries), GSSNNInjector(index, DIM, graph.max_conn),
                  build_gine(GINEOptions(dropout=0.0), DIM), DIM)
    data = TaskData(_split(256, 1), _split(128, 2), _split(128, 3), (1,))
    result = train(model, data, TrainingOptions(epochs=15, batch_size=16), device=torch.device("cpu"), seed=0)
    assert result.eval_accuracy > 0.95, "the network must learn the signal for the test to mean anything"
    return model.eval(), graph, data


@pytest.fixture(scope="module")
def signal_on_edge():
    graph = port_graph(5, extra_edges=1, seed=4)
    edge_id = graph.undirected_edges[2][0]  # any edge will do; not the first, so order cannot pass the test
    return (edge_id, *_network_with_signal_on_edge(edge_id))


def test_the_ablation_probe_ranks_the_edge_carrying_the_signal_first(signal_on_edge):
    edge_id, model, graph, data = signal_on_edge
    subject = ProbeSubject(model, "known-edge", data.select, "select", graph)
    report = AblationProbe(AblationOptions(resamples=200)).run(subject)
    structural = [p for p in report.parts if p.kind in ("node", "edge")]
    assert structural[0].part == f"edge {edge_id}"
    assert structural[0].accuracy_drop > 0.3 and structural[0].accuracy_drop_low > 0.2
    assert all(p.accuracy_drop < 0.1 for p in structural[1:])
    # the one other part that removes the signal is that edge's own chunk of the encoder output
    assert {p.part for p in report.parts[:2]} == {f"edge {edge_id}", f"chunk {edge_id}"}
    assert report.accuracy > 0.95
