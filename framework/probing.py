"""Probes: which parts of a trained network (and of its program) it relies on.

A probe plugin (``register_probes``) is built by ``factory(options)`` and has
``run(subject: ProbeSubject) -> ProbeReport`` (:class:`framework.contracts.Probe`). The subject is a saved network
in eval mode with the split to measure on and what is known of its graph;
the report ranks parts (each with its accuracy drop and loss increase and
their bootstrap intervals over the split) and may add method-specific
figures in ``details``. ``framework probe`` (``framework.cli_networks``)
builds the subject, runs the probe, writes ``probes/<id>/<method>.json`` and
draws the graph coloured by importance.

The helpers here are what every probe needs: per-sample correctness and loss
(:func:`per_sample`), paired bootstrap intervals (:func:`part_score`) and the
ranking rule (:func:`rank`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from attrs import field, frozen

if TYPE_CHECKING:
    import numpy as np
    import torch
    from torch import nn

    from framework.graph import PortGraph
    from framework.task import Split, TaskData

#: Part kinds, in the order that breaks ties of equal effect (the most specific first).
PART_KINDS = ("edge", "node", "chunk", "position", "production", "subnetwork")


@frozen
class ProbeSubject:
    """What a probe looks at.

    Attributes:
        module: the network, in eval mode.
        candidate: its id.
        split: the samples to measure on (``split_name`` of the run's task).
        graph: the candidate's port graph (None for a baseline network).
        productions: per pre-order node of the program, ``"<index>: <production>"``.
        provenance: element id -> index into ``productions`` of the node that built it
            (empty when the domain cannot say).
        registry: the plugins, for probes that need another task.
        cache_dir: where tasks cache their data.
        task: the run's ``[task]`` table; ``run_seed`` its seed (see :meth:`load_task`).
        seed: for every random draw of the probe.
    """

    module: nn.Module
    candidate: str
    split: Split
    split_name: str
    graph: PortGraph | None
    productions: tuple[str, ...] = ()
    provenance: dict[int, int] = field(factory=dict)
    registry: Any = None
    cache_dir: Any = None
    task: dict[str, Any] = field(factory=dict)
    run_seed: int = 0
    seed: int = 0

    def load_task(self, table: dict[str, Any] | None = None) -> TaskData:
        """The data of a task table (``{"plugin": ..., option: value}``, as in a spec's ``[task]``),
        generated with the run's seed; None: the run's own task."""
        from framework.errors import UsageError
        from framework.plugins import build_plugin

        table = dict(self.task if table is None else table)
        name = table.pop("plugin", None)
        if not isinstance(name, str):
            raise UsageError(f"task {table}: a task table names its plugin (plugin = \"...\")")
        data = build_plugin(self.registry, "task", name, table, path="task").load(self.cache_dir, self.run_seed)
        own = tuple(self.split.x.shape[1:])
        if tuple(data.input_shape) != own:
            raise UsageError(f"task {table}: inputs of shape {tuple(data.input_shape)}, the network takes {own}")
        return data


@frozen
class PartScore:
    """The effect of knocking out one part: accuracy drop and loss increase (means over the
    split, with 95 % bootstrap intervals), and the graph elements it covers."""

    part: str
    kind: str
    elements: tuple[int, ...]
    accuracy: float
    accuracy_drop: float
    accuracy_drop_low: float
    accuracy_drop_high: float
    loss_increase: float
    loss_increase_low: float
    loss_increase_high: float


@frozen
class ProbeReport:
    """A probe's findings on one network: the intact accuracy and loss, the ranked parts and
    any method-specific figures."""

    method: str
    candidate: str
    split: str
    accuracy: float
    loss: float
    parts: tuple[PartScore, ...]
    details: dict[str, Any] = field(factory=dict)


def per_sample(logits: torch.Tensor, targets: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Per sample: 1.0 where ``logit > 0`` matches the 0/1 target, else 0.0; and the BCE loss."""
    import torch.nn.functional as F

    correct = ((logits > 0) == (targets > 0.5)).double()
    loss = F.binary_cross_entropy_with_logits(logits.double(), targets.double(), reduction="none")
    return correct.numpy(), loss.numpy()


def part_score(part: str, kind: str, elements: Sequence[int], intact: tuple[np.ndarray, np.ndarray],
               ablated: tuple[np.ndarray, np.ndarray], *, seed: int, resamples: int = 1000) -> PartScore:
    """The paired effect of an ablation: per-sample differences, their means and percentile
    bootstrap intervals (scipy.stats.bootstrap, ``resamples`` draws seeded by ``seed``)."""
    drop = intact[0] - ablated[0]
    increase = ablated[1] - intact[1]
    drop_ci, increase_ci = (_interval(d, seed, resamples) for d in (drop, increase))
    return PartScore(part, kind, tuple(elements), float(ablated[0].mean()), float(drop.mean()), *drop_ci,
                     float(increase.mean()), *increase_ci)


def _interval(values: np.ndarray, seed: int, resamples: int) -> tuple[float, float]:
    import numpy as np
    from scipy.stats import bootstrap

    if len(values) < 2 or np.all(values == values[0]):  # no spread: the interval is the point
        value = float(values.mean()) if len(values) else float("nan")
        return value, value
    result = bootstrap((values,), np.mean, n_resamples=resamples, confidence_level=0.95, method="percentile",
                       random_state=np.random.default_rng(seed))
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def rank(parts: Sequence[PartScore]) -> tuple[PartScore, ...]:
    """Largest accuracy drop first; then larger loss increase; then the more specific part
    (fewer elements, then :data:`PART_KINDS` order), then the name."""
    def key(p: PartScore) -> tuple:
        kind = PART_KINDS.index(p.kind) if p.kind in PART_KINDS else len(PART_KINDS)
        return (-round(p.accuracy_drop, 12), -round(p.loss_increase, 12), len(p.elements), kind, p.part)

    return tuple(sorted(parts, key=key))


# -- running a probe on a run's saved network (``framework probe``) --------------------


def probe_network(run_dir: Any, candidate: str = "best", method: str = "ablation", split: str = "select",
                  options: dict[str, Any] | None = None, *, registry: Any = None, seed: int = 0) -> ProbeReport:
    """Run the probe plugin ``method`` (options from ``options``) on a saved network of ``run_dir``,
    measured on ``split`` of the run's task."""
    from pathlib import Path

    from framework.dsl.grammar import Grammar
    from framework.errors import FrameworkError, UsageError
    from framework.loading import load_saved, run_domain, run_registry, task_split
    from framework.plugins import build_plugin
    from framework.run_dir import cache_dir

    run_dir = Path(run_dir)
    registry = registry if registry is not None else run_registry(run_dir)
    probe = build_plugin(registry, "probe", method, options or {})
    saved = load_saved(run_dir, candidate, registry=registry)
    data = task_split(run_dir, split, registry)
    if len(data.y) == 0:
        raise UsageError(f"{run_dir}: the task's {split!r} split is empty; probe on another (--split)")
    manifest = saved.manifest
    productions: tuple[str, ...] = ()
    provenance: dict[int, int] = {}
    if manifest.program is not None and manifest.grammar is not None:
        from framework.dsl.program import nodes

        grammar = Grammar.load(run_dir / manifest.grammar)
        program = grammar.parse(manifest.program)
        productions = tuple(f"{i}: {node.production}" for i, node in enumerate(nodes(program)))
        domain = run_domain(run_dir, registry)
        if hasattr(domain, "provenance"):  # an optional domain capability
            provenance = dict(domain.provenance(program, grammar))
    subject = ProbeSubject(saved.module, manifest.candidate, data, split, manifest.port_graph, productions,
                           provenance, registry, cache_dir(), dict(manifest.task), manifest.run_seed, seed)
    try:
        report = probe.run(subject)
    except FrameworkError:
        raise
    except Exception as exc:  # noqa: BLE001 - the probe's own failure, named
        raise FrameworkError(f"probe {method!r}: run raised {type(exc).__name__}: {exc}") from exc
    if not isinstance(report, ProbeReport):
        raise FrameworkError(f"probe {method!r}: run returned a {type(report).__name__}, expected a "
                             "framework.ProbeReport (framework.testing.check_probe checks a probe)")
    return report


def write_probe(run_dir: Any, report: ProbeReport, graph: PortGraph | None, registry: Any) -> list[Any]:
    """``probes/<id>/<method>.json`` and, when the domain draws (``draw_importance``), the graph
    with nodes and edges shaded by their accuracy drop relative to the largest
    (``drawings/importance/<id>-<method>.svg``)."""
    import attrs

    from framework.loading import run_domain
    from framework.run_dir import RunDir
    from framework.store import write_bytes_atomic, write_json_atomic

    run_dir = RunDir(run_dir)
    path = run_dir.probe(report.candidate, report.method)
    write_json_atomic(path, attrs.asdict(report))
    written = [path]
    structural = [p for p in report.parts if p.kind in ("node", "edge") and p.elements]
    domain = run_domain(run_dir, registry) if graph is not None and structural else None
    if domain is not None and hasattr(domain, "draw_importance"):  # an optional domain capability
        drops = {(p.kind, p.elements[0]): max(p.accuracy_drop, 0.0) for p in structural}
        top = max(drops.values()) or 1.0
        title = f"{report.candidate}: accuracy drop when knocked out ({report.method})"
        drawing = run_dir.importance_drawing(report.candidate, report.method)
        write_bytes_atomic(drawing, domain.draw_importance(graph, {k: v / top for k, v in drops.items()}, title))
        written.append(drawing)
    return written
