"""framework-shapes: a third-party plugin package for framework, written from its docs.

Four plugins, registered through the entry point `shapes` (this module):

- domain `shapes`: programs of `shapes.lark` compose dots, paths, rings and
  stars into one graph (`framework_shapes.domain`);
- synthesizer `hill-climb`: neighbours of the best-scored members, each
  naming its parent (`framework_shapes.hill_climb`);
- injector `random-walk`: node and message features from random-walk
  statistics of the graph (`framework_shapes.walks`, torch);
- backbone `gin-sum`: GIN layers with a sum readout (`framework_shapes.gin`, torch).

This module imports no torch: the neural plugins are `LazyFactory`s, so
`framework plugins` and `framework validate` of a spec stay fast.
"""

from attrs import field, frozen
from attrs.validators import ge

from framework import LazyFactory, PluginInfo, hookimpl
from framework.nn.options import LayerStackOptions

from framework_shapes.domain import ShapesDomain, ShapesOptions
from framework_shapes.hill_climb import HillClimb, HillClimbOptions

__version__ = "0.1.0"
__all__ = ["GinSumOptions", "HillClimb", "HillClimbOptions", "RandomWalkOptions", "ShapesDomain", "ShapesOptions"]


@frozen
class RandomWalkOptions:
    """Options from `[model] injector = {plugin = "random-walk", ...}`."""

    steps: int = field(default=8, validator=ge(1))  # random-walk lengths used, 1 .. steps


@frozen
class GinSumOptions(LayerStackOptions):
    """Options from `[model] backbone = {plugin = "gin-sum", ...}`: `depth`, `dropout`, `act`, `train_eps`."""

    train_eps: bool = False  # learn GIN's eps (else 0)


@hookimpl
def register_domains():
    return [PluginInfo("shapes", "domain", ShapesDomain, ShapesOptions,
                       summary="dots, paths, rings and stars joined and fused into one graph")]


@hookimpl
def register_synthesizers():
    return [PluginInfo("hill-climb", "synthesizer", HillClimb, HillClimbOptions,
                       summary="subtree neighbours of the best-scored members, parent recorded")]


@hookimpl
def register_injectors():
    return [PluginInfo("random-walk", "injector", LazyFactory("framework_shapes.walks:build"), RandomWalkOptions,
                       summary="random-walk return and landing probabilities, projected")]


@hookimpl
def register_backbones():
    return [PluginInfo("gin-sum", "backbone", LazyFactory("framework_shapes.gin:build"), GinSumOptions,
                       summary="GIN layers, sum readout")]
