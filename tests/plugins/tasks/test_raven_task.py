"""The ``raven`` task: real raven-gen puzzles, seeded, cached, validated.

Generation costs about 50 ms a puzzle, so the tests share one small data set
(module fixture) and only the class-balance test generates a few hundred.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from framework import UsageError, class_balance, plugin_options
from framework.spec import SpecError
from framework_plugins.tasks import RavenOptions, RavenTask, raven_generate
from framework_plugins.tasks.raven import cache_path, generation_settings, load_puzzles
from framework_plugins.tasks.raven_generate import BACKGROUNDS, MATRIX_TYPES, GenerationSettings, generate
from framework_plugins.tasks.raven_rules import TARGETS

SEED = 5
SMALL = RavenOptions(train=10, select=4, eval=10, workers=1)
COUNTS = {"train": 10, "select": 4, "eval": 10}


@pytest.fixture(scope="module")
def cached(tmp_path_factory) -> tuple[Path, object]:
    """A cache folder holding the SMALL task's data for SEED, and that data."""
    cache_dir = tmp_path_factory.mktemp("raven-cache")
    return cache_dir, RavenTask(SMALL).load(cache_dir, SEED)


def forbid_generation(monkeypatch) -> None:
    def fail(*args, **kwargs):
        raise AssertionError(f"generator called: {args[2]!r}")

    monkeypatch.setattr(raven_generate, "generate", fail)


def test_splits_have_the_paper_shape_and_range(cached):
    _, data = cached
    assert data.input_shape == (1, 128, 128)
    for split, n in COUNTS.items():
        s = getattr(data, split)
        assert s.x.shape == (n, 1, 128, 128) and s.x.dtype == torch.float32
        assert s.y.shape == (n,) and s.y.dtype == torch.float32
        assert set(s.y.tolist()) <= {0.0, 1.0}
        assert s.x.min() >= -1.0 and s.x.max() <= 1.0
    assert data.train.x.min() == -1.0  # black lines and borders
    assert "constant_color" in data.description


def test_corner_pixel_is_the_recorded_background(cached):
    # 3 panels of 128 // 3 = 42 px leave the last two rows and columns as background
    cache_dir, data = cached
    puzzles = load_puzzles(cache_dir, generation_settings(SMALL), SEED, COUNTS)
    train = puzzles["train"]
    assert set(train.background.tolist()) <= set(BACKGROUNDS)
    assert (train.images[:, -1, -1] == train.background).all()
    expected = torch.from_numpy(2.0 * (train.background / 255.0) - 1.0).float()
    assert torch.allclose(data.train.x[:, 0, -1, -1], expected)


def test_second_load_reads_the_cache(cached, monkeypatch):
    cache_dir, data = cached
    files = sorted((cache_dir / "raven").glob("*.pt"))
    assert len(files) == 3
    mtimes = [f.stat().st_mtime_ns for f in files]
    forbid_generation(monkeypatch)
    again = RavenTask(SMALL).load(cache_dir, SEED)
    for split in COUNTS:
        assert torch.equal(getattr(again, split).x, getattr(data, split).x)
        assert torch.equal(getattr(again, split).y, getattr(data, split).y)
    assert [f.stat().st_mtime_ns for f in files] == mtimes


def test_another_target_reuses_the_cached_images(cached, monkeypatch):
    cache_dir, data = cached
    forbid_generation(monkeypatch)
    other = RavenTask(RavenOptions(train=10, select=4, eval=10, target="any_progression")).load(cache_dir, SEED)
    assert torch.equal(other.eval.x, data.eval.x)
    assert "any_progression" in other.description


def test_a_new_count_generates_only_that_split_and_keeps_its_prefix(cached, monkeypatch):
    cache_dir, data = cached
    calls = []
    real = raven_generate.generate

    def counting(settings, seed, counts, **kwargs):
        calls.append(dict(counts))
        return real(settings, seed, counts, **kwargs)

    monkeypatch.setattr(raven_generate, "generate", counting)
    fewer = RavenTask(RavenOptions(train=10, select=4, eval=3, workers=1)).load(cache_dir, SEED)
    assert calls == [{"eval": 3}]
    assert torch.equal(fewer.eval.x, data.eval.x[:3])
    assert torch.equal(fewer.train.x, data.train.x)


