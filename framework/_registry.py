"""Registration records and the name -> plugin registry built from them."""

from __future__ import annotations

import difflib
import importlib
import re
import sys
from typing import Any, Callable, Mapping

import attrs
from attrs import field, frozen

from framework.errors import UsageError

#: Plugin kinds and the registration hook that provides each.
KINDS: Mapping[str, str] = {
    "domain": "register_domains",
    "synthesizer": "register_synthesizers",
    "library_learner": "register_library_learners",
    "injector": "register_injectors",
    "backbone": "register_backbones",
    "encoder": "register_encoders",
    "task": "register_tasks",
    "selector": "register_selectors",
    "executor": "register_executors",
    "probe": "register_probes",
}


@frozen
class NoOptions:
    """Options class of a plugin that takes no options."""


def _check_kind(_instance: Any, _attribute: Any, value: str) -> None:
    if value not in KINDS:
        close = difflib.get_close_matches(str(value), list(KINDS), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"unknown plugin kind {value!r}{hint}; kinds are: {', '.join(KINDS)}")


def _check_factory(_instance: Any, _attribute: Any, value: Any) -> None:
    if not callable(value):
        raise TypeError(f"factory must be callable (a class or a function), got {value!r}")


def _check_options(_instance: Any, _attribute: Any, value: type) -> None:
    if not attrs.has(value):
        raise TypeError(f"options must be an attrs class (decorate it with @attrs.frozen), "
                        f"got {describe_class(value)}")


def describe_class(value: Any) -> str:
    """``Name`` from the file or module that defines it (not a spec plugin file's internal module name)."""
    if not isinstance(value, type):
        return repr(value)
    module = sys.modules.get(value.__module__)
    where = getattr(module, "__file__", None) if value.__module__.startswith(SPEC_FILE_PREFIX) else None
    return f"class {value.__qualname__} of {where or value.__module__}"


#: Module-name prefix of plugin files a spec lists (``[plugins] paths``), imported under a unique name.
SPEC_FILE_PREFIX = "framework_spec_plugin_"


def _check_target(_instance: Any, _attribute: Any, value: str) -> None:
    if not re.fullmatch(r"[\w.]+:\w+", value):
        raise ValueError(f"a lazy factory is named 'package.module:function', got {value!r}")


@frozen
class LazyFactory:
    """A factory named ``"package.module:function"``, imported on its first call.

    A plugin whose code needs torch (or any heavy or optional library)
    registers ``LazyFactory(f"{__name__}.module:build")``: loading the plugin,
    listing plugins and validating a spec then import nothing of it, and the
    import happens when a run builds the plugin.
    """

    target: str = field(validator=_check_target)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        module, _, name = self.target.partition(":")
        return getattr(importlib.import_module(module), name)(*args, **kwargs)


@frozen
class PluginInfo:
    """What one plugin offers: the name a spec uses, a factory and its options class.

    ``factory(options, *args)`` is called with an instance of ``options``
    (validated from the spec) and returns the plugin object
    (:mod:`framework.contracts` gives each kind's arguments and protocol).
    Heavy or optional imports belong inside the factory (see
    :class:`LazyFactory`) and ``options`` in a module without them, so that
    listing plugins stays cheap.
    """

    name: str
    kind: str = field(validator=_check_kind)
    factory: Callable[..., Any] = field(validator=_check_factory)
    options: type = field(default=NoOptions, validator=_check_options)
    summary: str = ""


@frozen
class Registered:
    """A :class:`PluginInfo` together with where it came from."""

    info: PluginInfo
    source: str  # the plugin module's name, or a file path
    package: str  # distribution name, "(spec)" for modules listed in a spec
    version: str


@frozen
class BrokenPlugin:
    """An installed entry point that failed to load or register, and was skipped."""

    entry_point: str  # its name in the ``framework`` group
    source: str  # what it points at (``package.module``)
    package: str
    version: str
    error: str  # one line: what went wrong
    exception: BaseException | None = field(default=None, eq=False, repr=False)  # for ``--traceback``

    def describe(self) -> str:
        return f"entry point {self.entry_point!r} of {self.package} {self.version}".rstrip() + f": {self.error}"


class PluginError(UsageError):
    """A plugin could not be loaded, registered or found."""


class UnknownPluginError(PluginError):
    """A spec names a plugin that no loaded module registers.

    When installed entry points were skipped as broken, their load errors are
    the likely reason and are part of the message.
    """

    def __init__(self, kind: str, name: str, available: list[str], broken: tuple[BrokenPlugin, ...] = ()) -> None:
        self.kind, self.name, self.available = kind, name, available
        close = difflib.get_close_matches(name, available, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        names = ", ".join(available) if available else "none"
        reason = ""
        likely = [b for b in broken if name == b.entry_point or name in b.package]
        if likely:
            reason = "; it may come from a package that failed to load: " + "; ".join(b.describe() for b in likely)
        elif broken:
            reason = (f"; {len(broken)} installed plugin package(s) failed to load (`framework plugins` "
                      f"lists them): {', '.join(b.package for b in broken)}")
        super().__init__(f"unknown {kind} plugin {name!r}{hint}; available: {names}{reason}")


@frozen
class Registry:
    """Every registered plugin, by kind and name, and the installed entry points skipped as broken."""

    entries: Mapping[str, Mapping[str, Registered]]
    broken: tuple[BrokenPlugin, ...] = ()

    def names(self, kind: str) -> list[str]:
        return sorted(self.entries.get(kind, {}))

    def get(self, kind: str, name: str) -> Registered:
        try:
            return self.entries[kind][name]
        except KeyError:
            raise UnknownPluginError(kind, name, self.names(kind), self.broken) from None

    def all(self) -> list[Registered]:
        return [self.entries[k][n] for k in KINDS for n in self.names(k)]
