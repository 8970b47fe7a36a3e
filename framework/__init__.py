"""framework: a plugin-based neurosymbolic framework.

The public API: what a plugin author or a user needs. Plugins (built-in ones
included) import from here and from the public modules in
:data:`PUBLIC_MODULES` only. Algorithm internals (the PCFG tables, heap
search, exploration) are importable from their modules.
"""

from importlib.metadata import PackageNotFoundError, version

from framework._lazy import lazy_names
from framework._registry import KINDS, LazyFactory, NoOptions, PluginError, PluginInfo, UnknownPluginError
from framework.contracts import *  # noqa: F403 -- every protocol and factory alias is public
from framework.contracts import __all__ as _CONTRACTS
from framework.convert import SpecError
from framework.domain import Rejection
from framework.dsl.errors import GrammarError, ProgramError, ProgramSyntaxError
from framework.dsl.grammar import Grammar, Production, grammars_dir, hole, hole_index, min_sizes
from framework.dsl.program import Program, depth, log_probability, mass, nodes, size
from framework.errors import FrameworkError, OptionError, PluginFault, UsageError
from framework.events import GenerationEnd, RunEnd
from framework.graph import PortGraph, build_port_graph, port_graph_violations
from framework.hookspecs import hookimpl
from framework.nn import __all__ as _NEURAL
from framework.plugins import Plugins, build_plugin, plugin_options
from framework.probing import PartScore, ProbeReport, ProbeSubject, part_score, per_sample, rank
from framework.run_state import Candidate, RunState, Scores
from framework.spec import Spec
from framework.task import Split, TaskData, class_balance, majority_accuracy
from framework.training_options import TrainingOptions

try:
    __version__ = version("framework")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"

#: The modules besides ``framework`` itself that plugins may import (tests/test_packaging.py checks
#: the built-in ones): the PCFG tables and heap search for synthesizers, the neural building blocks,
#: the test helpers, and the run-directory readers for reporters.
PUBLIC_MODULES = (
    "framework.contracts",
    "framework.dsl.heap_search",
    "framework.dsl.pcfg",
    "framework.dsl.rules",
    "framework.nn",
    "framework.nn.testing",
    "framework.population",
    "framework.report",
    "framework.run_dir",
    "framework.stats",
    "framework.store",
    "framework.testing",
)

#: The neural side's names, imported on first use so that ``import framework``
#: (grammar tools, listing plugins, validating a spec) does not pay for importing torch.
_LAZY = {
    **dict.fromkeys(_NEURAL, "framework.nn"),
    "TrainResult": "framework.training",
    "seed_everything": "framework.training",
    "train": "framework.training",
    "load_network": "framework.loading",
}

__getattr__, __dir__ = lazy_names(__name__, _LAZY)


__all__ = [
    # registering plugins
    "KINDS",
    "LazyFactory",
    "NoOptions",
    "PluginInfo",
    "hookimpl",
    # building plugins
    "Plugins",
    "build_plugin",
    "plugin_options",
    # the contract of each kind (framework.contracts)
    *_CONTRACTS,
    # the records plugins receive
    "Candidate",
    "GenerationEnd",
    "Rejection",
    "RunEnd",
    "RunState",
    "Scores",
    "Spec",
    "Split",
    "TaskData",
    "TrainingOptions",
    # grammars and programs
    "Grammar",
    "PortGraph",
    "build_port_graph",
    "port_graph_violations",
    "Production",
    "Program",
    "depth",
    "grammars_dir",
    "hole",
    "hole_index",
    "log_probability",
    "mass",
    "min_sizes",
    "nodes",
    "size",
    # errors
    "FrameworkError",
    "GrammarError",
    "OptionError",
    "PluginError",
    "PluginFault",
    "ProgramError",
    "ProgramSyntaxError",
    "SpecError",
    "UnknownPluginError",
    "UsageError",
    # probes (framework probe)
    "PartScore",
    "ProbeReport",
    "ProbeSubject",
    "part_score",
    "per_sample",
    "rank",
    # tasks
    "class_balance",
    "majority_accuracy",
    # the neural side (imported on first use)
    *_LAZY,
    "__version__",
]