def test_loads_started_together_generate_once_and_read_the_same(tmp_path, monkeypatch, capfd):
    """A study's workers starting runs of one seed together: one generates, the other waits for it."""
    calls = []
    real = raven_generate.generate
    started = threading.Event()

    def slow(settings, seed, counts, **kwargs):
        calls.append(dict(counts))
        started.set()
        time.sleep(0.5)  # the other load arrives while this one generates
        return real(settings, seed, counts, **kwargs)

    monkeypatch.setattr(raven_generate, "generate", slow)
    settings, counts = generation_settings(SMALL), {"select": 3}
    loaded = {}
    first = threading.Thread(target=lambda: loaded.update(first=load_puzzles(tmp_path, settings, SEED, counts)))
    first.start()
    assert started.wait(30)
    loaded["second"] = load_puzzles(tmp_path, settings, SEED, counts)
    first.join()
    assert calls == [counts]
    assert np.array_equal(loaded["first"]["select"].images, loaded["second"]["select"].images)
    assert "another process is generating these puzzles" in capfd.readouterr().err


def test_cache_name_changes_with_every_setting(tmp_path):
    base = cache_path(tmp_path, GenerationSettings(), 1, "train", 8)
    assert base == cache_path(tmp_path, GenerationSettings(), 1, "train", 8)
    assert base != cache_path(tmp_path, GenerationSettings(), 2, "train", 8)
    assert base != cache_path(tmp_path, GenerationSettings(), 1, "eval", 8)
    assert base != cache_path(tmp_path, GenerationSettings(), 1, "train", 9)
    assert base != cache_path(tmp_path, GenerationSettings(image_size=64), 1, "train", 8)
    assert base != cache_path(tmp_path, GenerationSettings(backgrounds=(28,)), 1, "train", 8)


def test_cache_written_for_other_settings_is_not_used(cached, tmp_path):
    cache_dir, _ = cached
    settings = generation_settings(SMALL)
    source = cache_path(cache_dir, settings, SEED, "select", 4)
    target = cache_path(tmp_path, settings, SEED + 1, "select", 4)
    target.parent.mkdir(parents=True)
    target.write_bytes(source.read_bytes())  # a file under a name it does not match
    stale = load_puzzles(cache_dir, settings, SEED, {"select": 4})["select"]
    fresh = load_puzzles(tmp_path, settings, SEED + 1, {"select": 4})["select"]
    assert not np.array_equal(fresh.images, stale.images)
    assert np.array_equal(fresh.images, generate(settings, SEED + 1, {"select": 4})["select"].images)


def test_unreadable_cache_file_is_regenerated(cached, tmp_path, capsys):
    cache_dir, data = cached
    settings = generation_settings(SMALL)
    path = cache_path(tmp_path, settings, SEED, "select", 4)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a torch file")
    fresh = load_puzzles(tmp_path, settings, SEED, {"select": 4})["select"]
    assert "ignoring unreadable cache file" in capsys.readouterr().err
    assert torch.equal(torch.from_numpy(fresh.images).float().div(255).mul(2).sub(1), data.select.x[:, 0])
    assert load_puzzles(tmp_path, settings, SEED, {"select": 4})["select"].images.shape == (4, 128, 128)


def test_same_seed_same_tensors_other_seed_other_tensors(cached):
    _, data = cached
    settings = generation_settings(SMALL)
    again = generate(settings, SEED, {"select": 4})["select"]
    assert torch.equal(torch.from_numpy(again.images).float().div(255).mul(2).sub(1), data.select.x[:, 0])
    other = generate(settings, SEED + 1, {"select": 4})["select"]
    assert not np.array_equal(other.images, again.images)


def test_worker_count_does_not_change_the_puzzles():
    settings = GenerationSettings()
    counts = {"train": 5, "eval": 3}
    serial = generate(settings, 11, counts, workers=1)
    pooled = generate(settings, 11, counts, workers=2)
    for split in counts:
        for name in ("images", "rules", "layout_attr", "matrix_type", "background"):
            assert np.array_equal(getattr(serial[split], name), getattr(pooled[split], name)), (split, name)


