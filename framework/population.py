"""Population training: many networks trained together, one batched pass per step.

The sequential trainer (:func:`framework.train`) runs one network's step as a
few hundred small kernels; on a GPU the launches, not the arithmetic, take the
time. Here the networks of a generation that have the same parameter names and
shapes (a *bucket*) are stacked (``torch.func.stack_module_state``) and run as
one network under ``torch.func.vmap`` over the unchanged modules, so one step
of the whole population costs about as many kernels as one member's.

Each member is trained exactly as :func:`framework.train` trains it alone:

* its graph: every candidate's injector is :meth:`~framework.Injector.padded`
  to the bucket's largest graph with ghost nodes and messages that no real
  node sees, and its readout leaves the ghosts out;
* its optimiser: Adam over the stacked parameters with a learning rate and a
  step count per member (:class:`PopulationAdam`), and ReduceLROnPlateau with
  per-member best, bad-step and cooldown counters (:class:`PopulationPlateau`),
  both stepped on every batch; the loss is the *sum* of the members' mean
  losses, so each member's gradient is exactly its own;
* its randomness: its data order from a generator seeded with its seed, and
  its dropout masks from the numbers its own generator draws, fed into the
  batched pass (:func:`framework.nn.functional.uniform_source`): on CPU the
  very numbers the sequential trainer draws for that member;
* its failure: a member whose loss is not finite is frozen (its parameters
  and optimiser state stop changing, by ``torch.where`` on an active mask)
  and reported with the sequential trainer's reason; the others go on.

A member's result therefore does not depend on which others train beside it.
Buckets of one, and buckets whose modules ``vmap`` cannot batch, are trained
by the sequential trainer. Chunks bound the memory: ``chunk`` members at a
time (on CUDA sized from free memory, halved on an out-of-memory error).
"""

from __future__ import annotations

import copy
import logging
import math
import time
from typing import Callable, Sequence

import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap
from torch.nn import functional as F

from framework.errors import FrameworkError
from framework.nn.functional import uniform_source
from framework.nn.injector import Injector
from framework.nn.model import GSSNN
from framework.task import TaskData
from framework.training import (
    TrainResult,
    _autocast,
    _deterministic,
    _logits,
    _loss_precision,
    failed_result,
    loss_failure,
    scored_result,
    train,
)
from framework.training_options import TrainingOptions

log = logging.getLogger(__name__)

#: ``on_result(index, result)``: a member's result, called in member order.
ResultCallback = Callable[[int, TrainResult], None]

#: Chunk size on CPU when none is given. Measured at the paper's sizes on an idle 2-core CPU
#: (docs/neural.md), the population step keeps up with the sequential loop up to P = 16 (0.94x
#: to 1.01x) and falls behind beyond (0.83x at P = 50: the stacked activations outgrow the
#: caches), so larger buckets train in chunks of this many.
CPU_CHUNK = 16


# -- grouping ----------------------------------------------------------------


def signature(model: nn.Module) -> tuple[object, ...]:
    """What members of one bucket share: parameter names, shapes and dtypes, and the shapes of
    buffers that padding does not reconcile (those of injectors that cannot be padded, and of
    every module that is not an injector)."""
    paddable = {
        name for name, module in model.named_modules() if isinstance(module, Injector) and module.element_buffers is not None
    }
    params = tuple((name, tuple(p.shape), p.dtype) for name, p in model.named_parameters())
    buffers = tuple(
        (name, tuple(b.shape), b.dtype)
        for name, b in model.named_buffers()
        if name.rpartition(".")[0] not in paddable
    )
    return params, buffers


def buckets(models: Sequence[nn.Module]) -> list[list[int]]:
    """Member indices grouped by :func:`signature`, each group and the groups in member order."""
    groups: dict[tuple[object, ...], list[int]] = {}
    for i, model in enumerate(models):
        groups.setdefault(signature(model), []).append(i)
    return list(groups.values())


