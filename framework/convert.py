"""The strict cattrs converter behind the spec and every plugin's options.

Scalars are strict (``3.7`` is not an integer, ``true`` is not a number,
``7`` is not a string); unknown keys are rejected with a did-you-mean
suggestion; attrs validators keep their messages. :func:`problems` turns
cattrs' exception groups into ``path: message`` lines
(``training.epochs: expected an integer, got "ten"``), and :func:`structure`
raises them as one :class:`SpecError`.

A :class:`PluginChoice` (a TOML table naming a plugin) is structured here too:
its declared keys fill its fields, every other key goes to ``options``.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from typing import Any, ClassVar, Mapping, get_args, get_origin

import attrs
import cattrs
from attrs import field, frozen
from cattrs.cols import homogenous_tuple_structure_factory
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from framework.errors import UsageError


class SpecError(UsageError):
    """A spec (or plugin options) with problems; ``problems`` lists each as ``path: message``."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source, self.problems = source, problems
        lines = "\n".join(f"  {p}" for p in problems)
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"{source}: {len(problems)} {noun} in the spec:\n{lines}")


@frozen
class PluginChoice:
    """A table naming a plugin; its other keys are that plugin's options."""

    kind: ClassVar[str]

    plugin: str
    options: Mapping[str, Any] = field(factory=dict)


def structure(data: Any, cls: type, source: str, path: str = "") -> Any:
    """``data`` as an instance of ``cls``; every problem in one :class:`SpecError` from ``source``.

    ``path`` (the TOML path of ``data``) prefixes the paths of the problems.
    """
    try:
        return converter.structure(data, cls)
    except Exception as exc:  # cattrs' exception groups carry every problem
        raise SpecError(source, problems(exc, path)) from None


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

    def toml_names(cls: type) -> dict[str, Any]:
        """Fields whose TOML key differs from their name (``from``, a Python keyword)."""
        return {f.name: override(rename=f.metadata["toml"]) for f in attrs.fields(cls) if "toml" in f.metadata}

    def table_structure(cls: type) -> Any:
        structure_fields = make_dict_structure_fn(cls, converter, **toml_names(cls))

        def structure(data: Any, _type: Any) -> Any:
            if not isinstance(data, dict):
                raise _StrictValueError(f"expected a table, got {_toml_repr(data)}")
            return structure_fields(data, cls)

        return structure

    def is_array(cls: Any) -> bool:
        return get_origin(cls) is tuple and len(get_args(cls)) == 2 and get_args(cls)[1] is Ellipsis

    def array_structure(cls: Any) -> Any:
        structure_items = homogenous_tuple_structure_factory(cls, converter)

        def structure(data: Any, _type: Any) -> tuple[Any, ...]:
            if not isinstance(data, list):  # a string is iterable too: one message, not one per letter
                raise _StrictValueError(f"expected an array, got {_toml_repr(data)}")
            return structure_items(data, _type)

        return structure

    converter.register_structure_hook_factory(is_array, array_structure)
    converter.register_structure_hook_factory(is_choice, choice_structure)
    converter.register_unstructure_hook_factory(is_choice, choice_unstructure)
    converter.register_structure_hook_factory(is_table, table_structure)
    converter.register_unstructure_hook_factory(
        lambda cls: is_table(cls) and bool(toml_names(cls)),
        lambda cls: make_dict_unstructure_fn(cls, converter, **toml_names(cls)))
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
    names = [f.metadata.get("toml", f.name) for f in attrs.fields(cls)] if cls is not None and attrs.has(cls) else []
    close = difflib.get_close_matches(key, names, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else f" (valid keys: {', '.join(names)})"
    return f"{_UNKNOWN}{key}\t{hint}"


_UNKNOWN = "\x00unknown key:"
_FIELD = "\x00field:"


def problems(exc: Exception, prefix: str) -> list[str]:
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
