"""Training one candidate network on a task: the paper's recipe, configurable.

The recipe (gssnn.md): BCE-with-logits, Adam, ReduceLROnPlateau stepped on
every batch's loss, batch 8, 16 epochs, accuracy ``round(sigmoid(logit)) ==
target``. :class:`TrainingOptions` is the ``[training]`` table of the spec, so
its field names are what users write.

Determinism: :func:`train` seeds python, numpy and torch and draws batches
from its own generator, so two runs with the same seed, model initialisation
and device give identical results on CPU. Seed before building the model too
(:func:`seed_everything`) so the initial weights repeat.
"""

from __future__ import annotations

import contextlib
import math
import random
import time
from typing import Callable, Iterator, Sequence

import numpy as np
import torch
from attrs import field, frozen
from attrs.validators import instance_of, optional
from torch import nn
from torch.nn import functional as F

from framework.errors import UsageError
from framework.task import Split, TaskData
from framework.training_options import TrainingOptions

#: ``progress(step, total_steps, loss, running_accuracy)``, called after every training step.
ProgressCallback = Callable[[int, int, float, float], None]

#: ``inspect(step, logits, gradients, learning_rate)`` after every optimiser step: the batch's
#: logits, every parameter's gradient (``named_parameters`` order) and the learning rate the next
#: step will use. For tests that hold one trainer against another.
StepInspector = Callable[[int, torch.Tensor, list[torch.Tensor], float], None]


@frozen
class TrainResult:
    """What training one network produced. Metrics are None for an empty split or a failed run.

    Attributes:
        train_accuracy, select_accuracy, eval_accuracy: accuracy on each split
            after training (eval mode, no dropout).
        train_f1, select_f1, eval_f1: F1 of the positive class (0 when there
            are neither predicted nor true positives).
        final_loss: mean training loss of the last completed epoch.
        epoch_losses: mean training loss of every completed epoch.
        epochs_run: completed epochs.
        seconds: wall time of the whole call.
        failed: why training stopped early (a non-finite loss), else None.
    """

    train_accuracy: float | None
    select_accuracy: float | None
    eval_accuracy: float | None
    train_f1: float | None
    select_f1: float | None
    eval_f1: float | None
    final_loss: float | None
    epoch_losses: tuple[float, ...]
    epochs_run: int
    seconds: float
    failed: str | None = field(default=None, validator=optional(instance_of(str)))


def resolve_device(name: str) -> torch.device:
    """``"auto"`` -> CUDA when present, else CPU; ``"cpu"``, ``"cuda"``, ``"cuda:1"`` as named.

    Raises UsageError for a CUDA device that is not available.
    """
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise UsageError(f"unknown device {name!r}; use 'auto', 'cpu' or 'cuda[:index]'") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UsageError(f"device {name!r} requested but CUDA is not available (use 'auto' or 'cpu')")
    return device


