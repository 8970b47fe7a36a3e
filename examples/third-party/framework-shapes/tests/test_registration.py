"""Registration stays cheap: the entry-point module imports no torch (the neural plugins are LazyFactorys)."""

import subprocess
import sys

from framework import LazyFactory

import framework_shapes


def test_registering_imports_no_torch():
    code = "import sys, framework_shapes; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_the_four_plugins_and_which_are_lazy():
    infos = [info for hook in (framework_shapes.register_domains, framework_shapes.register_synthesizers,
                               framework_shapes.register_injectors, framework_shapes.register_backbones)
             for info in hook()]
    assert [(info.kind, info.name) for info in infos] == [
        ("domain", "shapes"), ("synthesizer", "hill-climb"), ("injector", "random-walk"), ("backbone", "gin-sum")]
    assert [isinstance(info.factory, LazyFactory) for info in infos] == [False, False, True, True]
