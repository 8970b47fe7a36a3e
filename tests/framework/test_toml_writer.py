"""The TOML writer: its bytes are every run's hash, so they are pinned here.

``spec_to_toml`` feeds ``sha256`` into the checkpoint's ``spec_hash``; a run
resumes only when the hash of its spec is unchanged. A different text for the
same spec would make every earlier run refuse ``--resume``.
"""

from __future__ import annotations

import tomllib

import pytest

from framework.spec import spec_to_toml, structure_spec
from framework.toml_writer import dumps

#: A spec with every kind of value: strings needing escapes, integers, floats in
#: both notations, booleans, arrays, nested inline tables, arrays of tables,
#: keys that need quoting, a table written as a string shorthand, a dropped None.
DATA = {
    "run": {"name": 'quote " back \\ tab \t bell \x07 del \x7f é ✓', "seed": 7, "generations": 3, "device": "cpu"},
    "domain": {"plugin": "graph", "grammar": "g.lark", "max_conn": 4, "equivalence": "ported"},
    "task": {"plugin": "raven", "train": 64, "matrix_types": {"ONE_SHAPE": 2.5, "two words": 1}, "ratio": 1e-7, "big": 12345678901234, "neg": -3, "nested": {"a": [1, 2], "b": {"c": True}}},
    "synthesizers": [{"plugin": "enumerative", "max_size": 9}, {"plugin": "stochastic", "temperature": 0.5, "weights": [0.25, 1.0, 3]}],
    "library": {"plugin": "stitch", "enabled": False, "reweight": True, "smoothing": 0.1, "max_diff": 0, "key.with.dots": "x", "": "empty key"},
    "model": {"dim": 64, "encoder": {"plugin": "cnn", "hidden": [8, 16]}, "injector": "gssnn", "backbone": {"plugin": "gine", "depth": 2, "eps": 0.0, "train_eps": True}},
    "training": {"epochs": 2, "lr": 0.003, "amp": False, "scheduler": "none", "plateau_threshold": 1e-4},
    "population": {"size": 4, "keep": 2, "repeats": 2, "replace_smaller": False, "explore_budget": 100, "selector": "train-accuracy", "initial": ["(a)", "(b \"c\")"]},
    "baseline": {"runs": 0},
    "executor": {"plugin": "local"},
    "plugins": {"modules": ["m1"], "paths": ["p/x.py"]},
}

EXPECTED = """\
[run]
name = "quote \\" back \\\\ tab \\u0009 bell \\u0007 del \\u007f é ✓"
seed = 7
generations = 3
device = "cpu"

[domain]
plugin = "graph"
grammar = "g.lark"
max_conn = 4
equivalence = "ported"

[task]
plugin = "raven"
train = 64
matrix_types = {ONE_SHAPE = 2.5, "two words" = 1}
ratio = 1e-07
big = 12345678901234
neg = -3
nested = {a = [1, 2], b = {c = true}}

[[synthesizers]]
plugin = "enumerative"
max_size = 9

[[synthesizers]]
plugin = "stochastic"
temperature = 0.5
weights = [0.25, 1.0, 3]

[library]
plugin = "stitch"
enabled = false
reweight = true
smoothing = 0.1
max_diff = 0.0
"key.with.dots" = "x"
"" = "empty key"

[model]
dim = 64
encoder = {plugin = "cnn", hidden = [8, 16]}
injector = {plugin = "gssnn"}
backbone = {plugin = "gine", depth = 2, eps = 0.0, train_eps = true}

[training]
epochs = 2
batch_size = 8
lr = 0.003
plateau_factor = 0.5
plateau_patience = 50
plateau_cooldown = 15
plateau_threshold = 0.0001
scheduler = "none"
amp = false
eval_batch_size = 256
shuffle = true

[population]
size = 4
keep = 2
repeats = 2
replace_smaller = false
explore_budget = 100
explore_seconds = 600.0
selector = {plugin = "train-accuracy"}
initial = ["(a)", "(b \\"c\\")"]

[baseline]
runs = 0

[executor]
plugin = "local"

[plugins]
modules = ["m1"]
paths = ["p/x.py"]

[artifacts]
networks = "survivors"

[start]
weights = "none"
"""


def test_the_written_text_is_pinned():
    assert spec_to_toml(structure_spec(DATA)) == EXPECTED


def test_the_written_text_loads_back_to_the_same_spec():
    spec = structure_spec(DATA)
    assert structure_spec(tomllib.loads(spec_to_toml(spec))) == spec


def test_a_value_toml_cannot_hold_is_refused():
    with pytest.raises(TypeError, match="cannot write"):
        dumps({"run": {"when": object()}})
