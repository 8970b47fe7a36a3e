"""The plugin manager: discovery, registration and the name -> plugin registry.

Nothing happens at import time. :func:`build_plugin_manager` adds the hook
specifications, loads the ``framework`` entry-point group (the built-in
plugins come in this way too, exactly like a third-party package's), then the
modules and ``.py`` files a spec lists, then checks for unknown hook names so
a misspelled hook is an error rather than a silently ignored function. An
installed entry point that fails is skipped and listed (``Registry.broken``),
so one broken package does not stop the commands that do not need it.

Environment switches (like datasette's):

* ``FRAMEWORK_LOAD_PLUGINS=name,name``: load only these entry points
  (an empty value loads none); handy in tests.
* ``FRAMEWORK_DISABLE_PLUGINS=name,name``: load every entry point but these
  (a spec's ``[plugins] disable`` adds to it). Names are entry-point or
  distribution names; one that matches nothing installed is an error.
* ``FRAMEWORK_TRACE_PLUGINS=1``: print every hook call with its arguments
  and results.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import importlib
import importlib.util
import logging
import os
import sys
import traceback
from contextvars import ContextVar
from importlib.metadata import entry_points
from pathlib import Path
from types import GeneratorType, ModuleType
from typing import Any, Iterable, Mapping, Sequence

import pluggy
from attrs import field, frozen

from framework import hookspecs
from framework._registry import (
    KINDS,
    SPEC_FILE_PREFIX,
    BrokenPlugin,
    PluginError,
    PluginInfo,
    Registered,
    Registry,
)
from framework.convert import structure

ENTRY_POINT_GROUP = "framework"

#: Warnings about skipped plugins; with no logging set up they print to stderr as they are.
_log = logging.getLogger(__name__)


def build_plugin_manager(
    modules: Sequence[str] = (),
    paths: Sequence[str | os.PathLike[str]] = (),
    *,
    base_dir: str | os.PathLike[str] | None = None,
    disable: Sequence[str] = (),
) -> PluginManager:
    """A plugin manager with every entry-point plugin plus the given modules and files.

    An installed entry point that fails to import or register is skipped and
    recorded in ``pm.broken`` (so one broken package does not stop the others);
    a module or file the caller names is an error (:class:`PluginError`).

    :param modules: importable module names (a spec's ``plugins.modules``).
    :param paths: ``.py`` files (a spec's ``plugins.paths``), relative to ``base_dir``.
    :param base_dir: where relative paths are resolved (the spec file's folder).
    :param disable: entry-point (or distribution) names not to load (a spec's
        ``plugins.disable``), besides those in ``FRAMEWORK_DISABLE_PLUGINS``.
    """
    pm = PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    for ep in _selected_entry_points(disable):
        dist = ep.dist
        origin = Origin(ep.value, dist.metadata["Name"] if dist else "?", dist.version if dist else "?", ep.name)
        try:
            _register(pm, _load(ep.load), origin)
        except _Mistake as exc:
            pm.broken.append(_broken(origin, exc))
    for name in modules:
        origin = Origin(name, "(spec)", "")
        _add(pm, lambda n=name: importlib.import_module(n), origin, f"plugin module {name!r}")
    for plugin in _temporary.get():
        _add(pm, lambda p=plugin: p, Origin(getattr(plugin, "__name__", repr(plugin)), "(test)", ""), "")
    for path in paths:
        file = Path(base_dir or ".", path).resolve()
        _add(pm, lambda f=file: _import_file(f), Origin(str(file), "(spec)", ""), f"plugin file {str(path)!r}")
    for plugin, message in _unknown_hooks(pm):
        origin = pm.origins[pm.get_name(plugin)]
        if origin.entry_point is None:
            raise PluginError(f"plugin {origin.source}: {message}")
        pm.unregister(plugin)
        pm.broken.append(_broken(origin, _Mistake(message)))
    if os.environ.get("FRAMEWORK_TRACE_PLUGINS"):
        pm.trace.root.setwriter(lambda message: print(message, end="", file=sys.stderr))
        pm.enable_tracing()
    return pm


def silent_hook() -> pluggy.HookRelay:
    """A hook relay with the framework's hooks and no implementations: announcing is a no-op."""
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    return pm.hook


@frozen
class Plugins:
    """What a run takes from its plugin manager: the registry and the hook relay.

    ``registry`` builds the plugins a spec names (:func:`build_plugin`);
    ``hook`` announces events to every reporter (``hook.on_generation_end(event=...)``).
    A hand-built registry gets the :func:`silent_hook`.
    """

    registry: Registry
    hook: pluggy.HookRelay = field(factory=silent_hook)


def announce(caller: Any, warn: Any, **event: Any) -> None:
    """Call every implementation of the event hook ``caller`` (``hook.on_run_end``...) in
    pluggy's order; one that raises is reported through ``warn(message)`` and the others
    still hear the event (a reporter's failure never ends a run)."""
    for impl in reversed(caller.get_hookimpls()):  # pluggy calls the last registered first
        try:
            impl.function(*(event[name] for name in impl.argnames))
        except Exception as exc:  # noqa: BLE001 - contained, reported
            warn(f"reporter {impl.plugin_name!r} failed in {caller.name}: {type(exc).__name__}: {exc} "
                 "(the run goes on)")


def build_plugins(
    modules: Sequence[str] = (),
    paths: Sequence[str | os.PathLike[str]] = (),
    *,
    base_dir: str | os.PathLike[str] | None = None,
    disable: Sequence[str] = (),
) -> Plugins:
    """The registry and hook relay of a plugin manager with the given modules and files."""
    pm = build_plugin_manager(modules, paths, base_dir=base_dir, disable=disable)
    return Plugins(registry_from(pm), pm.hook)


def build_registry(
    modules: Sequence[str] = (),
    paths: Sequence[str | os.PathLike[str]] = (),
    *,
    base_dir: str | os.PathLike[str] | None = None,
    disable: Sequence[str] = (),
) -> Registry:
    """Every plugin offered by the loaded modules, by kind and name (and the broken entry points)."""
    return registry_from(build_plugin_manager(modules, paths, base_dir=base_dir, disable=disable))


def plugin_options(registry: Registry, kind: str, name: str, raw: Mapping[str, Any], *, path: str = "") -> Any:
    """The options instance of plugin ``name`` of ``kind``, structured strictly from ``raw``.

    ``raw`` is a TOML table's plugin keys (``{"depth": 2}``); it goes through
    the spec's converter, so a wrong option reads the same from the command
    line as from a spec. Problems raise one :class:`~framework.spec.SpecError`
    whose paths start with ``path`` (the table's TOML path, e.g.
    ``model.backbone``); an unknown name raises :class:`UnknownPluginError`.
    """
    info = registry.get(kind, name).info
    return structure(dict(raw), info.options, f"{kind} plugin {name!r}", path)


def build_plugin(
    registry: Registry,
    kind: str,
    name: str,
    raw: Mapping[str, Any] | None = None,
    *factory_args: Any,
    path: str = "",
    **factory_kwargs: Any,
) -> Any:
    """Build plugin ``name`` of ``kind``: ``factory(plugin_options(...), *factory_args, **factory_kwargs)``.

    ``raw`` (default: no options given) is structured as :func:`plugin_options` does.
    """
    options = plugin_options(registry, kind, name, raw or {}, path=path)
    return registry.get(kind, name).info.factory(options, *factory_args, **factory_kwargs)


def registry_from(pm: PluginManager) -> Registry:
    """Call each registration hook once and index what the plugins return.

    A registration mistake (a hook that raises, returns one record instead of
    a list, or something else than :class:`PluginInfo` records) skips an
    installed entry point as broken and is a :class:`PluginError` naming the
    plugin for a module or file the caller named. Two plugins registering the
    same name for the same kind is an error that names both sources.
    """
    entries: dict[str, dict[str, Registered]] = {kind: {} for kind in KINDS}
    broken = list(pm.broken)
    for plugin_name, origin in pm.origins.items():
        try:
            records = list(_records_of(pm, plugin_name))
        except _Mistake as exc:
            if origin.entry_point is None:
                raise PluginError(f"plugin {origin.source}: {exc}") from exc.__cause__
            broken.append(_broken(origin, exc))
            continue
        for info in records:
            if info.name in entries[info.kind]:
                other = entries[info.kind][info.name].source
                raise PluginError(
                    f"{info.kind} plugin {info.name!r} is registered twice: by {other} and by {origin.source}"
                )
            entries[info.kind][info.name] = Registered(info, origin.source, origin.package, origin.version)
    _warn_broken(broken)
    return Registry(entries, tuple(broken))


def _warn_broken(broken: Sequence[BrokenPlugin]) -> None:
    """One warning listing every skipped entry point (tracebacks too under ``FRAMEWORK_TRACEBACK``)."""
    if not broken:
        return
    lines = [f"warning: skipped {len(broken)} installed plugin(s) that failed to load "
             "(FRAMEWORK_DISABLE_PLUGINS=NAME turns one off):"]
    for item in broken:
        lines.append(f"  {item.describe()}")
        if os.environ.get("FRAMEWORK_TRACEBACK", "0") not in ("", "0") and item.exception is not None:
            lines.append("".join(traceback.format_exception(item.exception)).rstrip())
    _log.warning("\n".join(lines))


def load_only_from_env() -> set[str] | None:
    """The entry-point names ``FRAMEWORK_LOAD_PLUGINS`` selects, or None for all."""
    return _names_from_env("FRAMEWORK_LOAD_PLUGINS")


def disabled_from_env() -> set[str]:
    """The entry-point names ``FRAMEWORK_DISABLE_PLUGINS`` turns off."""
    return _names_from_env("FRAMEWORK_DISABLE_PLUGINS") or set()


def _names_from_env(variable: str) -> set[str] | None:
    value = os.environ.get(variable)
    if value is None:
        return None
    return {name.strip() for name in value.split(",") if name.strip()}


#: Plugins added for the duration of a ``with temporary_plugins(...)`` block (tests).
_temporary: ContextVar[tuple[object, ...]] = ContextVar("framework_temporary_plugins", default=())


@contextlib.contextmanager
def temporary_plugins(plugins: Sequence[object]) -> Iterable[None]:
    """Register ``plugins`` in every manager built inside the block; forget them after."""
    token = _temporary.set(_temporary.get() + tuple(plugins))
    try:
        yield
    finally:
        _temporary.reset(token)


@frozen
class Origin:
    """Where a registered plugin came from: its source, package and version, and entry-point name."""

    source: str  # the module's name, or a file path
    package: str  # distribution name; "(spec)" for modules and files a spec lists
    version: str
    entry_point: str | None = None  # None: named by the caller, so its mistakes are errors


class PluginManager(pluggy.PluginManager):
    """pluggy's manager, remembering where each registered plugin came from and what was skipped."""

    def __init__(self, project_name: str) -> None:
        super().__init__(project_name)
        #: plugin name -> where it came from
        self.origins: dict[str, Origin] = {}
        #: installed entry points that failed to load or register, skipped
        self.broken: list[BrokenPlugin] = []


class _Mistake(Exception):
    """A plugin's own mistake, as one line (the plugin's name is added by the caller)."""


#: Every hook name the framework specifies.
HOOK_NAMES = frozenset(
    name for name, value in vars(hookspecs).items() if hasattr(value, f"{hookspecs.PROJECT_NAME}_spec")
)


def _broken(origin: Origin, exc: _Mistake) -> BrokenPlugin:
    return BrokenPlugin(origin.entry_point or origin.source, origin.source, origin.package, origin.version,
                        str(exc), exc.__cause__ or exc)


def _selected_entry_points(disable: Sequence[str]) -> Iterable[Any]:
    installed = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name)
    only, off = load_only_from_env(), disabled_from_env() | set(disable)
    known = {ep.name for ep in installed} | {ep.dist.metadata["Name"] for ep in installed if ep.dist}
    for what, names in (("FRAMEWORK_LOAD_PLUGINS", only or set()), ("FRAMEWORK_DISABLE_PLUGINS or plugins.disable", off)):
        unknown = sorted(names - known)
        if unknown:
            hints = [f"{n!r}" + (f" (did you mean {c[0]!r}?)" if (c := difflib.get_close_matches(n, known, n=1)) else "")
                     for n in unknown]
            raise PluginError(f"{what} names no installed entry point or package: {', '.join(hints)}; "
                              f"installed: {', '.join(sorted(known)) or 'none'}")
    seen = set()
    for ep in installed:
        names = {ep.name, ep.dist.metadata["Name"] if ep.dist else ep.name}
        if (only is None or names & only) and not names & off and ep.value not in seen:
            seen.add(ep.value)
            yield ep


def _load(load: Any) -> ModuleType:
    try:
        return load()
    except Exception as exc:  # any import failure of user code becomes a clear message
        raise _Mistake(f"cannot be imported: {type(exc).__name__}: {exc}") from exc


def _add(pm: PluginManager, load: Any, origin: Origin, what: str) -> None:
    """Import and register a plugin the caller named: any mistake is a PluginError."""
    try:
        plugin = _load(load)
    except _Mistake as exc:
        raise PluginError(f"cannot load {what}: {str(exc).removeprefix('cannot be imported: ')}") from exc.__cause__
    try:
        _register(pm, plugin, origin)
    except _Mistake as exc:
        raise PluginError(f"plugin {origin.source}: {exc}") from exc.__cause__


def _import_file(file: Path) -> ModuleType:
    if not file.is_file():
        raise FileNotFoundError(f"no such file: {file}")
    digest = hashlib.sha1(str(file).encode()).hexdigest()[:10]
    name = f"{SPEC_FILE_PREFIX}{file.stem}_{digest}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, file)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def _register(pm: PluginManager, plugin: object, origin: Origin) -> None:
    if pm.is_registered(plugin):
        return
    if isinstance(plugin, ModuleType):
        _check_unmarked_hooks(plugin)
    try:
        name = pm.register(plugin, name=origin.source)
    except (pluggy.PluginValidationError, ValueError) as exc:  # ValueError: a plugin name already registered
        raise _Mistake(str(exc)) from exc
    pm.origins[name] = origin


def _check_unmarked_hooks(module: ModuleType) -> None:
    """A hook-like function defined in ``module`` without ``@hookimpl`` would be silently ignored."""
    for attribute, value in vars(module).items():
        if not callable(value) or getattr(value, "__module__", None) != module.__name__:
            continue
        if hasattr(value, f"{hookspecs.PROJECT_NAME}_impl"):
            continue
        if attribute in HOOK_NAMES:
            raise _Mistake(f"{attribute}() is not marked @hookimpl, so it would never be called; "
                           "add `from framework import hookimpl` and `@hookimpl` above it")
        if attribute.startswith("register_") and (close := difflib.get_close_matches(attribute, HOOK_NAMES, n=1)):
            raise _Mistake(f"{attribute}() looks like the hook {close[0]}() misspelt, and is not marked @hookimpl")


def _unknown_hooks(pm: PluginManager) -> Iterable[tuple[object, str]]:
    """(plugin, message) for every ``@hookimpl`` whose name no hook specification has (pluggy's check_pending)."""
    for name, caller in list(vars(pm.hook).items()):
        if name.startswith("_") or caller.has_spec():
            continue
        for impl in caller.get_hookimpls():
            if not impl.optionalhook:
                close = difflib.get_close_matches(name, HOOK_NAMES, n=1)
                hint = f" (did you mean {close[0]}?)" if close else ""
                yield impl.plugin, f"unknown hook {name!r}{hint}; the hooks are listed in framework.hookspecs"


def _records_of(pm: PluginManager, plugin_name: str) -> Iterable[PluginInfo]:
    """The records one plugin's registration hooks return, each checked."""
    for kind, hook_name in KINDS.items():
        for impl in getattr(pm.hook, hook_name).get_hookimpls():
            if impl.plugin_name != plugin_name:
                continue
            try:
                result = impl.function()
            except Exception as exc:
                raise _Mistake(f"{hook_name}() raised {type(exc).__name__}: {exc}") from exc
            if result is None:
                continue
            if isinstance(result, PluginInfo):
                raise _Mistake(f"{hook_name}() returned one PluginInfo ({result.name!r}); "
                               "return a list of them: [PluginInfo(...)]")
            if not isinstance(result, (list, tuple, GeneratorType)):
                raise _Mistake(f"{hook_name}() must return a list of PluginInfo records, "
                               f"got {type(result).__name__} {_short(result)}")
            for info in result:
                if not isinstance(info, PluginInfo):
                    raise _Mistake(f"{hook_name}() must return PluginInfo records "
                                   f"(framework.PluginInfo(name, kind, factory, options)), "
                                   f"got {type(info).__name__} {_short(info)}")
                if info.kind != kind:
                    raise _Mistake(f"{hook_name}() returned {info.name!r} of kind {info.kind!r}; "
                                   f"register it from {KINDS[info.kind]}()")
                yield info


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
