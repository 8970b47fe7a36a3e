"""The plugin manager: discovery, registration and the name -> plugin registry.

Nothing happens at import time. :func:`build_plugin_manager` adds the hook
specifications, loads the ``framework`` entry-point group (the built-in
plugins come in this way too, exactly like a third-party package's), then the
modules and ``.py`` files a spec lists, then calls ``check_pending()`` so a
misspelled hook name is an error rather than a silently ignored function.

Environment switches (like datasette's):

* ``FRAMEWORK_LOAD_PLUGINS=name,name``: load only these entry points
  (an empty value loads none); handy in tests.
* ``FRAMEWORK_TRACE_PLUGINS=1``: print every hook call with its arguments
  and results.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.util
import os
import sys
from contextvars import ContextVar
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any, Iterable, Mapping, Sequence

import pluggy
from attrs import field, frozen

from framework import hookspecs
from framework._registry import KINDS, PluginError, PluginInfo, Registered, Registry
from framework.convert import structure

ENTRY_POINT_GROUP = "framework"


def build_plugin_manager(
    modules: Sequence[str] = (),
    paths: Sequence[str | os.PathLike[str]] = (),
    *,
    base_dir: str | os.PathLike[str] | None = None,
) -> PluginManager:
    """A plugin manager with every entry-point plugin plus the given modules and files.

    :param modules: importable module names (a spec's ``plugins.modules``).
    :param paths: ``.py`` files (a spec's ``plugins.paths``), relative to ``base_dir``.
    :param base_dir: where relative paths are resolved (the spec file's folder).
    """
    pm = PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    for ep in _selected_entry_points():
        dist = ep.dist
        package = dist.metadata["Name"] if dist else "?"
        version = dist.version if dist else "?"
        module = _guarded_import(f"entry point {ep.name!r} ({ep.value})", ep.load)
        _register(pm, module, ep.value, package, version)
    for name in modules:
        module = _guarded_import(f"plugin module {name!r}", lambda n=name: importlib.import_module(n))
        _register(pm, module, name, "(spec)", getattr(module, "__version__", ""))
    for plugin in _temporary.get():
        _register(pm, plugin, getattr(plugin, "__name__", repr(plugin)), "(test)", "")
    for path in paths:
        file = Path(base_dir or ".", path).resolve()
        module = _guarded_import(f"plugin file {str(path)!r}", lambda f=file: _import_file(f))
        _register(pm, module, str(file), "(spec)", getattr(module, "__version__", ""))
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"plugin {_source_of(pm, exc.plugin)}: {exc}") from None
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
) -> Plugins:
    """The registry and hook relay of a plugin manager with the given modules and files."""
    pm = build_plugin_manager(modules, paths, base_dir=base_dir)
    return Plugins(registry_from(pm), pm.hook)


def build_registry(
    modules: Sequence[str] = (),
    paths: Sequence[str | os.PathLike[str]] = (),
    *,
    base_dir: str | os.PathLike[str] | None = None,
) -> Registry:
    """Every plugin offered by the loaded modules, by kind and name."""
    return registry_from(build_plugin_manager(modules, paths, base_dir=base_dir))


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

    Two plugins registering the same name for the same kind is an error that
    names both sources.
    """
    entries: dict[str, dict[str, Registered]] = {kind: {} for kind in KINDS}
    for kind, hook_name in KINDS.items():
        for impl in getattr(pm.hook, hook_name).get_hookimpls():
            source, package, version = pm.sources[impl.plugin_name]
            for info in impl.function() or ():
                if not isinstance(info, PluginInfo):
                    raise PluginError(
                        f"plugin {source}: {hook_name}() must return PluginInfo records, got {info!r}"
                    )
                if info.kind != kind:
                    raise PluginError(
                        f"plugin {source}: {hook_name}() returned {info.name!r} of kind {info.kind!r}"
                    )
                if info.name in entries[kind]:
                    other = entries[kind][info.name].source
                    raise PluginError(
                        f"{kind} plugin {info.name!r} is registered twice: by {other} and by {source}"
                    )
                entries[kind][info.name] = Registered(info, source, package, version)
    return Registry(entries)


def load_only_from_env() -> set[str] | None:
    """The entry-point names ``FRAMEWORK_LOAD_PLUGINS`` selects, or None for all."""
    value = os.environ.get("FRAMEWORK_LOAD_PLUGINS")
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


class PluginManager(pluggy.PluginManager):
    """pluggy's manager, remembering where each registered plugin came from."""

    def __init__(self, project_name: str) -> None:
        super().__init__(project_name)
        #: plugin name -> (source, package, version)
        self.sources: dict[str, tuple[str, str, str]] = {}


def _selected_entry_points() -> Iterable[Any]:
    only = load_only_from_env()
    seen = set()
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        if (only is None or ep.name in only) and ep.value not in seen:
            seen.add(ep.value)
            yield ep


def _guarded_import(what: str, load: Any) -> ModuleType:
    try:
        return load()
    except PluginError:
        raise
    except Exception as exc:  # any import failure of user code becomes a clear message
        raise PluginError(f"cannot load {what}: {type(exc).__name__}: {exc}") from exc


def _import_file(file: Path) -> ModuleType:
    if not file.is_file():
        raise FileNotFoundError(f"no such file: {file}")
    digest = hashlib.sha1(str(file).encode()).hexdigest()[:10]
    name = f"framework_spec_plugin_{file.stem}_{digest}"
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


def _register(pm: PluginManager, module: ModuleType, source: str, package: str, version: str) -> None:
    if pm.is_registered(module):
        return
    try:
        name = pm.register(module, name=source)
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"plugin {source}: {exc}") from None
    except ValueError as exc:  # pluggy: a plugin name already registered
        raise PluginError(f"plugin {source}: {exc}") from None
    pm.sources[name] = (source, package, version)


def _source_of(pm: PluginManager, plugin: object) -> str:
    name = pm.get_name(plugin) if plugin is not None else None
    return name or repr(plugin)
