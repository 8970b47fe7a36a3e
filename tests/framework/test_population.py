"""Population training equals the sequential trainer, member by member (float64, CPU).

Both paths draw each member's dropout numbers from a generator seeded with its
seed (the sequential trainer from the global one, reseeded; the population
from one generator per member), so they see the same masks and data order.
"""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from framework import GSSNN, GraphIndex, TrainingOptions
from framework.nn.testing import port_graph
from framework.population import (
    PopulationAdam,
    PopulationPlateau,
    buckets,
    pad_graphs,
    train_batched,
    train_population,
)
from framework.task import Split, TaskData
from framework.training import seed_everything, train
from framework_plugins.backbones.gine import GINEOptions, build_gine
from framework_plugins.encoders.mlp import MLPEncoder
from framework_plugins.encoders.pixelshuffle_vit import PixelShuffleViTOptions, build_pixelshuffle_vit
from framework_plugins.injectors.gssnn import GSSNNInjector

DIM, SHAPE = 16, (1, 8, 8)
CPU = torch.device("cpu")
#: 2 epochs of 4 steps; patience 1 and cooldown 1, so the learning rate is halved along the way.
OPTIONS = TrainingOptions(epochs=2, batch_size=8, plateau_patience=1, plateau_cooldown=1, eval_batch_size=16)


class Guarded(nn.Module):
    """An encoder that replaces non-finite inputs by 0 unless ``guard`` is off (a member bound to fail)."""

    def __init__(self, encoder: nn.Module, guard: bool) -> None:
        super().__init__()
        self.encoder = encoder
        self.register_buffer("guard", torch.tensor(guard))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(torch.where(self.guard, torch.nan_to_num(x, posinf=0.0), x))


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny networks on a shared 2-core machine: one thread is faster, and the same on every run."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def encoder(kind: str) -> nn.Module:
    if kind == "vit":
        options = PixelShuffleViTOptions(unshuffle=4, width=16, conv_depth=1, depth=1, heads=2, head_dim=8, mlp_dim=16)
        return build_pixelshuffle_vit(options, SHAPE, DIM)
    return MLPEncoder(SHAPE, DIM, (24,))


