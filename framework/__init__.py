"""framework: a plugin-based neurosymbolic framework.

The public API. Plugins (built-in ones included) import from here only.
"""

from importlib.metadata import PackageNotFoundError, version

from framework._registry import KINDS, NoOptions, PluginError, PluginInfo, UnknownPluginError
from framework.domain import Rejection
from framework.dsl.program import Program
from framework.errors import FrameworkError, UsageError
from framework.graph import PortGraph
from framework.hookspecs import hookimpl, hookspec

try:
    __version__ = version("framework")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"

__all__ = [
    "KINDS",
    "FrameworkError",
    "NoOptions",
    "PluginError",
    "PluginInfo",
    "PortGraph",
    "Program",
    "Rejection",
    "UnknownPluginError",
    "UsageError",
    "__version__",
    "hookimpl",
    "hookspec",
]