def test_python_hash_seed_does_not_change_the_puzzles():
    # raven-gen's default rule lists come from a set of enum members, whose
    # order follows the hash seed; the task's rule set must not.
    script = (
        "import hashlib\n"
        "from framework_plugins.tasks.raven_generate import GenerationSettings, generate\n"
        "p = generate(GenerationSettings(), 3, {'train': 4})['train']\n"
        "print(hashlib.sha256(p.images.tobytes() + p.rules.tobytes()).hexdigest())\n"
    )
    digests = set()
    for hash_seed in ("0", "1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
        digests.add(out.stdout.strip())
    assert len(digests) == 1


def test_progress_reports_every_puzzle(tmp_path):
    seen = []
    RavenTask(RavenOptions(train=2, select=0, eval=1, workers=1)).load(
        tmp_path, 0, progress=lambda done, total: seen.append((done, total))
    )
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_select_zero_gives_an_empty_split(tmp_path):
    data = RavenTask(RavenOptions(train=1, select=0, eval=1, workers=1, image_size=48)).load(tmp_path, 0)
    assert data.select.x.shape == (0, 1, 48, 48) and data.select.y.shape == (0,)
    assert data.input_shape == (1, 48, 48)


def test_matrix_types_option_restricts_the_types(tmp_path):
    options = RavenOptions(train=3, select=0, eval=1, workers=1, matrix_types={"NINE_SHAPE": 1.0})
    settings = generation_settings(options)
    assert settings.matrix_types == (("NINE_SHAPE", 1.0),)
    puzzles = load_puzzles(tmp_path, settings, 0, {"train": 3})["train"]
    assert set(puzzles.matrix_type.tolist()) == {MATRIX_TYPES.index("NINE_SHAPE")}


def test_weights_are_normalised_in_a_fixed_order():
    a = generation_settings(RavenOptions(matrix_types={"SHAPE_IN_SHAPE": 3, "ONE_SHAPE": 1}))
    b = generation_settings(RavenOptions(matrix_types={"ONE_SHAPE": 1, "SHAPE_IN_SHAPE": 3}))
    assert a == b
    assert a.matrix_types == (("ONE_SHAPE", 0.25), ("SHAPE_IN_SHAPE", 0.75))


def test_default_settings_are_the_papers():
    settings = generation_settings(RavenOptions())
    assert dict(settings.matrix_types) == pytest.approx(
        {
            "ONE_SHAPE": 0.15,
            "FOUR_SHAPE": 0.2,
            "FIVE_SHAPE": 0.2,
            "TWO_SHAPE_VERTICAL_SEP": 0.15,
            "TWO_SHAPE_HORIZONTAL_SEP": 0.15,
            "SHAPE_IN_SHAPE": 0.15,
        }
    )
    assert settings.backgrounds == (28, 56, 84, 112, 140, 168, 196, 224)
    assert (settings.image_size, settings.line_thickness, settings.border_thickness) == (128, 1, 1)
    assert (RavenOptions().train, RavenOptions().select, RavenOptions().eval) == (128, 256, 1200)


def test_configure_sets_the_papers_bounds():
    from raven_gen import Matrix, MatrixType, attribute

    raven_generate.configure(GenerationSettings())
    assert attribute.ANGLE_VALUES == (-90, 0, 90, 180)  # no oblique rotations
    for (matrix_type, component), size_min in raven_generate.SIZE_MIN.items():
        bounds = Matrix.get_attribute_bounds(MatrixType[matrix_type])
        assert [b["size_min"] for (c, _), b in bounds.items() if c.name == component] == [size_min]
        assert all(b["angle_max"] == 3 for b in bounds.values())


# --- option validation -------------------------------------------------------


def test_unknown_target_lists_the_valid_ones():
    with pytest.raises(ValueError, match="unknown raven target 'constant_colour'") as info:
        RavenOptions(target="constant_colour")
    for name in TARGETS:
        assert name in str(info.value)


def test_four_shape_in_shape_is_refused_with_the_reason():
    with pytest.raises(ValueError, match="FOUR_SHAPE_IN_SHAPE.*always white"):
        RavenOptions(matrix_types={"ONE_SHAPE": 1, "FOUR_SHAPE_IN_SHAPE": 1})


@pytest.mark.parametrize(
    ("matrix_types", "message"),
    [
        ({"TRIANGLE": 1}, "unknown matrix type 'TRIANGLE'; valid matrix types: ONE_SHAPE"),
        ({"ONE_SHAPE": -1}, "weight must be a number >= 0"),
        ({"ONE_SHAPE": "a lot"}, "weight must be a number >= 0"),
        ({"ONE_SHAPE": 0}, "at least one weight must be > 0"),
        ({}, "at least one weight must be > 0"),
    ],
)
def test_bad_matrix_types(matrix_types, message):
    with pytest.raises(ValueError, match=message):
        RavenOptions(matrix_types=matrix_types)


@pytest.mark.parametrize(
    "bad",
    [{"train": 0}, {"eval": 0}, {"select": -1}, {"workers": -1}, {"image_size": 8}, {"train": 1.5}],
)
def test_bad_counts(bad):
    with pytest.raises((ValueError, TypeError)):
        RavenOptions(**bad)


@pytest.fixture
def registry(monkeypatch):
    from framework.plugins import build_registry

    monkeypatch.setenv("FRAMEWORK_LOAD_PLUGINS", "tasks")
    return build_registry()


def test_registered_through_the_entry_point(registry):
    assert registry.names("task") == ["raven", "synthetic"]
    info = registry.get("task", "raven").info
    assert info.options is RavenOptions and isinstance(info.factory(RavenOptions()), RavenTask)


def test_options_structure_from_the_spec_table(registry):
    table = {"target": "progression_number", "train": 64, "workers": 2, "matrix_types": {"ONE_SHAPE": 2}}
    options = plugin_options(registry, "task", "raven", table)
    assert options == RavenOptions(target="progression_number", train=64, workers=2, matrix_types={"ONE_SHAPE": 2.0})


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"target": "colour"}, "unknown raven target 'colour'; valid targets: constant_color,"),
        ({"trian": 64}, "trian: unknown key (did you mean 'train'?)"),
        ({"matrix_types": {"FOUR_SHAPE_IN_SHAPE": 1}}, "matrix type 'FOUR_SHAPE_IN_SHAPE' is not"),
    ],
)
def test_spec_errors_name_the_key(registry, table, message):
    with pytest.raises(SpecError) as info:
        plugin_options(registry, "task", "raven", table)
    assert message in str(info.value)


