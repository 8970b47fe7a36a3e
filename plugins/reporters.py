"""Reporters: plots and graph drawings after every generation.

* ``plots/g<g>.png``: train and eval accuracy of the population sorted by
  selection score, with the baseline's band (the paper's figure).
* ``drawings/g<g>/<id>.svg``: every survivor's graph, ports and creation order visible.
"""

from __future__ import annotations

from framework import hookimpl
from framework.report import draw_survivors, plot_generation


@hookimpl
def on_generation_end(event):
    baseline = [s.eval_accuracy for s in event.state.baseline if not s.failed]
    plot_generation(event.run_dir, event.generation, baseline)
    draw_survivors(event.run_dir, event.generation)