def seed_everything(seed: int) -> None:
    """Seed python's ``random``, numpy and torch (all devices)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


@contextlib.contextmanager
def _deterministic(device: torch.device) -> Iterator[None]:
    """Deterministic algorithms on CPU for the duration (cheap there); CUDA is left as is.

    Without filling fresh tensors with NaN (torch's default in this mode): a debugging aid
    against kernels that read memory they never wrote, it costs a full write of every
    allocation, a tenth of a population step on CPU, and changes no correct result.
    """
    if device.type != "cpu":
        yield
        return
    previous = torch.are_deterministic_algorithms_enabled()
    previous_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    previous_fill = torch.utils.deterministic.fill_uninitialized_memory
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.utils.deterministic.fill_uninitialized_memory = False
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(previous, warn_only=previous_warn)
        torch.utils.deterministic.fill_uninitialized_memory = previous_fill


def _logits(output: torch.Tensor) -> torch.Tensor:
    if output.dim() == 2 and output.shape[1] == 1:
        return output[:, 0]
    if output.dim() == 1:
        return output
    raise UsageError(f"a binary task needs one logit per sample, the model returned shape {tuple(output.shape)}")


def _loss_precision(logits: torch.Tensor) -> torch.Tensor:
    """Logits as the loss takes them: float32 from autocast's bf16, float64 kept (exact tests)."""
    return logits if logits.dtype == torch.float64 else logits.float()


def _autocast(device: torch.device, amp: bool | str) -> contextlib.AbstractContextManager[object]:
    enabled = device.type == "cuda" and amp in (True, "auto")
    if not enabled:
        return contextlib.nullcontext()
    return torch.autocast(device_type="cuda", dtype=torch.bfloat16)


def binary_scores(logits: torch.Tensor, targets: torch.Tensor) -> tuple[float, float]:
    """Accuracy and positive-class F1 of ``logits > 0`` (``round(sigmoid) == 1``) against 0/1 targets."""
    predicted = logits > 0
    actual = targets > 0.5
    accuracy = (predicted == actual).float().mean().item()
    tp = (predicted & actual).sum().item()
    wrong = (predicted != actual).sum().item()
    f1 = 2 * tp / (2 * tp + wrong) if tp + wrong else 0.0
    return accuracy, f1


def evaluate(
    model: nn.Module, split: Split, *, device: torch.device, batch_size: int = 256, amp: bool | str = "auto"
) -> tuple[float, float] | None:
    """Accuracy and F1 of ``model`` on ``split`` in eval mode without gradients; None if the split is empty.

    :raises NonFiniteLogits: a logit is NaN or infinite.
    """
    if len(split.y) == 0:
        return None
    model.eval()
    chunks = []
    with torch.no_grad(), _autocast(device, amp):
        for start in range(0, len(split.y), batch_size):
            chunks.append(_logits(model(split.x[start : start + batch_size].to(device))).float())
    logits = torch.cat(chunks).cpu()
    bad = int((~torch.isfinite(logits)).sum())
    if bad:
        raise NonFiniteLogits(f"{bad} of {len(logits)} logits are not finite in eval mode")
    return binary_scores(logits, split.y)


class NonFiniteLogits(ValueError):
    """A split's logits held NaN or infinity: the network's scores on it would mean nothing."""


def build_optimizer(
    model: nn.Module, options: TrainingOptions, device: torch.device
) -> tuple[torch.optim.Adam, torch.optim.lr_scheduler.ReduceLROnPlateau]:
    """Adam at ``options.lr`` and its ReduceLROnPlateau (to step on each batch's loss).

    Adam is the fused implementation on CPU and CUDA: the same update rule,
    and on CPU about 3x faster than the default for the paper's encoder
    (9 ms instead of 32 ms per step on one thread). Torch before 2.4 has no
    fused CPU Adam (the DGL environment runs torch 2.2): there, the default.
    """
    try:
        optimizer = torch.optim.Adam(model.parameters(), lr=options.lr, fused=device.type in ("cpu", "cuda"))
    except RuntimeError:  # "fused=True requires all the params to be ... CUDA" on older torch
        optimizer = torch.optim.Adam(model.parameters(), lr=options.lr)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer,
        mode="min",
        factor=options.plateau_factor,
        patience=options.plateau_patience,
        threshold=options.plateau_threshold,
        cooldown=options.plateau_cooldown,
    )
    return optimizer, scheduler


def train_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.ReduceLROnPlateau,
    x: torch.Tensor,
    y: torch.Tensor,
    options: TrainingOptions,
    device: torch.device,
) -> tuple[torch.Tensor, float]:
    """One step of :func:`train` on the batch ``(x, y)``: the logits and the loss.

    BCE-with-logits, backward, the optimiser's step and the scheduler's (on
    the loss, when ``options.scheduler`` is ``"plateau"``). A non-finite loss
    is returned before anything changes.
    """
    with _autocast(device, options.amp):
        logits = _loss_precision(_logits(model(x)))
    loss = F.binary_cross_entropy_with_logits(logits, y)
    loss_value = loss.item()
    if not math.isfinite(loss_value):
        return logits, loss_value
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    if options.scheduler == "plateau":
        scheduler.step(loss_value)
    return logits, loss_value


