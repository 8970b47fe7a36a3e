"""framework: a plugin-based neurosymbolic framework.

The public API. Plugins (built-in ones included) import from here only.
"""

from importlib.metadata import PackageNotFoundError, version

from framework._registry import KINDS, NoOptions, PluginError, PluginInfo, UnknownPluginError
from framework.dsl.program import Program
from framework.graph import PortGraph
from framework.hookspecs import hookimpl, hookspec

try:
    __version__ = version("framework")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"

__all__ = [
    "KINDS",
    "NoOptions",
    "PluginError",
    "PluginInfo",
    "PortGraph",
    "Program",
    "UnknownPluginError",
    "__version__",
    "hookimpl",
    "hookspec",
]