def test_missing_raven_gen_is_a_usage_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "raven_gen", None)  # makes `import raven_gen` fail
    with pytest.raises(UsageError, match=r"pip install 'framework\[raven\]'"):
        RavenTask(SMALL)


# --- class balance (a few hundred puzzles) -----------------------------------


@pytest.mark.slow
def test_constant_color_balance_matches_the_paper(tmp_path):
    """About 42 % positives (the paper); SHAPE_IN_SHAPE always positive.

    The outer shape of SHAPE_IN_SHAPE can only be white, so its colour rule
    can only be CONSTANT: a real property of raven-gen the labels must show.
    """
    options = RavenOptions(train=300, select=0, eval=1, workers=2)
    data = RavenTask(options).load(tmp_path, 2024)
    rate = class_balance(data.train)
    assert 0.33 <= rate <= 0.52, rate
    puzzles = load_puzzles(tmp_path, generation_settings(options), 2024, {"train": 300})["train"]
    in_shape = puzzles.matrix_type == MATRIX_TYPES.index("SHAPE_IN_SHAPE")
    assert in_shape.sum() > 20
    assert data.train.y.numpy()[in_shape].min() == 1.0
    single = np.isin(puzzles.matrix_type, [MATRIX_TYPES.index(n) for n in ("ONE_SHAPE", "FOUR_SHAPE", "FIVE_SHAPE")])
    assert (puzzles.rules[single, 1] == 0).all() and (puzzles.rules[~single, 1] > 0).all()
    assert (puzzles.rules[:, :, 2][puzzles.rules[:, :, 2] > 0] == 1).all()  # size: always CONSTANT
