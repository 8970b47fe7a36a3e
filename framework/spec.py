"""The run spec (``plugin-spec.toml``): frozen attrs classes, structured strictly with cattrs.

Loading happens in two passes, and every problem of both is reported at once:

1. The TOML tables are structured into the classes below through the strict
   converter (:mod:`framework.convert`): ``3.7`` is not an integer, unknown
   keys are rejected with a did-you-mean suggestion.
2. Every table that names a plugin (``{plugin = "gine", ...}``) is checked
   against the registry: the name must exist for that kind, and the table's
   other keys are structured into that plugin's own options class.

Errors come out as one :class:`SpecError` whose lines read
``training.epochs: expected an integer, got "ten"``. :func:`spec_to_toml`
writes a spec back (:mod:`framework.toml_writer`); its text is the run's hash.
"""

from __future__ import annotations

import copy
import re
import tomllib
from pathlib import Path
from typing import Any, ClassVar, Iterator, Mapping

import attrs
from attrs import field, frozen
from attrs.validators import ge, gt, in_, optional

from framework._registry import PluginError, Registry, UnknownPluginError
from framework.convert import PluginChoice, SpecError, converter, structure
from framework.errors import UsageError
from framework.plugins import Plugins, build_plugins, plugin_options
from framework.text import NotText, read_text
from framework.toml_writer import dumps
from framework.training_options import TrainingOptions

DEVICES = ("auto", "cpu", "cuda")


# ---------------------------------------------------------------------------
# Tables that name a plugin: every key but the declared ones is a plugin option
# ---------------------------------------------------------------------------


@frozen
class DomainChoice(PluginChoice):
    """``[domain]``: what programs mean. ``grammar`` overrides the domain's default grammar file."""

    kind: ClassVar[str] = "domain"
    plugin: str = "graph"
    grammar: str | None = None


@frozen
class TaskChoice(PluginChoice):
    """``[task]``: the data every candidate is trained and scored on."""

    kind: ClassVar[str] = "task"
    plugin: str = "synthetic"


@frozen
class SynthesizerChoice(PluginChoice):
    """One ``[[synthesizers]]`` entry; exploration draws from the synthesizers in turn, a batch each.

    ``explore_seconds``: this synthesizer's own wall-clock limit per generation
    (time inside its ``propose``; default: ``population.explore_seconds``).
    """

    kind: ClassVar[str] = "synthesizer"
    explore_seconds: float | None = field(default=None, validator=optional(gt(0)))


@frozen
class LibraryChoice(PluginChoice):
    """``[library]``: library learning and PCFG re-weighting after each generation."""

    kind: ClassVar[str] = "library_learner"
    plugin: str = "stitch"
    enabled: bool = True
    reweight: bool = True
    smoothing: float = field(default=1.0, validator=ge(0.0))
    max_diff: float = field(default=0.5, validator=ge(0.0))  # 0 turns the rescale off


@frozen
class EncoderChoice(PluginChoice):
    kind: ClassVar[str] = "encoder"


@frozen
class InjectorChoice(PluginChoice):
    kind: ClassVar[str] = "injector"


@frozen
class BackboneChoice(PluginChoice):
    kind: ClassVar[str] = "backbone"


@frozen
class SelectorChoice(PluginChoice):
    kind: ClassVar[str] = "selector"
    plugin: str = "select-accuracy"


@frozen
class ExecutorChoice(PluginChoice):
    kind: ClassVar[str] = "executor"
    plugin: str = "local"


# ---------------------------------------------------------------------------
# Plain tables
# ---------------------------------------------------------------------------


@frozen
class RunSection:
    """``[run]``: identity, randomness, length and place of a run."""

    name: str = "run"
    seed: int = field(default=0, validator=ge(0))
    generations: int = field(default=1, validator=ge(1))
    device: str = field(default="auto", validator=in_(DEVICES))
    out: str | None = None  # default: runs/<name>, relative to the working directory


@frozen
class ModelSection:
    """``[model]``: encoder -> injector -> backbone -> readout; ``dim`` is the width throughout."""

    dim: int = field(default=512, validator=gt(0))
    encoder: EncoderChoice = EncoderChoice("pixelshuffle-vit")
    injector: InjectorChoice = InjectorChoice("gssnn")
    backbone: BackboneChoice = BackboneChoice("gine")


@frozen
class PopulationSection:
    """``[population]``: how many candidates are trained and how many survive a generation."""

    size: int = field(default=50, validator=gt(0))
    keep: int = field(default=25, validator=gt(0))
    repeats: int = field(default=1, validator=ge(1))
    replace_smaller: bool = True
    explore_budget: int = field(default=20_000, validator=gt(0))
    #: wall-clock limit of one generation's exploration; a synthesizer still going is stopped
    explore_seconds: float = field(default=600.0, validator=gt(0))
    selector: SelectorChoice = SelectorChoice()
    #: programs (in the domain grammar's syntax) offered first in generation 0
    initial: tuple[str, ...] = ()

    @keep.validator
    def _keep_at_most_size(self, attribute: Any, value: int) -> None:
        if value > self.size:
            raise ValueError(f"keep ({value}) must not exceed size ({self.size})", attribute)


