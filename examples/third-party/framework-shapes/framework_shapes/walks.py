"""The `random-walk` injector's module (imports torch).

Random-walk statistics of the graph, computed once per candidate from the
transition matrix `P = D^-1 A` (parallel edges counted): a node gets its
return probabilities `P^k[i, i]` for `k = 2 .. steps + 1` (the random-walk
structural encoding of Dwivedi et al., ICLR 2022); a message `u -> v` gets
its landing probabilities `P^k[u, v]` for `k = 1 .. steps`. Each set is
mapped to `D` by a learned linear layer and added to the encoder's output.
"""

import torch

from framework import Injector


def walk_powers(graph, steps):
    """`[N, N, steps + 1]`: the transition matrix of `graph` (a GraphIndex) to the powers 1 .. steps + 1, in float64."""
    n = graph.num_nodes
    source, target = graph.edge_index
    exact = {"dtype": torch.float64, "device": source.device}
    adjacency = torch.zeros(n, n, **exact).index_put_((source, target), torch.ones(len(source), **exact), accumulate=True)
    transition = adjacency / adjacency.sum(dim=1, keepdim=True).clamp(min=1.0)
    powers, power = [], torch.eye(n, **exact)
    for _ in range(steps + 1):
        power = power @ transition
        powers.append(power)
    return torch.stack(powers, dim=-1)


class RandomWalkInjector(Injector):
    """x `[B, D]` -> node features `[B, N, D]`, message features `[B, M, D]`."""

    def __init__(self, graph, dim, steps):
        super().__init__(graph, dim)
        powers = walk_powers(graph, steps)
        source, target = self.edge_index
        dtype = torch.get_default_dtype()
        # P^1 has no loops: return probabilities start at two steps
        self.register_buffer("node_walks", powers.diagonal(dim1=0, dim2=1).T[:, 1:].to(dtype))  # [N, steps]
        self.register_buffer("message_walks", powers[source, target, :steps].to(dtype))  # [M, steps]
        self.node_proj = torch.nn.Linear(steps, dim)
        self.message_proj = torch.nn.Linear(steps, dim)

    def forward(self, x):
        base = x[:, None, :]
        return base + self.node_proj(self.node_walks), base + self.message_proj(self.message_walks)


def build(options, graph, dim, max_conn):
    """`factory(options, graph, dim, max_conn)`: see framework.Injector."""
    return RandomWalkInjector(graph, dim, options.steps)
