"""Selectors: which trained candidates survive a generation.

A selector's ``score(scores)`` returns a number, higher is better; the engine
keeps the ``population.keep`` best (ties: smaller mass, then older id). A
selector that reads a split lists it in ``requires_splits``, so a run whose
task leaves that split empty stops before any training.

* ``train-accuracy``: the paper's choice. On 128 training images it is weak
  evidence: for the baseline encoder, training and evaluation accuracy do not
  correlate (gssnn.md).
* ``select-accuracy``: accuracy on a held-out selection split, never trained on.
"""

from __future__ import annotations

from framework import NoOptions, PluginInfo, Scores, hookimpl


class TrainAccuracy:
    requires_splits = ()

    def __init__(self, options: NoOptions) -> None:
        pass

    def score(self, scores: Scores) -> float:
        return scores.train_accuracy


class SelectAccuracy:
    #: the engine refuses to start when one of these splits is empty
    requires_splits = ("select",)

    def __init__(self, options: NoOptions) -> None:
        pass

    def score(self, scores: Scores) -> float:
        return scores.select_accuracy


@hookimpl
def register_selectors():
    return [
        PluginInfo("train-accuracy", "selector", TrainAccuracy, summary="training-set accuracy (the paper's)"),
        PluginInfo("select-accuracy", "selector", SelectAccuracy, summary="accuracy on a held-out selection split"),
    ]