@frozen
class BaselineSection:
    """``[baseline]``: the encoder alone, trained in the same run on the same data."""

    runs: int = field(default=5, validator=ge(0))


@frozen
class PluginsSection:
    """``[plugins]``: extra plugin modules (importable names) and ``.py`` files (relative to the spec),
    and installed entry points (or distributions) not to load."""

    modules: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    #: None when not given, so that the written spec (whose bytes are the run's hash) is unchanged
    disable: tuple[str, ...] | None = None


#: Which trained networks a run keeps in ``networks/`` (``[artifacts] networks``).
NETWORK_POLICIES = ("all", "survivors", "none")


@frozen
class ArtifactsSection:
    """``[artifacts]``: ``networks`` keeps every trained network, the survivors and the best
    baseline run, or none (docs/artifacts.md)."""

    networks: str = field(default="survivors", validator=in_(NETWORK_POLICIES))


#: What a run started from another run carries over (``[start] weights``).
WARM_STARTS = ("none", "encoder", "all")


@frozen
class StartSection:
    """``[start]``: begin from another run's final grammar (``from``, a run directory, relative
    to the working directory like ``run.out``) and optionally warm-start every network from
    its nearest saved network (docs/artifacts.md)."""

    source: str | None = field(default=None, metadata={"toml": "from"})
    weights: str = field(default="none", validator=in_(WARM_STARTS))


@frozen
class Spec:
    """A whole ``plugin-spec.toml``."""

    run: RunSection = RunSection()
    domain: DomainChoice = DomainChoice()
    task: TaskChoice = TaskChoice()
    synthesizers: tuple[SynthesizerChoice, ...] = (SynthesizerChoice("enumerative"),)
    library: LibraryChoice = LibraryChoice()
    model: ModelSection = ModelSection()
    training: TrainingOptions = TrainingOptions()
    population: PopulationSection = PopulationSection()
    baseline: BaselineSection = BaselineSection()
    executor: ExecutorChoice = ExecutorChoice()
    plugins: PluginsSection = PluginsSection()
    artifacts: ArtifactsSection = ArtifactsSection()
    start: StartSection = StartSection()


# ---------------------------------------------------------------------------
# Loading and resolving
# ---------------------------------------------------------------------------


def read_toml(path: str | Path) -> dict[str, Any]:
    """Parse a TOML file; a syntax error becomes a SpecError with line and column."""
    path = Path(path)
    try:
        text = read_text(path)
    except OSError as exc:
        raise UsageError(f"{path}: cannot read spec: {exc.strerror or exc}") from None
    except NotText as exc:
        raise UsageError(f"{exc}: a spec is a TOML text file") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(str(path), [f"invalid TOML: {exc}"]) from None


def structure_spec(data: Mapping[str, Any], source: str = "<spec>") -> Spec:
    """Pass 1: the TOML tables as a :class:`Spec` (plugin options still raw)."""
    return structure(dict(data), Spec, source)


def load_spec(path: str | Path, plugins: Plugins | None = None) -> tuple[Spec, Plugins]:
    """Read, structure and check a spec file against the plugins it can see.

    Without ``plugins``, the entry-point plugins and those listed under
    ``[plugins]`` (relative to the spec's folder) are loaded before the plugin
    tables are checked. All problems are reported together in one
    :class:`SpecError`.
    """
    checked = check_spec_file(path, plugins)
    if checked.problems:
        raise SpecError(str(path), checked.problems) from checked.cause
    assert checked.spec is not None and checked.plugins is not None
    return checked.spec, checked.plugins


@frozen
class CheckedSpec:
    """A spec file read and checked (:func:`check_spec_file`), its problems listed, not raised."""

    #: The spec; when it has problems, the spec its valid parts make, every invalid
    #: table or key at its default (None when even that cannot be built).
    spec: Spec | None
    plugins: Plugins | None
    problems: list[str]
    #: The TOML paths of the problems and of what was left out to build ``spec``: checks
    #: of these parts would only repeat (or invent) problems.
    invalid: frozenset[str]
    cause: PluginError | None = None  # kept for ``--traceback``


def check_spec_file(path: str | Path, plugins: Plugins | None = None) -> CheckedSpec:
    """:func:`load_spec`'s two passes, returning every problem with the spec of the valid parts."""
    path = Path(path)
    data = read_toml(path)
    problems: list[str] = []
    spec: Spec | None = None
    cause: PluginError | None = None
    try:
        spec = structure_spec(data, str(path))
    except SpecError as exc:
        problems.extend(exc.problems)
    if plugins is None:
        section = spec.plugins if spec is not None else _plugins_section_or_default(data)
        try:
            plugins = build_plugins(section.modules, section.paths, base_dir=path.parent,
                                    disable=section.disable or ())
        except PluginError as exc:
            problems.append(f"plugins: {exc}")
            cause = exc
    if plugins is not None:
        problems.extend(check_plugins(data, plugins.registry, spec))
    invalid = {problem_path(p) for p in problems}
    if spec is None:
        spec, dropped = _valid_parts(data)
        invalid |= dropped
    return CheckedSpec(spec, plugins, _dedupe(problems), frozenset(invalid - {""}), cause)


