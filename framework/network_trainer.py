"""Training one network of a run, as a value an executor can ship to another process.

The engine hands executors a :class:`NetworkTrainer`: ``trainer(job)`` builds
and trains the job's network (a candidate's G-SSNN, or the encoder alone for
the baseline arm) and returns a :class:`framework.networks.Trained`: its
scores and, unless it failed, its weights as safetensors bytes, which the
engine saves; ``trainer.lost(job, reason)`` is what an executor records for a
job it could not finish (its worker died on every attempt). With ``[start]
weights``, each network is first warm-started from the source run
(:mod:`framework.transfer`).

An executor that trains the networks its own way (``population`` batches a
generation) uses the parts: ``build(job)`` (the job's network, initialised
from its seed and warm-started, with the warm start's record), ``data``,
``training`` (the spec's ``[training]``), ``device``, ``trained(model, result,
start)`` (a trained network as the engine's result), ``failure(exc)`` (a
plugin's exception as a failed result) and ``record(name)`` (which executor
trained the networks: the run directory's ``executor.json``).

Pickled, a trainer carries only the spec and the folder it was read from.
In another process (a process pool, a Ray worker) it rebuilds the plugin
registry from the spec's ``[plugins]`` and loads the task again, from the
task's cache where the machine has it, otherwise by generating it (tasks are
deterministic in ``run.seed``), so the driver never ships tensors.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from framework import steps
from framework.errors import FrameworkError, PluginFault
from framework.graph import PortGraph, port_graph_violations
from framework.networks import Trained, build_network
from framework.plugins import build_plugin
from framework.spec import Spec, spec_to_toml
from framework.transfer import Start, open_start

if TYPE_CHECKING:
    from rich.console import Console

    from framework._registry import Registry
    from framework.run_dir import RunDir
    from framework.task import TaskData
    from framework.training import TrainResult
    from framework.training_options import TrainingOptions


class NetworkTrainer:
    """Builds and trains the network of one job (see the module's docstring)."""

    def __init__(self, spec: Spec, spec_dir: Path, registry: Registry | None = None,
                 data: TaskData | None = None, console: Console | None = None,
                 run_dir: RunDir | None = None) -> None:
        self.spec, self.spec_dir, self.console, self.run_dir = spec, Path(spec_dir), console, run_dir
        self._registry, self._data = registry, data
        self._start: Start | None | bool = False  # False: not opened yet (workers open it on first use)

    def __getstate__(self) -> dict[str, Any]:
        return {"spec": self.spec, "spec_dir": self.spec_dir}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["spec"], state["spec_dir"])  # type: ignore[misc]

    @property
    def registry(self) -> Registry:
        if self._registry is None:
            self._registry, self._data = _worker_plugins_and_data(self.spec, self.spec_dir)
        return self._registry

    @property
    def data(self) -> TaskData:
        if self._data is None:
            self._registry, self._data = _worker_plugins_and_data(self.spec, self.spec_dir)
        return self._data

    @property
    def start(self) -> Start | None:
        """The run the networks are warm-started from (``[start]``), or None."""
        if self._start is False:
            self._start = open_start(self.spec)
        return self._start  # type: ignore[return-value]

    @property
    def training(self) -> TrainingOptions:
        """The spec's ``[training]``."""
        return self.spec.training

    @property
    def device(self) -> Any:
        """The ``torch.device`` this process trains on (each worker resolves its own)."""
        from framework.training import resolve_device

        return resolve_device(self.spec.run.device)

    def build_model(self, graph: PortGraph | None) -> Any:
        """The network of a candidate's graph, or the baseline encoder for None."""
        return build_network(self.registry, self.spec.model, self.data.input_shape, graph)

    def build(self, job: Any) -> tuple[Any, Any]:
        """The job's network, initialised from ``job.seed`` and warm-started under ``[start]``,
        and the warm start's record (None without ``[start] weights``). A candidate's graph
        is checked against the ``PortGraph`` invariants first (a ``PluginFault`` of the domain)."""
        from framework.training import seed_everything

        graph = job.candidate.graph if job.candidate else None
        violations = port_graph_violations(graph) if graph is not None else []
        if violations:
            raise PluginFault("domain", "to_graph built an invalid PortGraph: " + "; ".join(violations))
        seed_everything(job.seed)
        model = self.build_model(graph)
        return model, self.start.warm_start(model, graph) if self.start is not None else None

    def __call__(self, job: Any) -> Trained:
        """Build and train one network; any failure becomes a failed score, never a crash.

        A candidate's graph is checked against the ``PortGraph`` invariants first, and
        the network's stages at its first forward: a fault names the plugin.
        """
        from framework.nn.progress import TrainingProgress
        from framework.training import train

        spec, console = self.spec, self.console
        try:
            device = self.device
            model, start = self.build(job)
            if console is not None and console.is_terminal:  # a live bar; logs and pipes get the summary line
                with TrainingProgress(console, transient=True) as bars:
                    result = train(model, self.data, spec.training, device=device, seed=job.seed,
                                   progress=bars.callback(f"  {job.key}"))
            else:
                result = train(model, self.data, spec.training, device=device, seed=job.seed)
        except Exception as exc:  # a plugin failing on one candidate must not end the run
            return self.failure(exc)
        return self.trained(model, result, start)

    def trained(self, model: Any, result: TrainResult, start: Any = None) -> Trained:
        """A trained network as the engine records it: its scores and, unless it failed, its weights."""
        from framework.networks import weights_of

        if result.failed:
            return Trained(steps.scores_of(result), start=start)
        return Trained(steps.scores_of(result), weights_of(model), sum(p.numel() for p in model.parameters()), start)

    def failure(self, exc: Exception) -> Trained:
        """A plugin's exception as a failed result (a ``PluginFault`` names the plugin);
        the framework's own errors stop the run."""
        if isinstance(exc, PluginFault):
            return Trained(steps.failed_scores(name_fault(self.spec, exc)))
        if isinstance(exc, FrameworkError):
            raise exc
        return Trained(steps.failed_scores(f"{type(exc).__name__}: {exc}"))

    def record(self, executor: str) -> None:
        """Which executor trains the networks, and on which device (``executor.json``; driver only)."""
        from framework.store import write_json_atomic

        if self.run_dir is not None:
            write_json_atomic(self.run_dir.executor, {"executor": executor, "device": str(self.device)})

    def lost(self, job: Any, reason: str) -> Trained:
        return Trained(steps.failed_scores(f"lost: {reason}"))


