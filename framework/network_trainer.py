"""Training one network of a run, as a value an executor can ship to another process.

The engine hands executors a :class:`NetworkTrainer`: ``trainer(job)`` builds
and trains the job's network (a candidate's G-SSNN, or the encoder alone for
the baseline arm) and returns its :class:`Scores`; ``trainer.lost(job,
reason)`` is the score an executor records for a job it could not finish
(its worker died on every attempt).

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
from framework.errors import FrameworkError
from framework.graph import PortGraph
from framework.plugins import build_plugin
from framework.run_state import Scores
from framework.spec import PluginChoice, Spec, spec_to_toml

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

    def build_model(self, graph: PortGraph | None) -> Any:
        """The network of a candidate's graph, or the baseline encoder for None."""
        from framework.nn import GSSNN, GraphIndex

        model, shape = self.spec.model, self.data.input_shape
        if graph is None:
            return self._build(model.encoder, shape, 1)
        encoder = self._build(model.encoder, shape, model.dim)
        injector = self._build(model.injector, GraphIndex.from_port_graph(graph), model.dim, graph.max_conn)
        backbone = self._build(model.backbone, model.dim)
        return GSSNN(encoder, injector, backbone, model.dim, out_dim=1)

    def _build(self, choice: PluginChoice, *factory_args: Any) -> Any:
        return build_plugin(self.registry, choice.kind, choice.plugin, choice.options, *factory_args)

    def __call__(self, job: Any) -> Scores:
        """Build and train one network; any failure becomes a failed score, never a crash."""
        from framework.nn.progress import TrainingProgress
        from framework.training import resolve_device, seed_everything, train

        spec, console = self.spec, self.console
        try:
            device = resolve_device(spec.run.device)  # the worker's own device
            seed_everything(job.seed)
            model = self.build_model(job.candidate.graph if job.candidate else None)
            if console is not None and console.is_terminal:  # a live bar; logs and pipes get the summary line
                with TrainingProgress(console, transient=True) as bars:
                    result = train(model, self.data, spec.training, device=device, seed=job.seed,
                                   progress=bars.callback(f"  {job.key}"))
            else:
                result = train(model, self.data, spec.training, device=device, seed=job.seed)
        except FrameworkError:
            raise
        except Exception as exc:  # a plugin failing on one candidate must not end the run
            return steps.failed_scores(f"{type(exc).__name__}: {exc}")
        return steps.scores_of(result)

    def lost(self, job: Any, reason: str) -> Scores:
        return steps.failed_scores(f"lost: {reason}")


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