def pad_graphs(models: Sequence[nn.Module]) -> list[nn.Module]:
    """Shallow copies of ``models`` (one bucket) whose injectors are padded to common sizes.

    Parameters are shared with the originals; every copy's injector is padded,
    even where its graph is already the largest, so all members read out the
    same way.
    """
    paths = [name for name, module in models[0].named_modules() if isinstance(module, Injector)]
    padded = list(models)
    for path in paths:
        injectors = [model.get_submodule(path) for model in models]
        if any(injector.element_buffers is None for injector in injectors):
            continue
        messages = max(injector.num_messages for injector in injectors)
        nodes = max(injector.num_nodes + (injector.num_messages < messages) for injector in injectors)
        rows = max(injector.edge_rows() for injector in injectors)
        padded = [
            _replace(model, path, injector.padded(nodes, rows, messages)) for model, injector in zip(padded, injectors)
        ]
        for model, injector in zip(padded, injectors):
            _count_ghosts(model, model.get_submodule(path), nodes - injector.num_nodes)
    return padded


def _count_ghosts(model: nn.Module, injector: Injector, ghosts: int) -> None:
    """The (copied) :class:`GSSNN` around a padded ``injector`` checks its outputs on the padded node count."""
    for module in model.modules():
        if isinstance(module, GSSNN) and module.injector is injector:
            module.num_nodes += ghosts


def _replace(root: nn.Module, path: str, module: nn.Module) -> nn.Module:
    """A shallow copy of ``root`` with the submodule at ``path`` replaced (copies along the path)."""
    head, _, rest = path.partition(".")
    new = copy.copy(root)
    new._modules = dict(root._modules)
    new._modules[head] = module if not rest else _replace(root._modules[head], rest, module)
    return new


# -- optimisation ------------------------------------------------------------


