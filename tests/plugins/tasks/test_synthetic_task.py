"""The ``synthetic`` task: seeded, balanced, and learnable in seconds."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from framework import Split, class_balance, majority_accuracy
from framework_plugins.tasks import SyntheticOptions, SyntheticTask
from framework_plugins.tasks.synthetic import make_split


def test_shapes_range_and_labels(tmp_path):
    data = SyntheticTask(SyntheticOptions(train=20, select=0, eval=30, side=12)).load(tmp_path, 0)
    assert data.input_shape == (1, 12, 12)
    assert data.train.x.shape == (20, 1, 12, 12) and data.train.x.dtype == torch.float32
    assert data.select.x.shape == (0, 1, 12, 12) and data.select.y.shape == (0,)
    assert data.eval.y.shape == (30,) and set(data.eval.y.tolist()) <= {0.0, 1.0}
    assert data.train.x.min() >= -1.0 and data.train.x.max() == 1.0
    assert list(tmp_path.iterdir()) == []  # nothing cached


@pytest.mark.parametrize("pattern", ["left_half", "orientation"])
def test_same_seed_same_tensors(pattern, tmp_path):
    options = SyntheticOptions(pattern=pattern)
    a, b = SyntheticTask(options).load(tmp_path, 3), SyntheticTask(options).load(tmp_path, 3)
    c = SyntheticTask(options).load(tmp_path, 4)
    assert torch.equal(a.train.x, b.train.x) and torch.equal(a.eval.y, b.eval.y)
    assert not torch.equal(a.train.x, c.train.x)


def test_splits_do_not_depend_on_each_others_sizes():
    small = SyntheticOptions(train=10)
    large = SyntheticOptions(train=50)
    assert torch.equal(make_split(small, 1, "eval", 40).x, make_split(large, 1, "eval", 40).x)
    assert not torch.equal(make_split(small, 1, "eval", 40).x, make_split(small, 1, "select", 40).x)


@pytest.mark.parametrize("pattern", ["left_half", "orientation"])
def test_balanced(pattern):
    split = make_split(SyntheticOptions(pattern=pattern), 0, "train", 2000)
    assert 0.45 <= class_balance(split) <= 0.55
    assert majority_accuracy(split) == pytest.approx(max(class_balance(split), 1 - class_balance(split)))


def test_the_mark_decides_the_label():
    split = make_split(SyntheticOptions(pattern="left_half", noise=0.0), 0, "train", 200)
    bright = split.x[:, 0] == 1.0
    left = bright[:, :, :8].flatten(1).any(1)
    right = bright[:, :, 8:].flatten(1).any(1)
    assert torch.equal(left.float(), split.y) and torch.equal(right.float(), 1 - split.y)
    bars = make_split(SyntheticOptions(pattern="orientation", noise=0.0), 0, "train", 200)
    rows_lit = (bars.x[:, 0] == 1.0).any(2).sum(1)  # a horizontal bar lights one row
    assert torch.equal((rows_lit == 1).float(), bars.y)


@pytest.fixture
def one_thread():
    """Tiny models gain nothing from threads, and lose a lot on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def fit(model: nn.Module, train: Split, steps: int = 150) -> None:
    torch.manual_seed(0)
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
    for step in range(steps):
        batch = slice((step * 32) % len(train.y), (step * 32) % len(train.y) + 32)
        loss = nn.functional.binary_cross_entropy_with_logits(model(train.x[batch]).squeeze(1), train.y[batch])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()


def accuracy(model: nn.Module, split: Split) -> float:
    with torch.no_grad():
        return float(((model(split.x).squeeze(1) > 0).float() == split.y).float().mean())


def test_left_half_is_learnt_by_an_mlp_in_seconds(tmp_path, one_thread):
    torch.manual_seed(0)
    data = SyntheticTask(SyntheticOptions(pattern="left_half", train=256)).load(tmp_path, 0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(256, 32), nn.ReLU(), nn.Linear(32, 1))
    assert accuracy(model, data.eval) < 0.7
    fit(model, data.train)
    assert accuracy(model, data.eval) > 0.9


def test_orientation_is_learnt_by_a_pooled_cnn_in_seconds(tmp_path, one_thread):
    torch.manual_seed(0)
    data = SyntheticTask(SyntheticOptions(pattern="orientation", train=256)).load(tmp_path, 0)
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(8, 1)
    )
    assert accuracy(model, data.eval) < 0.7
    fit(model, data.train, steps=300)
    assert accuracy(model, data.eval) > 0.9


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"pattern": "diagonal"}, "unknown synthetic pattern 'diagonal'; valid patterns: left_half, orientation"),
        ({"side": 4}, "'side' must be >= 8"),
        ({"train": 0}, "'train' must be >= 1"),
        ({"noise": -1.0}, "'noise' must be >= 0"),
    ],
)
def test_bad_options(options, message):
    with pytest.raises(ValueError, match=message):
        SyntheticOptions(**options)


def test_majority_accuracy_against_a_reference_split():
    train = Split(x=torch.zeros(4, 1), y=torch.tensor([0.0, 0.0, 0.0, 1.0]))
    eval_ = Split(x=torch.zeros(5, 1), y=torch.tensor([1.0, 1.0, 1.0, 0.0, 0.0]))
    assert class_balance(eval_) == pytest.approx(0.6)
    assert majority_accuracy(eval_) == pytest.approx(0.6)
    assert majority_accuracy(eval_, train) == pytest.approx(0.4)  # train says "always negative"
    empty = Split(x=torch.zeros(0, 1), y=torch.zeros(0))
    assert class_balance(empty) != class_balance(empty)  # nan


def test_left_half_is_learnt_by_a_gssnn_head(tmp_path, one_thread, monkeypatch):
    """The quickstart's network (mlp encoder, gssnn injector, gine, dim 32) in its 32 steps."""
    from framework import GSSNN, GraphIndex, TrainingOptions, train
    from framework.nn.testing import port_graph
    from framework.plugins import build_plugin, build_registry

    monkeypatch.setenv("FRAMEWORK_LOAD_PLUGINS", "encoders,injectors,backbones")
    registry = build_registry()

    def build(kind, name, *args):
        return build_plugin(registry, kind, name, {}, *args)

    data = SyntheticTask(SyntheticOptions()).load(tmp_path, 0)
    for seed in (0, 1):
        graph = GraphIndex.from_port_graph(port_graph(3 + seed, seed, seed=seed))
        model = GSSNN(
            build("encoder", "mlp", data.input_shape, 32),
            build("injector", "gssnn", graph, 32, 10),
            build("backbone", "gine", 32),
            32,
        )
        result = train(model, data, TrainingOptions(epochs=4, batch_size=16), device=torch.device("cpu"), seed=seed)
        assert result.eval_accuracy > 0.9, (seed, result)