def member(nodes: int, seed: int, kind: str = "mlp", guard: bool = True) -> nn.Module:
    graph = port_graph(nodes, extra_edges=nodes // 3, seed=seed)
    seed_everything(seed)
    injector = GSSNNInjector(GraphIndex.from_port_graph(graph), DIM, graph.max_conn)
    model = GSSNN(Guarded(encoder(kind), guard), injector, build_gine(GINEOptions(dropout=0.3), DIM), DIM)
    return model.double()


def task_data(poison: bool = False) -> TaskData:
    generator = torch.Generator().manual_seed(1)
    x = torch.rand(40, *SHAPE, generator=generator, dtype=torch.float64) * 2 - 1
    y = (x[:, 0, :, :4].mean(dim=(1, 2)) > 0).double()
    if poison:
        x[5, 0, 0, 0] = float("inf")
    return TaskData(train=Split(x[:32], y[:32]), select=Split(x[32:], y[32:]), eval=Split(x, y), input_shape=SHAPE)


def sizes(members: int) -> list[int]:
    """Graph sizes from 2 to 16 nodes, mixed."""
    return [2 + (7 * i) % 15 for i in range(members)]


class Recorder:
    def __init__(self) -> None:
        self.steps: list[tuple[torch.Tensor, list[torch.Tensor], torch.Tensor]] = []

    def __call__(self, step, logits, grads, lr) -> None:
        self.steps.append((logits.clone(), [g.clone() for g in grads], torch.as_tensor(lr, dtype=torch.float64)))


def close(a: torch.Tensor, b: torch.Tensor) -> None:
    torch.testing.assert_close(a, b, atol=1e-9, rtol=1e-9)


@pytest.mark.parametrize(("members", "kind"), [(1, "mlp"), (4, "mlp"), (4, "vit"), (16, "mlp")])
def test_population_equals_sequential(members, kind):
    data, seeds = task_data(), [100 + i for i in range(members)]
    models = [member(n, s, kind) for n, s in zip(sizes(members), seeds)]
    alone = [copy.deepcopy(m) for m in models]
    together = Recorder()
    results = train_batched(models, seeds, data, OPTIONS, CPU, inspect=together)
    lowered = False
    for i, (model, seed) in enumerate(zip(alone, seeds)):
        sequential = Recorder()
        expected = train(model, data, OPTIONS, device=CPU, seed=seed, inspect=sequential)
        assert len(sequential.steps) == len(together.steps) == 8
        for (logits, grads, lr), (p_logits, p_grads, p_lr) in zip(sequential.steps, together.steps):
            close(p_logits[i], logits)
            for g, p_g in zip(grads, p_grads):
                close(p_g[i], g)
            close(p_lr[i], lr)
            lowered |= bool(lr < OPTIONS.lr)
        for (name, p), q in zip(model.named_parameters(), models[i].parameters()):
            close(q, p)
        got = results[i]
        assert (got.train_accuracy, got.select_accuracy, got.eval_accuracy) == (
            expected.train_accuracy, expected.select_accuracy, expected.eval_accuracy)
        assert (got.train_f1, got.eval_f1, got.epochs_run, got.failed) == (
            expected.train_f1, expected.eval_f1, expected.epochs_run, None)
        close(torch.tensor(got.epoch_losses), torch.tensor(expected.epoch_losses))
    assert lowered, "the plateau scheduler never reduced the learning rate: the test would not see it"


def test_a_failing_member_is_frozen_and_the_others_do_not_notice():
    data, seeds, nodes = task_data(poison=True), [7, 8, 9, 10], [9, 3, 12, 5]

    def population(with_failing: bool) -> list[nn.Module]:
        return [member(n, s, guard=(i != 1)) for i, (n, s) in enumerate(zip(nodes, seeds)) if with_failing or i != 1]

    everyone, survivors = population(True), population(False)
    failing = copy.deepcopy(everyone[1])
    results = train_batched(everyone, seeds, data, OPTIONS, CPU)
    train_batched(survivors, [s for i, s in enumerate(seeds) if i != 1], data, OPTIONS, CPU)
    for a, b in zip([m for i, m in enumerate(everyone) if i != 1], survivors):
        for p, q in zip(a.parameters(), b.parameters()):
            assert torch.equal(p, q)
    expected = train(failing, data, OPTIONS, device=CPU, seed=seeds[1])
    assert expected.failed and results[1].failed == expected.failed
    assert results[1].train_accuracy is None and results[1].epochs_run == expected.epochs_run
    for p, q in zip(everyone[1].parameters(), failing.parameters()):  # frozen where the sequential one stopped
        close(p, q)
    assert all(r.failed is None for i, r in enumerate(results) if i != 1)


def test_non_finite_eval_logits_fail_their_member_as_sequentially_without_a_fall_back(caplog):
    """Scored as :func:`train` scores: the member fails on its split, the chunk is not trained again."""
    data, seeds = task_data(), [3, 4]
    eval_x = data.eval.x.clone()
    eval_x[0, 0, 0, 0] = float("inf")
    data = TaskData(data.train, data.select, Split(eval_x, data.eval.y), input_shape=SHAPE)
    models = [member(5, seeds[0]), member(7, seeds[1], guard=False)]
    alone = copy.deepcopy(models[1])
    results = train_population(models, seeds, data, OPTIONS, device=CPU)
    expected = train(alone, data, OPTIONS, device=CPU, seed=seeds[1])
    assert expected.failed.startswith("eval split:") and results[1].failed == expected.failed
    assert results[1].epoch_losses == expected.epoch_losses and results[0].failed is None
    assert "fell back" not in caplog.text


def test_train_population_buckets_chunks_and_reports_in_order():
    data, seeds = task_data(), [1, 2, 3, 4, 5]
    models = [member(n, s) for n, s in zip([4, 6, 3, 8, 2], seeds)]
    models[2] = GSSNN(MLPEncoder(SHAPE, DIM, (12,)), models[2].injector, models[2].backbone, DIM).double()  # another shape
    assert buckets(models) == [[0, 1, 3, 4], [2]]
    alone = [copy.deepcopy(m) for m in models]
    heard = []
    results = train_population(models, seeds, data, OPTIONS, device=CPU, chunk=3,
                               on_result=lambda i, r: heard.append(i))
    assert heard == [0, 1, 2, 3, 4]
    for model, seed, got in zip(alone, seeds, results):
        expected = train(model, data, OPTIONS, device=CPU, seed=seed)
        assert got.eval_accuracy == expected.eval_accuracy
        close(torch.tensor(got.epoch_losses), torch.tensor(expected.epoch_losses))


def test_on_cpu_a_large_bucket_trains_in_chunks_of_sixteen(monkeypatch):
    """Beyond 16 members the stacked step falls behind the sequential loop on CPU (docs/neural.md)."""
    import framework.population as population

    chunks = []
    real = population.train_batched

    def recording(models, *args, **kwargs):
        chunks.append(len(models))
        return real(models, *args, **kwargs)

    monkeypatch.setattr(population, "train_batched", recording)
    options = TrainingOptions(epochs=1, batch_size=16, eval_batch_size=40)
    seeds = list(range(18))
    results = train_population([member(3, s) for s in seeds], seeds, task_data(), options, device=CPU)
    assert chunks == [16, 2] and all(r.failed is None for r in results)


def test_padding_keeps_the_real_graph():
    models = [member(n, s) for n, s in [(3, 0), (11, 1)]]
    padded = pad_graphs(models)
    z = torch.randn(5, DIM, dtype=torch.float64)
    for model, copy_ in zip(models, padded):
        model.eval(), copy_.eval()
        assert copy_.injector.num_nodes == 11 and copy_.injector.num_messages == models[1].injector.num_messages
        close(copy_.graph_head(z), model.graph_head(z))
        assert model.injector.num_nodes in (3, 11)  # the original is untouched


def test_plateau_matches_torch_per_member():
    options = TrainingOptions(plateau_patience=2, plateau_cooldown=1, plateau_factor=0.5)
    losses = torch.tensor([[5, 4, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3, 3], [1, 2, 3, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 1, 1, 1, 1]],
                          dtype=torch.float64)
    params = [torch.zeros(2, 3, dtype=torch.float64, requires_grad=True)]
    optimizer = PopulationAdam(params, lr=1.0)
    scheduler = PopulationPlateau(optimizer, options)
    references = []
    for _ in range(2):
        sgd = torch.optim.SGD([torch.zeros(1)], lr=1.0)
        references.append((sgd, torch.optim.lr_scheduler.ReduceLROnPlateau(
            sgd, factor=0.5, patience=2, cooldown=1, threshold=options.plateau_threshold)))
    active = torch.tensor([True, True])
    for t in range(losses.shape[1]):
        scheduler.step(losses[:, t], active)
        for (sgd, reference), value in zip(references, losses[:, t]):
            reference.step(float(value))
        assert optimizer.lr.tolist() == [sgd.param_groups[0]["lr"] for sgd, _ in references]
    assert optimizer.lr.tolist() != [1.0, 1.0]


@pytest.mark.parametrize("fused", [True, False])
def test_population_adam_is_torch_adam_per_member_and_freezes_the_inactive(fused):
    generator = torch.Generator().manual_seed(0)
    start = torch.randn(3, 5, dtype=torch.float64, generator=generator)
    stacked = [start.clone().requires_grad_()]
    optimizer = PopulationAdam(stacked, lr=1e-3, fused=fused)
    optimizer.lr[2] = 5e-4
    references = []
    for i in range(2):
        q = start[i].clone().requires_grad_()
        adam = torch.optim.Adam([q], lr=1e-3)
        references.append((q, adam))
    frozen_after_one = None
    for t in range(4):
        grads = torch.randn(3, 5, dtype=torch.float64, generator=generator)
        if t >= 1:
            grads[1] = float("nan")  # member 1 fails at the second step and must stay as it was
        stacked[0].grad = grads.clone()
        active = torch.tensor([True, t < 1, True])
        with torch.no_grad():
            optimizer.step(active)
        for i, (q, adam) in enumerate(references):
            if active[i]:
                q.grad = grads[i].clone()
                adam.step()
        if t == 0:
            frozen_after_one = stacked[0][1].detach().clone(), optimizer.exp_avg[0][1].clone()
    close(stacked[0][0].detach(), references[0][0].detach())
    assert torch.equal(stacked[0][1].detach(), frozen_after_one[0])
    assert torch.equal(optimizer.exp_avg[0][1], frozen_after_one[1])
    assert optimizer.steps.tolist() == [4.0, 1.0, 4.0]
    assert not torch.equal(stacked[0][2].detach(), start[2])
