"""Selectors: which trained candidates survive a generation.

A selector's ``score(scores)`` returns a number, higher is better; the engine
keeps the ``population.keep`` best (ties: smaller mass, then older id).

* ``train-accuracy``: the paper's choice. On 128 training images it is weak
  evidence: for the baseline encoder, training and evaluation accuracy do not
  correlate (gssnn.md).
* ``select-accuracy``: accuracy on a held-out selection split, never trained on.
"""

from __future__ import annotations

from framework import NoOptions, PluginInfo, UsageError, hookimpl


class TrainAccuracy:
    def __init__(self, options: NoOptions) -> None:
        pass

    def score(self, scores) -> float:
        return scores.train_accuracy


class SelectAccuracy:
    def __init__(self, options: NoOptions) -> None:
        pass

    def score(self, scores) -> float:
        if scores.select_accuracy is None:
            raise UsageError("selector 'select-accuracy' needs a selection split: set task.select > 0")
        return scores.select_accuracy


@hookimpl
def register_selectors():
    return [
        PluginInfo("train-accuracy", "selector", TrainAccuracy, summary="training-set accuracy (the paper's)"),
        PluginInfo("select-accuracy", "selector", SelectAccuracy, summary="accuracy on a held-out selection split"),
    ]
