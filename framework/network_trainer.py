"""Training one network of a run, as a value an executor can ship to another process.

The engine hands executors a :class:`NetworkTrainer`: ``trainer(job)`` builds
and trains the job's network (a candidate's G-SSNN, or the encoder alone for
the baseline arm) and returns a :class:`framework.networks.Trained`: its
scores and, unless it failed, its weights as safetensors bytes, which the
engine saves; ``trainer.lost(job, reason)`` is what an executor records for a
job it could not finish (its worker died on every attempt). With ``[start]
weights``, each network is first warm-started from the source run
(:mod:`framework.transfer`).

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
    from framework.task import TaskData


class NetworkTrainer:
    """Builds and trains the network of one job (see the module's docstring)."""

    def __init__(self, spec: Spec, spec_dir: Path, registry: Registry | None = None,
                 data: TaskData | None = None, console: Console | None = None) -> None:
        self.spec, self.spec_dir, self.console = spec, Path(spec_dir), console
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

    def build_model(self, graph: PortGraph | None) -> Any:
        """The network of a candidate's graph, or the baseline encoder for None."""
        return build_network(self.registry, self.spec.model, self.data.input_shape, graph)

    def __call__(self, job: Any) -> Trained:
        """Build and train one network; any failure becomes a failed score, never a crash.

        A candidate's graph is checked against the ``PortGraph`` invariants first, and
        the network's stages at its first forward: a fault names the plugin.
        """
        from framework.networks import weights_of
        from framework.nn.progress import TrainingProgress
        from framework.training import resolve_device, seed_everything, train

        spec, console = self.spec, self.console
        graph = job.candidate.graph if job.candidate else None
        violations = port_graph_violations(graph) if graph is not None else []
        if violations:
            fault = PluginFault("domain", "to_graph built an invalid PortGraph: " + "; ".join(violations))
            return Trained(steps.failed_scores(name_fault(spec, fault)))
        try:
            device = resolve_device(spec.run.device)  # the worker's own device
            seed_everything(job.seed)
            model = self.build_model(graph)
            start = self.start.warm_start(model, graph) if self.start is not None else None
            if console is not None and console.is_terminal:  # a live bar; logs and pipes get the summary line
                with TrainingProgress(console, transient=True) as bars:
                    result = train(model, self.data, spec.training, device=device, seed=job.seed,
                                   progress=bars.callback(f"  {job.key}"))
            else:
                result = train(model, self.data, spec.training, device=device, seed=job.seed)
        except PluginFault as exc:
            return Trained(steps.failed_scores(name_fault(spec, exc)))
        except FrameworkError:
            raise
        except Exception as exc:  # a plugin failing on one candidate must not end the run
            return Trained(steps.failed_scores(f"{type(exc).__name__}: {exc}"))
        if result.failed:
            return Trained(steps.scores_of(result), start=start)
        return Trained(steps.scores_of(result), weights_of(model), sum(p.numel() for p in model.parameters()), start)

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