def problem_path(problem: str) -> str:
    """The TOML path a ``path: message`` problem line names (``""`` for none)."""
    head, sep, _ = problem.partition(": ")
    return head if sep and " " not in head else ""


def overlaps(path: str, other: str) -> bool:
    """Whether one TOML path is the other or inside it (``model`` and ``model.dim``)."""
    short, long = sorted((path, other), key=len)
    return long == short or long.startswith((f"{short}.", f"{short}["))


def _valid_parts(data: Mapping[str, Any]) -> tuple[Spec | None, set[str]]:
    """The spec without its invalid parts (each left at its default), and the paths left out.

    Each round leaves out the key every problem names (or, where that key is missing,
    the nearest table holding it), until the rest structures."""
    data, dropped = copy.deepcopy(dict(data)), set()
    while True:
        try:
            return structure_spec(data), dropped
        except SpecError as exc:
            left_out = {_leave_out(data, problem_path(p)) for p in exc.problems} - {None}
            if not left_out:
                return None, dropped
            dropped |= left_out  # type: ignore[arg-type]


def _leave_out(data: dict[str, Any], path: str) -> str | None:
    """Delete the deepest key of ``path`` present in ``data`` (a table key, not an array
    item, so the rest keeps its indices); its path, or None when nothing was deleted."""
    node: Any = data
    deletable: tuple[dict[str, Any], str, str] | None = None
    walked = ""
    for token in re.findall(r"\[\d+\]|[^.\[\]]+", path):
        if token.startswith("[") and isinstance(node, list) and int(token[1:-1]) < len(node):
            node, walked = node[int(token[1:-1])], walked + token
        elif not token.startswith("[") and isinstance(node, dict) and token in node:
            walked = f"{walked}.{token}" if walked else token
            deletable, node = (node, token, walked), node[token]
        else:
            break
    if deletable is None:
        return None
    table, key, key_path = deletable
    del table[key]
    return key_path


def check_plugins(data: Mapping[str, Any], registry: Registry, spec: Spec | None = None) -> list[str]:
    """Pass 2: every plugin table names a registered plugin and its options fit.

    With the structured ``spec`` every choice is checked, defaults included;
    without it (pass 1 failed) the tables present in the raw ``data`` are, so
    plugin problems are reported even beside shape problems elsewhere.
    """
    problems = []
    for path, choice in plugin_choices(spec) if spec is not None else _raw_choices(Spec, data, ""):
        try:
            plugin_options(registry, choice.kind, choice.plugin, choice.options, path=path)
        except UnknownPluginError as exc:
            problems.append(f"{path}.plugin: {exc}")
        except SpecError as exc:
            problems.extend(exc.problems)
    return problems


def unstructure_spec(spec: Spec) -> dict[str, Any]:
    """The spec as plain TOML-shaped data (plugin options merged back into their tables)."""
    return _drop_none(converter.unstructure(spec))


def spec_to_toml(spec: Spec) -> str:
    """A TOML text that loads back to an equal spec."""
    return dumps(unstructure_spec(spec))


def _plugins_section_or_default(data: Mapping[str, Any]) -> PluginsSection:
    try:
        return converter.structure(data.get("plugins", {}), PluginsSection)
    except Exception:
        return PluginsSection()


def plugin_choices(value: Any, prefix: str = "") -> Iterator[tuple[str, PluginChoice]]:
    """(TOML path, choice) for every plugin choice in a structured spec."""
    for f in attrs.fields(type(value)):
        path, item = f"{prefix}.{f.name}" if prefix else f.name, getattr(value, f.name)
        if isinstance(item, PluginChoice):
            yield path, item
        elif isinstance(item, tuple) and item and isinstance(item[0], PluginChoice):
            yield from ((f"{path}[{i}]", choice) for i, choice in enumerate(item))
        elif attrs.has(type(item)):
            yield from plugin_choices(item, path)


def _raw_choices(cls: type, data: Any, prefix: str) -> Iterator[tuple[str, PluginChoice]]:
    """(TOML path, choice) for every well-formed plugin table present in raw ``data``."""
    if not isinstance(data, dict):
        return
    attrs.resolve_types(cls)
    for f in attrs.fields(cls):
        if f.name not in data:
            continue
        path, value, type_ = f"{prefix}.{f.name}" if prefix else f.name, data[f.name], f.type
        element = getattr(type_, "__args__", (None,))[0]
        if isinstance(type_, type) and issubclass(type_, PluginChoice):
            tables = [(path, value)]
        elif isinstance(element, type) and issubclass(element, PluginChoice) and isinstance(value, list):
            type_, tables = element, [(f"{path}[{i}]", item) for i, item in enumerate(value)]
        else:
            if isinstance(type_, type) and attrs.has(type_):
                yield from _raw_choices(type_, value, path)
            continue
        for table_path, table in tables:
            try:
                yield table_path, converter.structure(table, type_)
            except Exception:
                pass  # pass 1 reports the shape problems of this table


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_drop_none(v) for v in value]
    return value
