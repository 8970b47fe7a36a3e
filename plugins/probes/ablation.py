"""The ``ablation`` probe: knock out each part of a G-SSNN's graph and measure the damage.

Parts (docs/artifacts.md):

* ``node <id>``: the node is silenced: its injected features are zeroed and its
  state leaves the mean readout; its edges keep sending messages (the edge
  parts ablate those).
* ``edge <id>``: every message of the edge (both directions, every copy) is removed.
* ``chunk <id>``: the encoder entries the element reads (found from the
  injector's gradient, so any injector works) are replaced by their mean over
  the split (``chunks = "mean"``) or zeroed (``"zero"``).
* ``position``: the positional code (what the injector adds to a zero encoder
  output) is shuffled among the nodes and among the edges, ``shuffles`` times.
* ``production <i>: <name>``: the subgraph that node of the program built
  (the domain's provenance) is removed, nodes with all their edges.

The encoder runs once; every ablation reruns only the graph head.
"""

from __future__ import annotations

from framework import GSSNN, ProbeReport, UsageError, part_score, per_sample, rank
from framework_plugins.probes.options import AblationOptions


class AblationProbe:
    def __init__(self, options: AblationOptions) -> None:
        self.options = options

    def run(self, subject):
        import numpy as np
        import torch

        model, graph = subject.module, subject.graph
        if graph is None or not isinstance(model, GSSNN):
            raise UsageError(f"{subject.candidate}: a baseline network has no graph to ablate")
        y = subject.split.y
        with torch.no_grad():
            z = torch.cat([model.encoder(x) for x in subject.split.x.split(256)])
            node_feats, message_feats = model.injector(z)
        head = _Head(model)
        intact = per_sample(head(node_feats, message_feats), y)
        node_ids = graph.node_ids
        edges = graph.undirected_edges
        position_of = {node: i for i, node in enumerate(node_ids)}
        edge_of = {edge[0]: e for e, edge in enumerate(edges)}

        def score(part, kind, elements, ablated):
            return part_score(part, kind, elements, intact, ablated, seed=subject.seed,
                              resamples=self.options.resamples)

        parts = []
        for node in node_ids:
            ablated = head(node_feats, message_feats, silenced=[position_of[node]])
            parts.append(score(f"node {node}", "node", (node,), per_sample(ablated, y)))
        for edge_id, *_ in edges:
            ablated = head(node_feats, message_feats, edges=[edge_of[edge_id]])
            parts.append(score(f"edge {edge_id}", "edge", (edge_id,), per_sample(ablated, y)))
        for element, entries in _chunk_entries(model.injector, node_ids, edges):
            if not entries:
                continue
            replaced = z.clone()
            replaced[:, entries] = replaced[:, entries].mean(0) if self.options.chunks == "mean" else 0.0
            with torch.no_grad():
                ablated = head(*model.injector(replaced))
            parts.append(score(f"chunk {element}", "chunk", (element,), per_sample(ablated, y)))
        parts.append(score("position", "position", (), self._shuffled(model, node_feats, message_feats, head, y,
                                                                      subject.seed)))
        by_production: dict[int, list[int]] = {}
        for element, production in subject.provenance.items():
            by_production.setdefault(production, []).append(element)
        for production, elements in sorted(by_production.items()):
            removed = [position_of[e] for e in elements if e in position_of]
            ablated = head(node_feats, message_feats, silenced=removed, cut=removed,
                           edges=[edge_of[e] for e in elements if e in edge_of])
            parts.append(score(f"production {subject.productions[production]}", "production", tuple(elements),
                               per_sample(ablated, y)))
        return ProbeReport("ablation", subject.candidate, subject.split_name,
                           float(np.mean(intact[0])), float(np.mean(intact[1])), rank(parts),
                           {"chunks": self.options.chunks, "shuffles": self.options.shuffles})

    def _shuffled(self, model, node_feats, message_feats, head, y, seed):
        """Per-sample correctness and loss with the positional code shuffled, averaged over shuffles."""
        import torch

        injector = model.injector
        with torch.no_grad():
            node_code, message_code = injector(torch.zeros(1, node_feats.shape[-1]))
        edge_of_message = injector.element_of_message - injector.num_nodes
        n_edges = int(edge_of_message.max()) + 1 if len(edge_of_message) else 0
        first = [int((edge_of_message == e).nonzero()[0]) for e in range(n_edges)]
        edge_code = message_code[:, first]
        generator = torch.Generator().manual_seed(seed)
        runs = []
        for _ in range(self.options.shuffles):
            nodes = torch.randperm(node_code.shape[1], generator=generator)
            edges = torch.randperm(n_edges, generator=generator)
            shuffled_nodes = node_feats - node_code + node_code[:, nodes]
            shuffled_messages = message_feats - message_code + edge_code[:, edges][:, edge_of_message]
            runs.append(per_sample(head(shuffled_nodes, shuffled_messages), y))
        return tuple(sum(r[i] for r in runs) / len(runs) for i in range(2))


class _Head:
    """The graph head of a G-SSNN from injected features, with parts knocked out."""

    def __init__(self, model) -> None:
        self.model = model
        injector = model.injector
        self.edge_index = injector.edge_index
        self.edge_of_message = injector.element_of_message - injector.num_nodes
        self.num_nodes = injector.num_nodes

    def __call__(self, node_feats, message_feats, *, silenced=(), cut=(), edges=()):
        import torch

        keep = ~torch.isin(self.edge_of_message, torch.tensor(list(edges), dtype=torch.long))
        cut = torch.tensor(list(cut), dtype=torch.long)
        keep &= ~(torch.isin(self.edge_index[0], cut) | torch.isin(self.edge_index[1], cut))
        kept_nodes = torch.tensor([i for i in range(self.num_nodes) if i not in set(silenced)], dtype=torch.long)
        node_feats = node_feats.clone()
        node_feats[:, list(silenced)] = 0.0
        with torch.no_grad():
            states = self.model.backbone(node_feats, self.edge_index[:, keep], message_feats[:, keep])
            pooled = states[:, kept_nodes].mean(dim=1) if len(kept_nodes) else states.new_zeros(states[:, 0].shape)
            return self.model.head(pooled).float().reshape(-1)


def _chunk_entries(injector, node_ids, edges):
    """(element id, the encoder entries its injected features read), from the injector's gradient."""
    import torch

    dim = injector.dim
    with torch.enable_grad():
        z = torch.zeros(1, dim, requires_grad=True)
        node_feats, message_feats = injector(z)
        edge_of_message = injector.element_of_message - injector.num_nodes
        rows = [(node, node_feats[0, i]) for i, node in enumerate(node_ids)]
        rows += [(edge[0], message_feats[0, edge_of_message == e]) for e, edge in enumerate(edges)]
        out = []
        for element, row in rows:
            if not row.requires_grad:
                out.append((element, []))
                continue
            (gradient,) = torch.autograd.grad(row.sum(), z, retain_graph=True, allow_unused=True)
            used = [] if gradient is None else gradient[0].nonzero().flatten().tolist()
            out.append((element, used))
    return out
