"""The run spec (``plugin-spec.toml``): frozen attrs classes, structured strictly with cattrs.

Loading happens in two passes, and every problem of both is reported at once:

1. The TOML tables are structured into the classes below. Scalars are strict
   (``3.7`` is not an integer, ``true`` is not a number, ``7`` is not a
   string); unknown keys are rejected with a did-you-mean suggestion.
2. Every table that names a plugin (``{plugin = "gine", ...}``) is checked
   against the registry: the name must exist for that kind, and the table's
   other keys are structured into that plugin's own options class.

Errors come out as one :class:`SpecError` whose lines read
``training.epochs: expected an integer, got "ten"``.
"""

from __future__ import annotations

import difflib
import json
import math
import re
import tomllib
from pathlib import Path
from typing import Any, ClassVar, Iterator, Mapping

import attrs
import cattrs
from attrs import field, frozen
from attrs.validators import ge, gt, in_
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn

from framework._registry import PluginError, Registry, UnknownPluginError
from framework.errors import UsageError
from framework.training import TrainingOptions

DEVICES = ("auto", "cpu", "cuda")


class SpecError(UsageError):
    """A spec with problems; ``problems`` lists each as ``path: message``."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source, self.problems = source, problems
        lines = "\n".join(f"  {p}" for p in problems)
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"{source}: {len(problems)} {noun} in the spec:\n{lines}")


# ---------------------------------------------------------------------------
# Tables that name a plugin: every key but the declared ones is a plugin option
# ---------------------------------------------------------------------------


@frozen
class PluginChoice:
    """A table naming a plugin; its other keys are that plugin's options."""

    kind: ClassVar[str]

    plugin: str
    options: Mapping[str, Any] = field(factory=dict)


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
    """One ``[[synthesizers]]`` entry; exploration draws from the synthesizers in turn, a batch each."""

    kind: ClassVar[str] = "synthesizer"


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
    """``[plugins]``: extra plugin modules (importable names) and ``.py`` files (relative to the spec)."""

    modules: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()


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


# ---------------------------------------------------------------------------
# The strict converter
# ---------------------------------------------------------------------------


