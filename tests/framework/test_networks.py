"""Saved networks: what a run keeps, loading them back (checked), predict and show."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from attrs import evolve

from framework.cli import main
from framework.errors import UsageError
from framework.report import read_json

from tiny_runs import ENUMERATIVE, TINY, changed, task_cache, write_spec  # noqa: F401 (task_cache: autouse)

#: The engine tests' tiny run (examples/quickstart.toml shrunk): a noisier task and one synthesizer.
NETWORKS = changed(TINY, {"run.seed": 3, "task.noise": 1.0, "task.select": 32, "task.eval": 64,
                          "synthesizers": [ENUMERATIVE], "library.iterations": 1})


def _run(tmp: Path, networks: str | None = None) -> Path:
    spec = write_spec(tmp, {"artifacts.networks": networks}, NETWORKS)
    assert main(["run", str(spec), "--out", str(tmp / "run")]) == 0
    return tmp / "run"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    os.environ.setdefault("FRAMEWORK_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
    return _run(tmp_path_factory.mktemp("networks"))


def _state(run_dir: Path) -> dict:
    return read_json(run_dir / "checkpoint.json")


def test_survivors_and_the_best_baseline_are_saved_with_manifests(run_dir):
    state = _state(run_dir)
    baseline = [s["select_accuracy"] for s in state["baseline"]]
    best_baseline = f"baseline-{baseline.index(max(baseline))}"
    expected = sorted([c["id"] for c in state["survivors"]] + [best_baseline])
    assert sorted(p.stem for p in (run_dir / "networks").glob("*.json")) == expected
    assert sorted(p.stem for p in (run_dir / "networks").glob("*.safetensors")) == expected
    survivor = state["survivors"][0]
    manifest = read_json(run_dir / "networks" / f"{survivor['id']}.json")
    assert manifest["kind"] == "gssnn" and manifest["graph"] == survivor["graph"]
    assert manifest["scores"] == survivor["scores"]
    assert manifest["plugins"]["encoder"]["name"] == "mlp" and manifest["plugins"]["backbone"]["name"] == "gine"
    assert manifest["versions"]["safetensors"] and manifest["model"]["encoder"]["hidden"] == [16]
    assert manifest["grammar"] == f"grammars/g{survivor['generation']}.lark" and manifest["parameters"] > 0
    assert read_json(run_dir / "networks" / f"{best_baseline}.json")["kind"] == "baseline"


@pytest.mark.parametrize("policy", ["all", "none"])
def test_the_artifacts_policy_decides_which_networks_stay(tmp_path, policy):
    run_dir = _run(tmp_path, policy)
    saved = sorted(p.stem for p in (run_dir / "networks").glob("*.json")) if (run_dir / "networks").exists() else []
    if policy == "none":
        assert saved == []
        return
    state = _state(run_dir)
    trained = [c["id"] for c in (*state["survivors"], *state["discarded"]) if not c["scores"]["failed"]]
    assert saved == sorted(trained + ["baseline-0", "baseline-1"])


def test_an_unknown_policy_is_a_spec_error(tmp_path, capsys):
    spec = write_spec(tmp_path, {"artifacts.networks": "best"}, NETWORKS)
    assert main(["validate", str(spec)]) == 2
    assert "artifacts.networks:" in capsys.readouterr().err


def test_predict_on_the_eval_split_reproduces_the_recorded_accuracy_exactly(run_dir, capsys):
    from framework.loading import predict_split

    state = _state(run_dir)
    predictions, manifest = predict_split(run_dir, "eval")
    assert manifest.candidate == state["survivors"][0]["id"]
    assert predictions.accuracy == state["survivors"][0]["scores"]["eval_accuracy"]

    assert main(["predict", str(run_dir), "--split", "eval"]) == 0
    out, err = capsys.readouterr()
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 64 and {"logit", "probability", "prediction", "target"} <= set(rows[0])
    accuracy = sum(r["prediction"] == r["target"] for r in rows) / len(rows)
    assert accuracy == state["survivors"][0]["scores"]["eval_accuracy"]
    assert f"accuracy {accuracy!r}" in err


def test_predict_on_input_files_as_csv(run_dir, tmp_path, capsys):
    import numpy as np

    from framework.loading import task_split, run_registry

    x = task_split(run_dir, "eval", run_registry(run_dir)).x[:5].numpy()
    folder = tmp_path / "inputs"
    folder.mkdir()
    for i, sample in enumerate(x):
        np.save(folder / f"s{i}.npy", sample)
    np.save(tmp_path / "all.npy", x)
    assert main(["predict", str(run_dir), "--inputs", str(folder), "-o", str(tmp_path / "p.csv")]) == 0
    lines = (tmp_path / "p.csv").read_text().splitlines()
    assert lines[0] == "index,source,logit,probability,prediction" and len(lines) == 6
    assert main(["predict", str(run_dir), "--inputs", str(tmp_path / "all.npy")]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["logit"] for r in rows] == [float(line.split(",")[2]) for line in lines[1:]]

    np.save(tmp_path / "wrong.npy", x[:, :, :4])
    assert main(["predict", str(run_dir), "--inputs", str(tmp_path / "wrong.npy")]) == 2
    assert "the network takes (1, 8, 8)" in capsys.readouterr().err


def test_load_network_in_a_fresh_process(run_dir):
    code = (
        "import sys, torch, framework\n"
        "from framework.loading import task_split, run_registry\n"
        "model = framework.load_network(sys.argv[1])\n"
        "split = task_split(sys.argv[1], 'eval', run_registry(sys.argv[1]))\n"
        "with torch.no_grad(): logits = model(split.x).reshape(-1)\n"
        "print(model.training, type(model).__name__, ((logits > 0) == (split.y > 0.5)).float().mean().item())\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(run_dir)], capture_output=True, text=True, check=True,
                         env={**os.environ, "FRAMEWORK_CACHE": os.environ["FRAMEWORK_CACHE"]}).stdout.split()
    assert out[:2] == ["False", "GSSNN"]
    assert float(out[2]) == pytest.approx(_state(run_dir)["survivors"][0]["scores"]["eval_accuracy"])


def _copy_run(run_dir: Path, tmp_path: Path) -> Path:
    import shutil

    return Path(shutil.copytree(run_dir, tmp_path / "copy"))


def test_a_tampered_or_truncated_weight_file_is_refused(run_dir, tmp_path, capsys):
    copy = _copy_run(run_dir, tmp_path)
    best = _state(copy)["survivors"][0]["id"]
    weights = copy / "networks" / f"{best}.safetensors"
    data = bytearray(weights.read_bytes())
    data[-3] ^= 0x40
    weights.write_bytes(bytes(data))
    assert main(["predict", str(copy), "--split", "eval"]) == 1 + 1
    assert "changed since it was saved" in capsys.readouterr().err
    weights.write_bytes(bytes(data[: len(data) // 2]))
    with pytest.raises(UsageError, match=r"truncated \(\d+ of \d+ bytes\)"):
        __import__("framework").load_network(copy)


def test_a_missing_or_changed_plugin_is_named(run_dir):
    from framework.loading import load_network
    from framework.plugins import build_registry

    registry = build_registry()
    without = evolve(registry, entries={**registry.entries,
                                        "encoder": {k: v for k, v in registry.entries["encoder"].items() if k != "mlp"}})
    with pytest.raises(UsageError, match="encoder plugin 'mlp' \\(framework .*\\), which is not loaded now"):
        load_network(run_dir, registry=without)

    mlp = registry.entries["encoder"]["mlp"]
    wider = evolve(mlp, version="9.9", info=evolve(mlp.info, factory=lambda options, shape, out: mlp.info.factory(
        evolve(options, hidden=(32,)), shape, out)))
    changed = evolve(registry, entries={**registry.entries, "encoder": {**registry.entries["encoder"], "mlp": wider}})
    with pytest.raises(UsageError, match="encoder plugin 'mlp' was framework .* and is framework 9.9"):
        load_network(run_dir, registry=changed)


def test_an_unsaved_candidate_is_refused_with_the_saved_ones_listed(run_dir):
    from framework.loading import load_network

    with pytest.raises(UsageError, match="no saved network 'g9-999' .*keeps 'survivors'.*saved: baseline-"):
        load_network(run_dir, "g9-999")


def test_show_prints_program_drawing_scores_lineage_and_size(run_dir, capsys):
    best = _state(run_dir)["survivors"][0]
    assert main(["show", str(run_dir), best["id"]]) == 0
    out = capsys.readouterr().out
    assert best["program"] in out and f"{best['id']}.svg" in out
    assert f"eval_accuracy {best['scores']['eval_accuracy']:.4f}" in out
    assert "parameters" in out and "lineage" in out
    assert main(["show", str(run_dir), "nobody"]) == 2


def test_probe_ranks_the_parts_of_the_best_candidate_and_draws_them(run_dir, capsys):
    best = _state(run_dir)["survivors"][0]
    assert main(["probe", str(run_dir), "--option", "resamples=100"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{best['id']} (ablation, select split)")
    report = read_json(run_dir / "probes" / best["id"] / "ablation.json")
    kinds = {p["kind"] for p in report["parts"]}
    assert {"node", "edge", "chunk", "position", "production"} <= kinds
    graph = __import__("framework").PortGraph.from_json(best["graph"])
    assert sum(p["kind"] == "node" for p in report["parts"]) == graph.size
    assert sum(p["kind"] == "edge" for p in report["parts"]) == len(graph.undirected_edges)
    drops = [p["accuracy_drop"] for p in report["parts"]]
    assert drops == sorted(drops, reverse=True)
    for p in report["parts"]:
        assert p["accuracy_drop_low"] <= p["accuracy_drop"] <= p["accuracy_drop_high"]
    svg = (run_dir / "drawings" / "importance" / f"{best['id']}-ablation.svg").read_text()
    assert svg.startswith("<svg") and "#ff" in svg


@pytest.mark.parametrize(("flaw", "message"), [
    ("raises", "probe 'raises': run raised IndexError: list index out of range"),
    ("returns-a-dict", "probe 'returns-a-dict': run returned a dict, expected a framework.ProbeReport"),
])
def test_a_probe_that_raises_or_returns_garbage_is_named(run_dir, capsys, install_fixture_package, flaw, message):
    install_fixture_package("framework-broken-probes", {"broken-probes": "broken_probe"})
    assert main(["probe", str(run_dir), "--method", flaw]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert message in err and "Traceback" not in err


def test_probe_errors_name_the_option(run_dir, capsys):
    assert main(["probe", str(run_dir), "--option", "chunks=median"]) == 2
    assert "chunks" in capsys.readouterr().err
    assert main(["probe", str(run_dir), "--method", "nope"]) == 2
    assert "unknown probe plugin 'nope'" in capsys.readouterr().err


def test_the_subnetwork_probe_reports_sizes_and_overlap(run_dir, capsys):
    other = '{plugin = "synthetic", side = 8, noise = 1.0, train = 32, select = 32, eval = 64, pattern = "orientation"}'
    assert main(["probe", str(run_dir), "--method", "subnetwork", "--option", f"other={other}",
                 "--option", "steps=40"]) == 0
    best = _state(run_dir)["survivors"][0]
    report = read_json(run_dir / "probes" / best["id"] / "subnetwork.json")
    details = report["details"]
    for mask in ("own_without_other", "other_without_own"):
        assert 0.0 < details[mask]["size"] <= 1.0
        assert set(details[mask]) >= {"own_accuracy_subnetwork", "other_accuracy_ablated"}
    assert 0.0 <= details["overlap"] <= 1.0
    assert details["masked"] > 0 and [p["kind"] for p in report["parts"]] == ["subnetwork"] * 2