def _member_view(values: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """``values [P]`` shaped to broadcast over a stacked tensor ``[P, ...]``."""
    return values.view(-1, *([1] * (like.dim() - 1)))


class PopulationAdam:
    """Adam (``torch.optim.Adam``'s update, no weight decay) over stacked parameters ``[P, ...]``.

    Each member has its own learning rate (``lr [P]``, float64, changed by the
    scheduler) and step count. :meth:`step` updates only the members marked
    active and leaves the others' parameters and moments exactly as they were
    (a zero learning rate alone would not do: a NaN gradient would still
    poison the moments).

    On CPU the update is torch's fused Adam kernel (the one the sequential
    trainer uses, so the same arithmetic, element by element), called on each
    run of consecutive active members sharing a learning rate: the host knows
    the masks there for free. Elsewhere it is a handful of ``torch._foreach`` operations with the
    per-member rates broadcast, and the inactive members' gradient replaced by
    zero, their moment decay by one and their step size by zero (no host sync).
    """

    def __init__(self, params: list[torch.Tensor], lr: float, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, fused: bool | None = None) -> None:
        """``fused``: use the fused CPU kernel (default: on CPU when torch has it)."""
        self.params = params
        members, device = params[0].shape[0], params[0].device
        self.lr = torch.full((members,), lr, dtype=torch.float64, device=device)
        self.steps = torch.zeros(members, dtype=torch.float64, device=device)
        self.beta1, self.beta2, self.eps = betas[0], betas[1], eps
        self.exp_avg = [torch.zeros_like(p) for p in params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in params]
        self.grads: list[torch.Tensor] = []  # of the last step
        self.fused = device.type == "cpu" and hasattr(torch, "_fused_adam_") if fused is None else fused
        # Every active member has taken every step so far (a failure is final): one count serves them all.
        self._fused_count = torch.zeros((), dtype=torch.float32)

    def zero_grad(self) -> None:
        """Drop the gradients: backward then stores its own (zeroing and adding into kept ones costs
        two passes over every parameter of the population)."""
        for p in self.params:
            p.grad = None

    def step(self, active: torch.Tensor) -> None:
        """One update, with the parameters' ``.grad``, of the members where ``active [P]``."""
        self.grads = [torch.zeros_like(p) if p.grad is None else p.grad for p in self.params]
        self.steps += active
        if self.fused:
            self._fused_step(active)
        else:
            self._foreach_step(self.grads, active)

    def _fused_step(self, active: torch.Tensor) -> None:
        """The fused kernel on each run of consecutive active members with one learning rate
        (one run, the whole stack, until the plateaus part the members' rates)."""
        mask, rates = active.tolist(), self.lr.tolist()
        self._fused_count += 1
        runs: list[list] = []  # [start, stop, rate]
        for i, on in enumerate(mask):
            if not on:
                continue
            if runs and runs[-1][1] == i and runs[-1][2] == rates[i]:
                runs[-1][1] = i + 1
            else:
                runs.append([i, i + 1, rates[i]])
        members = len(mask)
        for start, stop, rate in runs:
            tensors = [self.params, self.grads, self.exp_avg, self.exp_avg_sq]
            if (start, stop) != (0, members):
                tensors = [[t[start:stop] for t in group] for group in tensors]
            torch._fused_adam_(*tensors, [], [self._fused_count] * len(self.params), amsgrad=False, lr=rate,
                               beta1=self.beta1, beta2=self.beta2, weight_decay=0.0, eps=self.eps,
                               maximize=False, grad_scale=None, found_inf=None)

    def _foreach_step(self, grads: Sequence[torch.Tensor], active: torch.Tensor) -> None:
        dtype = self.params[0].dtype
        steps = self.steps.clamp(min=1.0)  # a member frozen before its first step divides by nothing
        bias1 = 1.0 - self.beta1**steps
        bias2_sqrt = (1.0 - self.beta2**steps).sqrt().to(dtype)
        step_size = torch.where(active, self.lr / bias1, 0.0).to(dtype)
        on = active.to(dtype)  # where() of two Python numbers would round them to float32
        keep1 = on * (1.0 - self.beta1)
        decay2 = torch.where(active, on * self.beta2, 1.0)
        grads = [torch.where(_member_view(active, g), g, 0.0) for g in grads]
        torch._foreach_lerp_(self.exp_avg, grads, [_member_view(keep1, g) for g in grads])
        torch._foreach_mul_(self.exp_avg_sq, [_member_view(decay2, g) for g in grads])
        torch._foreach_addcmul_(self.exp_avg_sq, grads, grads, value=1.0 - self.beta2)
        denom = torch._foreach_sqrt(self.exp_avg_sq)
        torch._foreach_div_(denom, [_member_view(bias2_sqrt, g) for g in grads])
        torch._foreach_add_(denom, self.eps)
        update = torch._foreach_div(self.exp_avg, denom)
        torch._foreach_mul_(update, [_member_view(step_size, g) for g in grads])
        torch._foreach_sub_(self.params, update)


class PopulationPlateau:
    """``torch.optim.lr_scheduler.ReduceLROnPlateau`` (mode min, relative threshold) per member.

    Stepped with every member's loss ``[P]`` (float64) and the active mask;
    inactive members' state does not change. Halves (``factor``) the
    optimiser's ``lr`` in place where a member's plateau ends.
    """

    def __init__(self, optimizer: PopulationAdam, options: TrainingOptions) -> None:
        self.optimizer, self.options = optimizer, options
        like = optimizer.lr
        self.best = torch.full_like(like, math.inf)
        self.bad = torch.zeros_like(like)
        self.cooldown = torch.zeros_like(like)

    def step(self, losses: torch.Tensor, active: torch.Tensor) -> None:
        o = self.options
        better = losses < self.best * (1.0 - o.plateau_threshold)
        best = torch.where(better, losses, self.best)
        bad = torch.where(better, 0.0, self.bad + 1.0)
        in_cooldown = self.cooldown > 0
        cooldown = torch.where(in_cooldown, self.cooldown - 1.0, self.cooldown)
        bad = torch.where(in_cooldown, 0.0, bad)
        reduce = bad > o.plateau_patience
        lr = self.optimizer.lr
        new_lr = lr * o.plateau_factor
        reduce_lr = reduce & (lr - new_lr > 1e-8) & active  # torch's eps: too small a change is skipped
        self.optimizer.lr.copy_(torch.where(reduce_lr, new_lr, lr))
        cooldown = torch.where(reduce, float(o.plateau_cooldown), cooldown)
        bad = torch.where(reduce, 0.0, bad)
        self.best.copy_(torch.where(active, best, self.best))
        self.bad.copy_(torch.where(active, bad, self.bad))
        self.cooldown.copy_(torch.where(active, cooldown, self.cooldown))


# -- boundary checks ---------------------------------------------------------------


def check_boundaries(model: nn.Module, sample: torch.Tensor) -> None:
    """Run ``model``'s first-forward boundary checks (:class:`framework.GSSNN`) on ``sample``
    (on its device), before it is stacked: they read tensors on the host, which ``vmap``
    cannot, and they check a plugin's output against the member's own graph, not the padded
    one. A broken plugin raises :class:`framework.errors.PluginFault` as in the sequential
    trainer; afterwards the model (and the padded copies made from it) skips the checks.

    In evaluation mode without gradients: no dropout number is drawn, no state changes.
    """
    if all(m.checked for m in model.modules() if isinstance(m, GSSNN)):
        return
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(sample)
    finally:
        model.train(was_training)


# -- per-member dropout numbers ----------------------------------------------


def _record_shapes(model: nn.Module, x: torch.Tensor) -> list[list[torch.Size]]:
    """The shapes of the dropout masks ``model`` asks for in one training forward on ``x``, call by call."""
    calls: list[list[torch.Size]] = []

    def record(shapes: list[torch.Size], like: torch.Tensor) -> torch.Tensor:
        calls.append(list(shapes))
        return like.new_zeros(sum(math.prod(s) for s in shapes))

    model.train()
    with torch.no_grad(), uniform_source(record):
        model(x)
    return calls


class MemberUniforms:
    """Each member's dropout numbers, drawn from its own generator and laid out for the padded pass.

    The sequential trainer draws, per forward call of :func:`dropout_masks`,
    one ``torch.rand`` of all that call's masks from the generator seeded
    with the member's seed. This draws the same count from a generator seeded
    alike, then places every real mask inside its padded mask (ghost rows
    get 1: kept, never read).
    """

    def __init__(self, models: Sequence[nn.Module], padded: nn.Module, seeds: Sequence[int],
                 x: torch.Tensor, dtype: torch.dtype) -> None:
        self.models, self.padded, self.x, self.dtype = models, padded, x, dtype
        device = x.device
        self.generators = [torch.Generator(device=device).manual_seed(seed) for seed in seeds]
        self._layouts: dict[int, list[tuple[list[int], torch.Tensor, int]]] = {}

    def _layout(self, batch: int) -> list[tuple[list[int], torch.Tensor, int]]:
        """Per dropout call: each member's count, the flat positions of its numbers, the padded size."""
        if batch not in self._layouts:
            sample = self.x[:batch]
            padded_calls = _record_shapes(self.padded, sample)
            member_calls = [_record_shapes(model, sample) for model in self.models]
            layout = []
            for k, padded_shapes in enumerate(padded_calls):
                size = sum(math.prod(s) for s in padded_shapes)
                counts, positions = [], []
                for p, calls in enumerate(member_calls):
                    where = _positions(calls[k], padded_shapes) + p * size
                    counts.append(int(where.numel()))
                    positions.append(where)
                layout.append((counts, torch.cat(positions).to(self.x.device), size))
            self._layouts[batch] = layout
        return self._layouts[batch]

    def draw(self, batch: int) -> list[torch.Tensor]:
        """One step's numbers: per dropout call, a fresh ``[P, padded size]`` tensor."""
        members = len(self.generators)
        drawn = []
        for counts, positions, size in self._layout(batch):
            values = torch.empty(sum(counts), dtype=self.dtype, device=self.x.device)
            for part, generator in zip(values.split(counts), self.generators):
                torch.rand(part.shape, generator=generator, dtype=self.dtype, device=self.x.device, out=part)
            flat = torch.ones(members * size, dtype=self.dtype, device=self.x.device)
            drawn.append(flat.index_copy_(0, positions, values).view(members, size))
        return drawn


def _positions(real: list[torch.Size], padded: list[torch.Size]) -> torch.Tensor:
    """Where, in the flat padded masks, each number of the flat real masks goes (real order)."""
    if len(real) != len(padded) or any(len(r) != len(q) or any(a > b for a, b in zip(r, q)) for r, q in zip(real, padded)):
        raise ValueError(f"dropout masks {real} do not fit the padded masks {padded}")
    parts, offset = [], 0
    for r, q in zip(real, padded):
        grid = torch.arange(offset, offset + math.prod(q)).view(q)
        parts.append(grid[tuple(slice(0, n) for n in r)].flatten())
        offset += math.prod(q)
    return torch.cat(parts) if parts else torch.zeros(0, dtype=torch.long)


# -- training ------------------------------------------------------------------


def train_population(
    models: Sequence[nn.Module],
    seeds: Sequence[int],
    data: TaskData,
    options: TrainingOptions,
    *,
    device: torch.device,
    chunk: int | None = None,
    on_result: ResultCallback | None = None,
) -> list[TrainResult]:
    """Train every model as :func:`framework.train` would, batched where their shapes allow.

    ``models[i]`` is initialised and trained from ``seeds[i]``; results come
    back in member order, and ``on_result(i, result)`` hears each one as soon
    as it and every earlier member are done (a chunk at a time). Models are
    left on ``device`` with their trained parameters.
    """
    if len(models) != len(seeds):
        raise ValueError("one seed per model")
    results: dict[int, TrainResult] = {}
    reported = 0

    def finished(index: int, result: TrainResult) -> None:
        nonlocal reported
        results[index] = result
        while reported in results:
            if on_result is not None:
                on_result(reported, results[reported])
            reported += 1

    for bucket in buckets(models):
        size = chunk or default_chunk(models[bucket[0]], device)
        for start in range(0, len(bucket), size):
            _train_chunk([(i, models[i], seeds[i]) for i in bucket[start : start + size]], data, options, device, finished)
    return [results[i] for i in range(len(models))]


def default_chunk(model: nn.Module, device: torch.device) -> int:
    """Members per chunk: on CUDA, what three quarters of the free memory hold at a generous
    estimate per member (parameters, gradients, two moments, as much again for activations
    and padding, and 64 MiB); on CPU :data:`CPU_CHUNK`."""
    if device.type != "cuda":
        return CPU_CHUNK
    free, _ = torch.cuda.mem_get_info(device)
    per_member = 8 * sum(p.numel() * p.element_size() for p in model.parameters()) + (64 << 20)
    return max(1, int(free * 0.75) // per_member)


def _train_chunk(members: list[tuple[int, nn.Module, int]], data: TaskData, options: TrainingOptions,
                 device: torch.device, finished: ResultCallback) -> None:
    """Train one chunk; halve it on running out of device memory; train it one by one if it cannot be batched."""
    if len(members) == 1:
        index, model, seed = members[0]
        finished(index, _sequential(model, data, options, device, seed))
        return
    try:
        results = train_batched([m for _, m, _ in members], [s for _, _, s in members], data, options, device)
    except torch.OutOfMemoryError:
        half = len(members) // 2
        torch.cuda.empty_cache()
        _train_chunk(members[:half], data, options, device, finished)
        _train_chunk(members[half:], data, options, device, finished)
        return
    except (RuntimeError, ValueError, NotImplementedError) as exc:  # an op vmap cannot batch, a graph that cannot pad
        log.warning("population training fell back to one network at a time: %s", exc)
        for index, model, seed in members:
            finished(index, _sequential(model, data, options, device, seed))
        return
    for (index, _, _), result in zip(members, results):
        finished(index, result)


def _sequential(model: nn.Module, data: TaskData, options: TrainingOptions, device: torch.device,
                seed: int) -> TrainResult:
    """:func:`framework.train`, a plugin's exception becoming a failed result (as the engine's trainer)."""
    started = time.perf_counter()
    try:
        return train(model, data, options, device=device, seed=seed)
    except FrameworkError:
        raise
    except Exception as exc:
        return failed_result((), time.perf_counter() - started, f"{type(exc).__name__}: {exc}")


#: ``inspect(step, logits [P, B], gradients [P, ...] (parameter order), learning_rates [P])``
#: after every step: :data:`framework.training.StepInspector` for the whole population.
PopulationInspector = Callable[[int, torch.Tensor, list[torch.Tensor], torch.Tensor], None]


def train_batched(models: Sequence[nn.Module], seeds: Sequence[int], data: TaskData, options: TrainingOptions,
                  device: torch.device, inspect: PopulationInspector | None = None) -> list[TrainResult]:
    """Train ``models`` (one bucket, at least one) together in one batched pass per step.

    The core of :func:`train_population` (the module docstring says how),
    without its bucketing, chunking and fall-backs: errors propagate.
    """
    started = time.perf_counter()
    population = StackedPopulation(models, seeds, data, options, device)
    with _deterministic(device):
        for _ in range(options.epochs):
            orders = population.epoch_orders()
            for start in range(0, population.n, options.batch_size):
                logits, grads = population.step(orders[:, start : start + options.batch_size])
                if inspect is not None:
                    inspect(population.steps, logits.detach(), list(grads), population.optimizer.lr.clone())
            if not population.end_epoch():
                break
        return population.results((time.perf_counter() - started) / len(models))


class StackedPopulation:
    """One chunk of a bucket, stacked: every member's state, and one training step for all.

    :meth:`step` is one optimiser step of the whole population on a batch of
    sample indices per member, :meth:`end_epoch` closes an epoch's books and
    :meth:`results` writes the trained parameters back into the models and
    scores them.
    """

    def __init__(self, models: Sequence[nn.Module], seeds: Sequence[int], data: TaskData,
                 options: TrainingOptions, device: torch.device) -> None:
        self.models, self.data, self.options, self.device = models, data, options, device
        members = len(models)
        for model in models:
            model.to(device)
        self.x, self.y = data.train.x.to(device), data.train.y.to(device).float()
        for model in models:
            check_boundaries(model, self.x[: options.batch_size])
        padded = pad_graphs(models)
        self.params, self.buffers = stack_module_state(padded)
        # In the default layout: a member's channels-last convolution weight stacks into a tensor that
        # vmap's batched convolution would copy twice per call; its function is layout-blind.
        self.params = {name: p.detach().contiguous().requires_grad_() for name, p in self.params.items()}
        self.param_list = list(self.params.values())
        if len({p.dtype for p in self.param_list}) != 1:
            raise ValueError("population training needs one parameter dtype")
        template = copy.deepcopy(padded[0]).to("meta")  # the code that runs; its tensors come from the stacks
        template.train()
        self.n = len(self.y)
        self.uniforms = MemberUniforms(models, padded[0], seeds, self.x, self.param_list[0].dtype)
        self.order_generators = [torch.Generator().manual_seed(seed) for seed in seeds]
        self.optimizer = PopulationAdam(self.param_list, options.lr)
        self.scheduler = PopulationPlateau(self.optimizer, options)

        def member_logits(member_params, member_buffers, member_uniforms, inputs):
            feed = iter(member_uniforms)
            with uniform_source(lambda shapes, like: next(feed)):
                return _logits(functional_call(template, (member_params, member_buffers), (inputs,)))

        # randomness="error": every random number must come from the members' own generators
        self.batched_logits = vmap(member_logits, randomness="error")
        self.active = torch.ones(members, dtype=torch.bool, device=device)
        self.fail_step = torch.zeros(members, dtype=torch.long, device=device)
        self.fail_loss = torch.zeros(members, dtype=torch.float64, device=device)
        self.epoch_losses = torch.zeros(members, options.epochs, dtype=torch.float64, device=device)
        self.epochs_run = torch.zeros(members, dtype=torch.long, device=device)
        self.loss_sum = torch.zeros(members, dtype=torch.float64, device=device)
        self.steps = self.epochs = 0

    def epoch_orders(self) -> torch.Tensor:
        """Each member's sample order for the next epoch ``[P, n]`` (its own generator, as :func:`train`)."""
        if not self.options.shuffle:
            return torch.arange(self.n, device=self.device).expand(len(self.models), self.n)
        return torch.stack([torch.randperm(self.n, generator=g) for g in self.order_generators]).to(self.device)

    def step(self, batch: torch.Tensor) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
        """One optimiser step of every active member on its samples ``batch [P, b]``: logits and gradients."""
        options, active = self.options, self.active
        size = batch.shape[1]
        with _autocast(self.device, options.amp):
            logits = self.batched_logits(self.params, self.buffers, self.uniforms.draw(size), self.x[batch])
        logits = _loss_precision(logits)
        losses = F.binary_cross_entropy_with_logits(logits, self.y[batch], reduction="none").mean(dim=1)
        self.steps += 1
        values = losses.detach().double()
        finite = torch.isfinite(values)
        failing = active & ~finite
        self.fail_step = torch.where(failing, self.steps, self.fail_step)
        self.fail_loss = torch.where(failing, values, self.fail_loss)
        self.active = active = active & finite
        self.optimizer.zero_grad()
        torch.where(active, losses, 0.0).sum().backward()  # summed: each member gets its own gradient
        with torch.no_grad():
            self.optimizer.step(active)
            if options.scheduler == "plateau":
                self.scheduler.step(values, active)
        self.loss_sum = self.loss_sum + torch.where(active, values * size, 0.0)
        return logits, tuple(self.optimizer.grads)

    def end_epoch(self) -> bool:
        """Record the epoch's mean loss of the members still training; whether any still are."""
        self.epoch_losses[:, self.epochs] = torch.where(self.active, self.loss_sum / self.n,
                                                        self.epoch_losses[:, self.epochs])
        self.epochs_run += self.active
        self.epochs += 1
        self.loss_sum = torch.zeros_like(self.loss_sum)
        return bool(self.active.any())  # one host sync per epoch

    def results(self, seconds: float) -> list[TrainResult]:
        """Write the trained parameters back into the models; each member's result (scored by :func:`train`'s
        :func:`~framework.training.scored_result`)."""
        with torch.no_grad():
            for i, model in enumerate(self.models):
                for name, parameter in model.named_parameters():
                    parameter.copy_(self.params[name][i])
        batches = math.ceil(self.n / self.options.batch_size)
        results = []
        for i, model in enumerate(self.models):
            losses = tuple(float(v) for v in self.epoch_losses[i, : int(self.epochs_run[i])])
            step = int(self.fail_step[i])
            if step:
                reason = loss_failure(float(self.fail_loss[i]), step, (step - 1) // batches + 1)
                results.append(failed_result(losses, seconds, reason))
            else:
                results.append(scored_result(model, self.data, self.options, self.device, losses, lambda: seconds))
        return results
