import io
import math

import pytest
import torch
from rich.console import Console

from framework import GSSNN, GraphIndex, TrainingOptions, UsageError, seed_everything, train
from framework.nn.progress import TrainingProgress
from framework.training import resolve_device
from framework.nn.testing import example_graphs
from framework.task import Split, TaskData
from framework.training import binary_scores
from framework_plugins.backbones.gine import GINEOptions, build_gine
from framework_plugins.encoders.mlp import MLPOptions, build_mlp
from framework_plugins.injectors.gssnn import GSSNNInjector

CPU = torch.device("cpu")
FAST = TrainingOptions(epochs=6, batch_size=8, lr=3e-3)


def separable(n=48, seed=0) -> TaskData:
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=gen)
    y = (x[:, 0] > 0).float()
    return TaskData(Split(x[:32], y[:32]), Split(x[32:40], y[32:40]), Split(x[40:], y[40:]), (4,))


def gssnn(seed=0) -> GSSNN:
    seed_everything(seed)
    index = GraphIndex.from_port_graph(example_graphs()["tree9"])
    encoder = build_mlp(MLPOptions(hidden=[16]), (4,), 16)
    return GSSNN(encoder, GSSNNInjector(index, 16, 10), build_gine(GINEOptions(dropout=0.0), 16), 16)


def test_training_reduces_the_loss_and_learns():
    result = train(gssnn(), separable(), TrainingOptions(epochs=10, lr=1e-2), device=CPU, seed=0)
    assert result.failed is None and result.epochs_run == 10
    assert result.epoch_losses[-1] < 0.5 * result.epoch_losses[0]
    assert result.train_accuracy >= 0.9
    assert result.final_loss == result.epoch_losses[-1]
    assert all(v is not None for v in (result.select_accuracy, result.eval_accuracy, result.eval_f1))


def test_deterministic_under_a_seed():
    first = train(gssnn(1), separable(), FAST, device=CPU, seed=7)
    second = train(gssnn(1), separable(), FAST, device=CPU, seed=7)
    assert first.epoch_losses == second.epoch_losses
    assert first.train_accuracy == second.train_accuracy
    other = train(gssnn(1), separable(), FAST, device=CPU, seed=8)
    assert other.epoch_losses != first.epoch_losses


def test_training_on_cpu_is_deterministic_without_filling_fresh_memory():
    """Deterministic kernels, but fresh tensors are not NaN-filled (a full write of every
    allocation, about a tenth of a population step); both settings come back afterwards."""
    seen = []

    class Spy(torch.nn.Linear):
        def forward(self, x):
            seen.append((torch.are_deterministic_algorithms_enabled(),
                         torch.utils.deterministic.fill_uninitialized_memory))
            return super().forward(x)

    before = torch.utils.deterministic.fill_uninitialized_memory
    train(Spy(4, 1), separable(), TrainingOptions(epochs=1, batch_size=16), device=CPU, seed=0)
    assert seen and set(seen) == {(True, False)}
    assert not torch.are_deterministic_algorithms_enabled()
    assert torch.utils.deterministic.fill_uninitialized_memory == before


def test_baseline_is_the_encoder_alone():
    seed_everything(0)
    result = train(build_mlp(MLPOptions(hidden=[8]), (4,), 1), separable(), FAST, device=CPU, seed=0)
    assert result.failed is None and len(result.epoch_losses) == 6


class Exploding(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.ones(4))

    def forward(self, x):
        return (x @ self.w) * float("nan")


def test_a_nan_loss_marks_the_run_failed_without_raising():
    result = train(Exploding(), separable(), FAST, device=CPU, seed=0)
    assert result.failed is not None and "nan" in result.failed and "step 1" in result.failed
    assert result.train_accuracy is None and result.epochs_run == 0


def test_empty_select_split_gives_no_score():
    data = separable()
    data = TaskData(data.train, Split(data.train.x[:0], data.train.y[:0]), data.eval, data.input_shape)
    result = train(gssnn(), data, TrainingOptions(epochs=1), device=CPU, seed=0)
    assert result.select_accuracy is None and result.select_f1 is None and result.eval_accuracy is not None


def test_progress_reports_every_step():
    calls = []
    options = TrainingOptions(epochs=2, batch_size=10)
    train(gssnn(), separable(), options, device=CPU, seed=0, progress=lambda *a: calls.append(a))
    assert [c[0] for c in calls] == list(range(1, 9)) and {c[1] for c in calls} == {8}
    assert all(math.isfinite(c[2]) and 0 <= c[3] <= 1 for c in calls)


def test_rich_progress_renders_a_bar():
    buffer = io.StringIO()
    with TrainingProgress(console=Console(file=buffer, width=120)) as bars:
        progress = bars.callback("candidate 3")
        train(gssnn(), separable(), TrainingOptions(epochs=1), device=CPU, seed=0, progress=progress)
    assert "candidate 3" in buffer.getvalue() and "4/4" in buffer.getvalue()


def test_scores():
    logits = torch.tensor([2.0, -1.0, 0.5, -3.0, 0.0])
    targets = torch.tensor([1.0, 1.0, 0.0, 0.0, 0.0])
    accuracy, f1 = binary_scores(logits, targets)
    assert accuracy == pytest.approx(3 / 5)
    assert f1 == pytest.approx(2 * 1 / (2 * 1 + 1 + 1))
    assert binary_scores(torch.tensor([-1.0]), torch.tensor([0.0])) == (1.0, 0.0)


def test_options_validation():
    assert TrainingOptions() == TrainingOptions(
        epochs=16, batch_size=8, lr=1e-3, plateau_factor=0.5, plateau_patience=50, plateau_cooldown=15
    )
    for bad in ({"epochs": 0}, {"lr": 0.0}, {"plateau_factor": 1.0}, {"amp": "yes"}, {"scheduler": "cosine"}):
        with pytest.raises((ValueError, TypeError)):
            TrainingOptions(**bad)


def test_resolve_device():
    assert resolve_device("cpu") == CPU
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(UsageError, match="unknown device"):
        resolve_device("tpu-ish")
    if not torch.cuda.is_available():
        with pytest.raises(UsageError, match="CUDA is not available"):
            resolve_device("cuda")


def test_the_plateau_scheduler_is_stepped_on_every_batch_loss(monkeypatch):
    stepped: list[tuple[float, list[float]]] = []
    step = torch.optim.lr_scheduler.ReduceLROnPlateau.step

    def recording_step(self, metric, *args, **kwargs):
        step(self, metric, *args, **kwargs)
        stepped.append((metric, [group["lr"] for group in self.optimizer.param_groups]))

    monkeypatch.setattr(torch.optim.lr_scheduler.ReduceLROnPlateau, "step", recording_step)
    options = TrainingOptions(epochs=3, batch_size=8, lr=1e-2, plateau_patience=0, plateau_factor=0.5)
    plateau = train(gssnn(2), separable(), options, device=CPU, seed=3)
    assert len(stepped) == 3 * 4  # 32 training examples in batches of 8, three epochs
    assert all(math.isfinite(loss) for loss, _ in stepped)
    lrs = [lr for _, (lr, *_) in stepped]
    assert lrs[-1] < 1e-2 and lrs == sorted(lrs, reverse=True)  # patience 0: every worse loss halves it
    stepped.clear()
    unscheduled = train(gssnn(2), separable(), TrainingOptions(epochs=3, batch_size=8, lr=1e-2, scheduler="none"),
                        device=CPU, seed=3)
    assert stepped == [] and unscheduled.epoch_losses != plateau.epoch_losses
