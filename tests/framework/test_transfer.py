"""[start]: a run begins from another run's final grammar and, optionally, its weights."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from framework.cli import main
from framework.report import read_json

from tiny_runs import ENUMERATIVE, TINY, changed, task_cache, write_spec  # noqa: F401 (task_cache: autouse)

#: The engine tests' tiny run, smaller still: one synthesizer, population 3, one epoch, one baseline run.
SOURCE = changed(TINY, {"run.seed": 1, "synthesizers": [ENUMERATIVE], "library.iterations": 1,
                        "training.epochs": 1, "population.size": 3, "baseline.runs": 1})


def _spec(tmp: Path, name: str, pattern: str = "left_half", start: dict | None = None, generations: int = 2) -> Path:
    return write_spec(tmp, {"task.pattern": pattern, "run.generations": generations, "start": start}, SOURCE, name)


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("source")
    os.environ.setdefault("FRAMEWORK_CACHE", str(tmp / "cache"))
    assert main(["run", str(_spec(tmp, "source")), "--out", str(tmp / "source")]) == 0
    return tmp / "source"


def _manifests(run_dir: Path) -> dict[str, dict]:
    return {p.stem: read_json(p) for p in (run_dir / "networks").glob("*.json")}


@pytest.mark.parametrize("weights", ["all", "encoder"])
def test_a_run_from_another_starts_with_its_grammar_and_weights(source, tmp_path, weights):
    start = {"from": str(source), "weights": weights}
    spec = _spec(tmp_path, "target", pattern="orientation", start=start, generations=1)
    assert main(["run", str(spec), "--out", str(tmp_path / "target")]) == 0
    target = tmp_path / "target"
    final = read_json(source / "checkpoint.json")["grammar"]
    assert (target / "grammars" / "g0.lark").read_bytes() == (source / final).read_bytes()
    assert "inv_0" in (target / "grammars" / "g0.lark").read_text()
    record = read_json(target / "start.json")
    assert record["from"] == str(source) and record["grammar"] == final and record["weights"] == weights
    saved = _manifests(source)
    for key, manifest in _manifests(target).items():
        started = manifest["start"]
        assert started["network"] in saved and started["weights"] == weights, key
        assert started["copied"] > 0
        if manifest["kind"] == "gssnn" and weights == "encoder":
            assert started["skipped"] == []  # only the encoder is tried, and it fits
        if manifest["kind"] == "baseline":
            assert saved[started["network"]]["kind"] == "baseline"


def test_warm_start_copies_the_same_graphs_network_exactly(source):
    import torch

    from framework.loading import load_saved, run_registry
    from framework.networks import build_network
    from framework.spec import ModelSection, converter, structure_spec
    from framework.transfer import open_start

    best = read_json(source / "checkpoint.json")["survivors"][0]["id"]
    saved = load_saved(source, best)
    start = open_start(structure_spec({"start": {"from": str(source), "weights": "all"}}))
    torch.manual_seed(123)
    manifest = saved.manifest
    fresh = build_network(run_registry(source), converter.structure(manifest.model, ModelSection),
                          manifest.input_shape, manifest.port_graph)
    record = start.warm_start(fresh, saved.manifest.port_graph)
    assert record["network"] == best and record["same_graph"] and record["skipped"] == []
    for (name, a), (_, b) in zip(fresh.state_dict().items(), saved.module.state_dict().items()):
        assert torch.equal(a, b), name


def test_bad_start_tables_stop_before_any_work(tmp_path, capsys):
    spec = _spec(tmp_path, "bad", start={"from": str(tmp_path / "nowhere")})
    assert main(["run", str(spec), "--out", str(tmp_path / "run")]) == 2
    assert "start.from:" in capsys.readouterr().err and not (tmp_path / "run").exists()
    spec = _spec(tmp_path, "bad", start={"weights": "all"})
    assert main(["run", str(spec), "--out", str(tmp_path / "run")]) == 2
    assert "needs start.from" in capsys.readouterr().err and not (tmp_path / "run").exists()


def test_the_start_table_is_written_with_its_from_key_and_loads_back():
    import tomllib

    from framework.convert import SpecError
    from framework.spec import spec_to_toml, structure_spec

    spec = structure_spec({"start": {"from": "runs/a", "weights": "encoder"}})
    text = spec_to_toml(spec)
    assert '[start]\nfrom = "runs/a"\nweights = "encoder"\n' in text
    assert structure_spec(tomllib.loads(text)) == spec
    with pytest.raises(SpecError, match=r"start\.form: unknown key \(did you mean 'from'\?\)"):
        structure_spec({"start": {"form": "runs/a"}})