def name_fault(spec: Spec, fault: PluginFault) -> str:
    """The fault's message with the run's plugin of that kind named: ``injector 'random-walk': ...``."""
    choices = {"encoder": spec.model.encoder, "injector": spec.model.injector, "backbone": spec.model.backbone,
               "selector": spec.population.selector, "domain": spec.domain}
    choice = choices.get(fault.kind)
    return f"{fault.kind} {choice.plugin!r}: {fault}" if choice else f"{fault.kind}: {fault}"


#: The last spec's registry and data in this worker process: a worker trains many
#: networks of one run in a row, and loading a task (RAVEN) takes seconds to minutes.
_worker_cache: dict[str, tuple[Registry, TaskData]] = {}


def _worker_plugins_and_data(spec: Spec, spec_dir: Path) -> tuple[Registry, TaskData]:
    from framework.plugins import build_registry
    from framework.run_dir import cache_dir

    key = f"{spec_dir}\n{spec_to_toml(spec)}"
    if key not in _worker_cache:
        registry = build_registry(spec.plugins.modules, spec.plugins.paths, base_dir=spec_dir)
        task = spec.task
        data = build_plugin(registry, task.kind, task.plugin, task.options).load(cache_dir(), spec.run.seed)
        _worker_cache.clear()
        _worker_cache[key] = (registry, data)
    return _worker_cache[key]