def train(
    model: nn.Module,
    data: TaskData,
    options: TrainingOptions,
    *,
    device: torch.device,
    seed: int,
    progress: ProgressCallback | None = None,
    inspect: StepInspector | None = None,
) -> TrainResult:
    """Train ``model`` (logits ``[B]`` or ``[B, 1]``) on ``data.train`` and score every split.

    A non-finite loss stops training, and a non-finite logit in scoring any
    split fails the result too: ``failed`` says where; nothing is raised. The model is left on ``device``.
    """
    started = time.perf_counter()
    seed_everything(seed)
    order_generator = torch.Generator().manual_seed(seed)
    model.to(device)
    optimizer, scheduler = build_optimizer(model, options, device)
    x, y = data.train.x.to(device), data.train.y.to(device).float()
    n = len(y)
    total_steps = options.epochs * math.ceil(n / options.batch_size)
    epoch_losses: list[float] = []
    step = 0
    with _deterministic(device):
        for epoch in range(options.epochs):
            model.train()
            order = torch.randperm(n, generator=order_generator) if options.shuffle else torch.arange(n)
            loss_sum, correct = 0.0, 0
            for start in range(0, n, options.batch_size):
                batch = order[start : start + options.batch_size].to(device)
                logits, loss_value = train_step(model, optimizer, scheduler, x[batch], y[batch], options, device)
                step += 1
                if not math.isfinite(loss_value):
                    return failed_result(epoch_losses, time.perf_counter() - started,
                                         loss_failure(loss_value, step, epoch + 1))
                if inspect is not None:
                    grads = [p.grad for p in model.parameters()]
                    inspect(step, logits.detach(), grads, optimizer.param_groups[0]["lr"])
                loss_sum += loss_value * len(batch)
                correct += int(((logits.detach() > 0) == (y[batch] > 0.5)).sum())
                if progress is not None:
                    progress(step, total_steps, loss_value, correct / min(start + len(batch), n))
            epoch_losses.append(loss_sum / n)
        return scored_result(model, data, options, device, epoch_losses, lambda: time.perf_counter() - started)


def scored_result(model: nn.Module, data: TaskData, options: TrainingOptions, device: torch.device,
                  epoch_losses: Sequence[float], seconds: Callable[[], float]) -> TrainResult:
    """The result of a trained ``model``: accuracy and F1 on every split, or failed on the first
    split whose logits are not finite. ``seconds()`` gives the time to record, once scored."""
    scores = {}
    for name, split in (("train", data.train), ("select", data.select), ("eval", data.eval)):
        try:
            scores[name] = evaluate(model, split, device=device, batch_size=options.eval_batch_size, amp=options.amp)
        except NonFiniteLogits as exc:
            return failed_result(epoch_losses, seconds(), f"{name} split: {exc}")
    return TrainResult(
        train_accuracy=_at(scores["train"], 0),
        select_accuracy=_at(scores["select"], 0),
        eval_accuracy=_at(scores["eval"], 0),
        train_f1=_at(scores["train"], 1),
        select_f1=_at(scores["select"], 1),
        eval_f1=_at(scores["eval"], 1),
        final_loss=epoch_losses[-1] if epoch_losses else None,
        epoch_losses=tuple(epoch_losses),
        epochs_run=len(epoch_losses),
        seconds=seconds(),
    )


def _at(scores: tuple[float, float] | None, i: int) -> float | None:
    return None if scores is None else scores[i]


def loss_failure(loss: float, step: int, epoch: int) -> str:
    """Why a training stopped whose loss was ``loss`` at ``step`` (counted from 1) of ``epoch`` (from 1)."""
    return f"loss became {loss} at step {step} (epoch {epoch})"


def failed_result(epoch_losses: Sequence[float], seconds: float, reason: str) -> TrainResult:
    """The result of a training that failed for ``reason`` after ``epoch_losses``: no scores."""
    return TrainResult(
        train_accuracy=None,
        select_accuracy=None,
        eval_accuracy=None,
        train_f1=None,
        select_f1=None,
        eval_f1=None,
        final_loss=epoch_losses[-1] if epoch_losses else None,
        epoch_losses=tuple(epoch_losses),
        epochs_run=len(epoch_losses),
        seconds=seconds,
        failed=reason,
    )