def _toml_repr(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # nan, inf, -inf as TOML writes them
    if isinstance(value, (str, int, float)):
        return json.dumps(value)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return repr(value)


class _StrictValueError(ValueError):
    """A scalar of the wrong type; its message is shown as is."""


def _strict(expected: str, accept: tuple[type, ...], convert: Any) -> Any:
    def structure(value: Any, _type: Any) -> Any:
        if type(value) not in accept or (isinstance(value, float) and not math.isfinite(value)):
            raise _StrictValueError(f"expected {expected}, got {_toml_repr(value)}")
        return convert(value)

    return structure


def _make_converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    converter.register_structure_hook(int, _strict("an integer", (int,), int))
    converter.register_structure_hook(float, _strict("a number", (int, float), float))
    converter.register_structure_hook(str, _strict("a string", (str,), str))
    converter.register_structure_hook(bool, _strict("true or false", (bool,), bool))

    def is_choice(cls: Any) -> bool:
        return isinstance(cls, type) and issubclass(cls, PluginChoice)

    def choice_structure(cls: type[PluginChoice]) -> Any:
        structure_fields = make_dict_structure_fn(cls, converter)
        declared = {f.name for f in attrs.fields(cls)} - {"options"}

        def structure(data: Any, _type: Any) -> PluginChoice:
            if isinstance(data, str):  # `selector = "train-accuracy"` is short for {plugin = ...}
                data = {"plugin": data}
            if not isinstance(data, dict):
                raise _StrictValueError(f"expected a table with a 'plugin' key, got {_toml_repr(data)}")
            data = dict(data)
            known = {k: v for k, v in data.items() if k in declared}
            known["options"] = {k: v for k, v in data.items() if k not in declared}
            return structure_fields(known, cls)

        return structure

    def choice_unstructure(cls: type[PluginChoice]) -> Any:
        unstructure_fields = make_dict_unstructure_fn(cls, converter)

        def unstructure(choice: PluginChoice) -> dict[str, Any]:
            data = unstructure_fields(choice)
            return {**{k: v for k, v in data.items() if k != "options"}, **data["options"]}

        return unstructure

    def is_table(cls: Any) -> bool:
        return isinstance(cls, type) and attrs.has(cls) and not is_choice(cls)

    def table_structure(cls: type) -> Any:
        structure_fields = make_dict_structure_fn(cls, converter)

        def structure(data: Any, _type: Any) -> Any:
            if not isinstance(data, dict):
                raise _StrictValueError(f"expected a table, got {_toml_repr(data)}")
            return structure_fields(data, cls)

        return structure

    converter.register_structure_hook_factory(is_choice, choice_structure)
    converter.register_unstructure_hook_factory(is_choice, choice_unstructure)
    converter.register_structure_hook_factory(is_table, table_structure)
    return converter


converter = _make_converter()


def _format_exception(exc: BaseException, type_: Any) -> str:
    if isinstance(exc, _StrictValueError):
        return str(exc)
    if isinstance(exc, cattrs.ForbiddenExtraKeysError):
        return "\n".join(_unknown_key(key, exc.cl) for key in sorted(exc.extra_fields))
    if isinstance(exc, KeyError):
        return "required key missing"
    if isinstance(exc, (ValueError, TypeError)) and exc.args and isinstance(exc.args[0], str):
        # attrs validators: keep their message; they pass the attribute along, name it in the path
        message = exc.args[0]
        if len(exc.args) > 1 and isinstance(exc.args[1], attrs.Attribute):
            return f"{_FIELD}{exc.args[1].name}\t{message}"
        named = re.match(r"'(\w+)' must", message)  # the form of attrs' own validators
        return f"{_FIELD}{named.group(1)}\t{message}" if named else message
    return cattrs.v.format_exception(exc, type_)


def _unknown_key(key: str, cls: type | None) -> str:
    names = [f.name for f in attrs.fields(cls)] if cls is not None and attrs.has(cls) else []
    close = difflib.get_close_matches(key, names, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else f" (valid keys: {', '.join(names)})"
    return f"{_UNKNOWN}{key}\t{hint}"


_UNKNOWN = "\x00unknown key:"
_FIELD = "\x00field:"


def _problems(exc: Exception, prefix: str) -> list[str]:
    """cattrs' exception group as ``path: message`` lines, paths under ``prefix``."""
    lines = []
    for line in cattrs.transform_error(exc, path="$", format_exception=_format_exception):
        messages, _, path = line.rpartition(" @ ")
        base = [p for p in (prefix, path.removeprefix("$").lstrip(".")) if p]
        for message in messages.split("\n"):
            keys = base
            if message.startswith(_UNKNOWN):  # name the unknown key in the path itself
                key, _, hint = message.removeprefix(_UNKNOWN).partition("\t")
                keys, message = [*base, key], f"unknown key{hint}"
            elif message.startswith(_FIELD):  # a validator's message, attributed to its field
                key, _, message = message.removeprefix(_FIELD).partition("\t")
                keys = [*base, key]
            full = ".".join(keys).replace(".[", "[")
            lines.append(f"{full}: {message}" if full else message)
    return lines


# ---------------------------------------------------------------------------
# Loading and resolving
# ---------------------------------------------------------------------------


def read_toml(path: str | Path) -> dict[str, Any]:
    """Parse a TOML file; a syntax error becomes a SpecError with line and column."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{path}: cannot read spec: {exc.strerror or exc}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(str(path), [f"invalid TOML: {exc}"]) from None


def structure_spec(data: Mapping[str, Any], source: str = "<spec>") -> Spec:
    """Pass 1: the TOML tables as a :class:`Spec` (plugin options still raw)."""
    try:
        return converter.structure(dict(data), Spec)
    except Exception as exc:  # cattrs' exception groups carry every problem
        raise SpecError(source, _problems(exc, "")) from None


def load_spec(path: str | Path, registry: Registry | None = None) -> tuple[Spec, Registry]:
    """Read, structure and check a spec file against the plugins it can see.

    Plugins listed under ``[plugins]`` are loaded (relative to the spec's
    folder) before the plugin tables are checked. All problems are reported
    together in one :class:`SpecError`.
    """
    from framework.plugins import build_registry

    path = Path(path)
    data = read_toml(path)
    problems: list[str] = []
    spec: Spec | None = None
    try:
        spec = structure_spec(data, str(path))
    except SpecError as exc:
        problems.extend(exc.problems)
    if registry is None:
        plugins = spec.plugins if spec is not None else _plugins_section_or_default(data)
        try:
            registry = build_registry(plugins.modules, plugins.paths, base_dir=path.parent)
        except PluginError as exc:
            problems.append(f"plugins: {exc}")
    if registry is not None:
        problems.extend(check_plugins(data, registry, spec))
    if problems:
        raise SpecError(str(path), _dedupe(problems))
    assert spec is not None and registry is not None
    return spec, registry


def check_plugins(data: Mapping[str, Any], registry: Registry, spec: Spec | None = None) -> list[str]:
    """Pass 2: every plugin table names a registered plugin and its options fit.

    With the structured ``spec`` every choice is checked, defaults included;
    without it (pass 1 failed) the tables present in the raw ``data`` are, so
    plugin problems are reported even beside shape problems elsewhere.
    """
    problems = []
    for path, choice in _choices(spec) if spec is not None else _raw_choices(Spec, data, ""):
        try:
            plugin_options(registry, choice, path)
        except UnknownPluginError as exc:
            problems.append(f"{path}.plugin: {exc}")
        except SpecError as exc:
            problems.extend(exc.problems)
    return problems


def plugin_options(registry: Registry, choice: PluginChoice, path: str = "") -> Any:
    """The chosen plugin's options instance, structured from the table's other keys.

    ``path`` (the table's TOML path) prefixes the paths of the problems reported.
    """
    info = registry.get(choice.kind, choice.plugin).info
    try:
        return converter.structure(dict(choice.options), info.options)
    except Exception as exc:
        raise SpecError(f"{choice.kind} plugin {choice.plugin!r}", _problems(exc, path)) from None


def instantiate(registry: Registry, choice: PluginChoice, *args: Any, **kwargs: Any) -> Any:
    """Build the chosen plugin: ``factory(options, *args, **kwargs)``."""
    info = registry.get(choice.kind, choice.plugin).info
    return info.factory(plugin_options(registry, choice), *args, **kwargs)


def unstructure_spec(spec: Spec) -> dict[str, Any]:
    """The spec as plain TOML-shaped data (plugin options merged back into their tables)."""
    return _drop_none(converter.unstructure(spec))


def spec_to_toml(spec: Spec) -> str:
    """A TOML text that loads back to an equal spec."""
    return _toml_document(unstructure_spec(spec))


def _plugins_section_or_default(data: Mapping[str, Any]) -> PluginsSection:
    try:
        return converter.structure(data.get("plugins", {}), PluginsSection)
    except Exception:
        return PluginsSection()


def _choices(value: Any, prefix: str = "") -> Iterator[tuple[str, PluginChoice]]:
    """(TOML path, choice) for every plugin choice in a structured spec."""
    for f in attrs.fields(type(value)):
        path, item = f"{prefix}.{f.name}" if prefix else f.name, getattr(value, f.name)
        if isinstance(item, PluginChoice):
            yield path, item
        elif isinstance(item, tuple) and item and isinstance(item[0], PluginChoice):
            yield from ((f"{path}[{i}]", choice) for i, choice in enumerate(item))
        elif attrs.has(type(item)):
            yield from _choices(item, path)


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


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {value!r} as TOML")


def _toml_string(text: str) -> str:
    """A TOML basic string: quote, backslash and control characters escaped."""
    escaped = "".join(
        f"\\u{ord(c):04x}" if ord(c) < 0x20 or ord(c) == 0x7F else "\\" + c if c in '"\\' else c for c in text
    )
    return f'"{escaped}"'


def _toml_key(key: str) -> str:
    return key if key and all(c.isascii() and (c.isalnum() or c in "-_") for c in key) else _toml_string(key)


def _toml_document(data: Mapping[str, Any]) -> str:
    """A small TOML writer for spec-shaped data (tables of scalars, inline tables, arrays of tables)."""
    out: list[str] = []
    for section, body in data.items():
        if isinstance(body, list) and all(isinstance(v, dict) for v in body):
            for item in body:
                out.append(f"[[{section}]]")
                out.extend(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in item.items())
                out.append("")
        else:
            out.append(f"[{section}]")
            out.extend(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in body.items())
            out.append("")
    return "\n".join(out)
