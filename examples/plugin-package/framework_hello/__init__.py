"""framework-hello: a selector that prefers candidates with the lowest final training loss.

A complete third-party plugin: an options class, the plugin object, and one
``@hookimpl`` that registers it. Install it (``pip install ./examples/plugin-package``)
and ``framework plugins`` lists ``lowest-loss``; a spec selects it with
``[population] selector = {plugin = "lowest-loss"}``.
"""

from attrs import field, frozen
from attrs.validators import ge

from framework import PluginInfo, hookimpl

__version__ = "0.1.0"


@frozen
class LowestLossOptions:
    #: added to the loss before ranking; shows how options reach the plugin
    offset: float = field(default=0.0, validator=ge(0.0))


class LowestLoss:
    """Score = minus the final training loss: higher is better, as for every selector."""

    requires_splits = ()  # reads training figures only

    def __init__(self, options: LowestLossOptions) -> None:
        self.options = options

    def score(self, result) -> float:
        return -(result.final_loss + self.options.offset)


@hookimpl
def register_selectors():
    return [PluginInfo("lowest-loss", "selector", LowestLoss, LowestLossOptions, summary="lowest training loss first")]
