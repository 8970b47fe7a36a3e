"""framework: a plugin-based neurosymbolic framework.

The public API. Plugins (built-in ones included) import from here only.
"""

from importlib.metadata import PackageNotFoundError, version

from framework._registry import KINDS, NoOptions, PluginError, PluginInfo, UnknownPluginError
from framework.contracts import (
    BackboneFactory,
    Domain,
    DomainFactory,
    EncoderFactory,
    Executor,
    ExecutorFactory,
    InjectorFactory,
    Job,
    LibraryLearner,
    LibraryLearnerFactory,
    LibraryResult,
    Member,
    Reporter,
    Resumable,
    Selector,
    SelectorFactory,
    Synthesizer,
    SynthesizerFactory,
    Task,
    TaskFactory,
)
from framework.domain import Rejection
from framework.dsl.errors import GrammarError, ProgramError, ProgramSyntaxError
from framework.dsl.grammar import Grammar, Production, grammars_dir, hole, hole_index
from framework.dsl.heap_search import HeapSearch
from framework.dsl.pcfg import (
    MAX_SIZE_LIMIT,
    NoProgramError,
    ProductionTable,
    SizeTable,
    compile_table,
    logsumexp,
    production_counts,
    reweight,
    sample_program,
    shrink_spread,
)
from framework.dsl.program import Program, depth, log_probability, mass, nodes, size
from framework.errors import FrameworkError, OptionError, UsageError
from framework.explore import ExploreResult, ExploreStats, Found, Replacement, explore
from framework.graph import PortGraph
from framework.hookspecs import hookimpl, hookspec
from framework.plugins import Plugins, build_plugin, plugin_options
from framework.task import Split, TaskData, class_balance, majority_accuracy

try:
    __version__ = version("framework")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"

#: The neural side's names, imported on first use so that ``import framework``
#: (grammar tools, the CLI's ``--help``) does not pay for importing torch.
_LAZY = {
    "ACTIVATIONS": "framework.nn",
    "Backbone": "framework.nn",
    "GSSNN": "framework.nn",
    "GATv2Options": "framework.nn",
    "GCNOptions": "framework.nn",
    "GINEOptions": "framework.nn",
    "LayerStackOptions": "framework.nn",
    "SAGEOptions": "framework.nn",
    "GraphIndex": "framework.nn",
    "Injector": "framework.nn",
    "add_self_loops": "framework.nn",
    "check_activation": "framework.nn",
    "chunk_gather_index": "framework.nn",
    "dropout": "framework.nn",
    "gather_chunks": "framework.nn",
    "gather_nodes": "framework.nn",
    "scatter_mean": "framework.nn",
    "scatter_softmax": "framework.nn",
    "scatter_sum": "framework.nn",
    "sincos_code": "framework.nn",
    "TrainingProgress": "framework.nn.progress",
    "TrainResult": "framework.training",
    "TrainingOptions": "framework.training",
    "resolve_device": "framework.training",
    "seed_everything": "framework.training",
    "train": "framework.training",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'framework' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(module), name)


__all__ = [
    "BackboneFactory",
    "Domain",
    "DomainFactory",
    "EncoderFactory",
    "Executor",
    "ExecutorFactory",
    "InjectorFactory",
    "Job",
    "LibraryLearner",
    "LibraryLearnerFactory",
    "LibraryResult",
    "Member",
    "Plugins",
    "Reporter",
    "Resumable",
    "Selector",
    "SelectorFactory",
    "Synthesizer",
    "SynthesizerFactory",
    "TaskFactory",
    "build_plugin",
    "plugin_options",
    "ExploreResult",
    "ExploreStats",
    "Found",
    "HeapSearch",
    "MAX_SIZE_LIMIT",
    "NoProgramError",
    "ProductionTable",
    "Replacement",
    "SizeTable",
    "compile_table",
    "explore",
    "logsumexp",
    "production_counts",
    "reweight",
    "sample_program",
    "shrink_spread",
    "Grammar",
    "GrammarError",
    "KINDS",
    "FrameworkError",
    "NoOptions",
    "OptionError",
    "PluginError",
    "PluginInfo",
    "PortGraph",
    "Production",
    "Program",
    "ProgramError",
    "ProgramSyntaxError",
    "Rejection",
    "Split",
    "Task",
    "TaskData",
    "UnknownPluginError",
    "UsageError",
    "ACTIVATIONS",
    "Backbone",
    "GSSNN",
    "GATv2Options",
    "GCNOptions",
    "GINEOptions",
    "LayerStackOptions",
    "SAGEOptions",
    "GraphIndex",
    "Injector",
    "TrainResult",
    "TrainingOptions",
    "TrainingProgress",
    "add_self_loops",
    "check_activation",
    "chunk_gather_index",
    "dropout",
    "gather_chunks",
    "gather_nodes",
    "resolve_device",
    "scatter_mean",
    "scatter_softmax",
    "scatter_sum",
    "seed_everything",
    "sincos_code",
    "train",
    "__version__",
    "class_balance",
    "majority_accuracy",
    "depth",
    "grammars_dir",
    "hole",
    "hole_index",
    "log_probability",
    "mass",
    "nodes",
    "size",
    "hookimpl",
    "hookspec",
]
