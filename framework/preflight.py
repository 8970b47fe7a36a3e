"""The checks ``framework run`` makes before its first write, shared with ``framework validate``.

:func:`preflight` builds every plugin a spec names, the starting grammar and the
``population.initial`` programs, opens the run ``[start]`` names, resolves ``run.device`` and, when the task
declares its input shape (an optional ``input_shape`` attribute), builds the
baseline and one small G-SSNN on a zero input of that shape. It collects every
problem and raises them together, so one ``validate`` lists them all;
:func:`load_checked_spec` adds them to a spec's own problems, checking every part
the spec's problems do not touch. No task
data is loaded: the one check that needs it (a selector's required split being
non-empty) stays in the engine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, TypeVar

from attrs import frozen

from framework.dsl.grammar import Grammar
from framework.errors import FrameworkError, PluginFault, UsageError
from framework.graph import PortGraph
from framework.plugins import Plugins, build_plugin
from framework.spec import PluginChoice, Spec, SpecError, check_spec_file, overlaps
from framework.transfer import open_start

T = TypeVar("T")


@frozen
class Parts:
    """What a run is built from, once every check passed."""

    domain: Any
    synthesizers: list[tuple[str, Any]]
    selector: Any
    executor: Any
    learner: Any | None
    task: Any
    start: Any | None  # the run ``[start]`` names (framework.transfer.Start), or None
    grammar: Grammar
    initial: list[Any]
    #: The task's declared input shape (None when it declares none: the model is then
    #: checked after the data is loaded).
    input_shape: tuple[int, ...] | None


def preflight(spec: Spec, plugins: Plugins, spec_dir: Path) -> Parts:
    """Build and check everything ``run`` needs before writing; one UsageError lists every problem."""
    parts, problems = _checked_parts(spec, plugins, spec_dir, frozenset())
    if problems:
        raise UsageError("\n".join(problems))
    assert parts is not None
    return parts


def load_checked_spec(path: Path) -> tuple[Spec, Plugins]:
    """:func:`framework.spec.load_spec`, but a spec with problems is refused together with
    the pre-flight problems of its valid parts (a broken grammar file beside a bad
    ``training.epochs``), so one ``validate`` or refused ``run`` lists them all."""
    checked = check_spec_file(path)
    if checked.problems:
        found = list(checked.problems)
        if checked.spec is not None and checked.plugins is not None:
            found += _checked_parts(checked.spec, checked.plugins, path.parent, checked.invalid)[1]
        raise SpecError(str(path), found) from checked.cause
    assert checked.spec is not None and checked.plugins is not None
    return checked.spec, checked.plugins


def _checked_parts(spec: Spec, plugins: Plugins, spec_dir: Path,
                   invalid: frozenset[str]) -> tuple[Parts | None, list[str]]:
    """The parts and every problem found building them; a check that reads a part in
    ``invalid`` (TOML paths the spec's own problems name) is skipped."""
    problems: list[str] = []

    def attempt(check: Callable[[], T], prefix: str = "", reads: tuple[str, ...] = ()) -> T | None:
        if any(overlaps(path, bad) for path in reads for bad in invalid):
            return None
        try:
            return check()
        except FrameworkError as exc:
            problems.append(f"{prefix}{exc}")
            return None

    def build(choice: PluginChoice, path: str) -> Any:
        return attempt(lambda: build_plugin(plugins.registry, choice.kind, choice.plugin, choice.options),
                       reads=(path,))

    attempt(lambda: _check_device(spec.run.device), "run.device: ", ("run.device",))
    domain = build(spec.domain, "domain")
    synthesizers = [(c.plugin, build(c, f"synthesizers[{i}]")) for i, c in enumerate(spec.synthesizers)]
    selector = build(spec.population.selector, "population.selector")
    executor = build(spec.executor, "executor")
    learner = build(spec.library, "library") if spec.library.enabled else None
    task = build(spec.task, "task")
    start = attempt(lambda: open_start(spec), reads=("start",))
    grammar = None
    if start is not None:
        grammar = attempt(lambda: start.grammar(), "start.from: ")
    elif spec.domain.grammar:
        grammar = attempt(lambda: Grammar.load(spec_dir / spec.domain.grammar), "domain.grammar: ",
                          ("domain.grammar",))
    elif domain is not None:
        grammar = domain.grammar
    initial = []
    if grammar is not None:
        for i, text in enumerate(spec.population.initial):
            initial.append(attempt(lambda: grammar.parse(text), f"population.initial[{i}]: ",
                                   (f"population.initial[{i}]",)))
    input_shape = getattr(task, "input_shape", None)
    if input_shape is not None:
        attempt(lambda: check_model(spec, plugins, tuple(input_shape)), reads=("model",))
    if problems:
        return None, problems
    return Parts(domain, synthesizers, selector, executor, learner, task, start, grammar, initial,  # type: ignore[arg-type]
                 None if input_shape is None else tuple(input_shape)), []


def _check_device(name: str) -> None:
    from framework.training import resolve_device

    resolve_device(name)  # a device this machine lacks stops the run here; workers resolve their own


def check_model(spec: Spec, plugins: Plugins, input_shape: tuple[int, ...]) -> None:
    """Build the baseline and one small G-SSNN and run each on one zero input, so a model that
    cannot be built (a missing optional dependency, a ``dim`` the injector refuses, a shape the
    encoder refuses) stops the run before any work."""
    import torch

    from framework.networks import build_network

    from framework.network_trainer import name_fault

    two_nodes = PortGraph(edges=((1, 0, 2, 0), (0, 0, 2, 1)), next_id=3, size=2)
    x = torch.zeros(1, *input_shape)
    try:
        with torch.no_grad():
            baseline = build_network(plugins.registry, spec.model, input_shape, None).eval()(x)
            if not isinstance(baseline, torch.Tensor) or tuple(baseline.shape) != (1, 1):
                raise PluginFault("encoder", f"output: shape {getattr(baseline, 'shape', baseline)}, "
                                             "expected (1, 1) (the baseline: [batch, 1 logit])")
            build_network(plugins.registry, spec.model, input_shape, two_nodes).eval()(x)
    except PluginFault as exc:
        raise UsageError(f"model: {name_fault(spec, exc)} (pre-flight on a two-node graph)") from None
    except FrameworkError as exc:
        raise UsageError(f"model: {exc}") from None
    except Exception as exc:
        raise UsageError(f"model: the network cannot be built or run: {type(exc).__name__}: {exc}") from exc
