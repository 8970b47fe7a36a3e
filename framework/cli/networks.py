"""The commands on a run's saved networks: ``predict``, ``show`` and ``probe`` (docs/artifacts.md).

``framework.cli`` calls :func:`add_commands` with its subparsers. Each
handler is ``(args) -> exit code``; a FrameworkError is printed by ``main``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

from framework.cli.options import option_arguments
from framework.errors import UsageError
from framework.store import write_text_atomic

FORMATS = ("jsonl", "csv")
SPLITS = ("train", "select", "eval")


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    predict = subparsers.add_parser("predict", help="run a saved network on a task split or on input files")
    predict.add_argument("run_dir", type=Path, metavar="RUN")
    predict.add_argument("--candidate", default="best", help="candidate id, or 'best' (default)")
    source = predict.add_mutually_exclusive_group(required=True)
    source.add_argument("--split", choices=SPLITS, help="a split of the run's own task (prints its accuracy)")
    source.add_argument("--inputs", type=Path, metavar="FILE_OR_DIR",
                        help="a .npy or .safetensors file of samples, or a folder of one-sample .npy files")
    predict.add_argument("--output", "-o", type=Path, help="write the predictions here (default: stdout)")
    predict.add_argument("--format", choices=FORMATS, help="jsonl or csv (default: from --output's suffix, else jsonl)")
    predict.set_defaults(handler=_predict)

    show = subparsers.add_parser("show", help="a candidate's program, drawing, scores, lineage and size")
    show.add_argument("run_dir", type=Path, metavar="RUN")
    show.add_argument("candidate", metavar="ID", help="candidate id, or 'best'")
    show.set_defaults(handler=_show)
    add_probe_command(subparsers)


def _predict(args: argparse.Namespace) -> int:
    from framework.loading import Predictions, load_saved, logits_of, predict_split, run_registry

    fmt = args.format or ("csv" if args.output and args.output.suffix == ".csv" else "jsonl")
    if args.split:
        predictions, manifest = predict_split(args.run_dir, args.split, args.candidate)
        sources = None
    else:
        saved = load_saved(args.run_dir, args.candidate, registry=run_registry(args.run_dir))
        manifest = saved.manifest
        x, sources = read_inputs(args.inputs, tuple(manifest.input_shape))
        predictions = Predictions(logits_of(saved, x))
    text = _format_rows(predictions.rows(sources), fmt)
    if args.output:
        write_text_atomic(args.output, text)
    else:
        sys.stdout.write(text)
    if predictions.accuracy is not None:
        recorded = getattr(manifest.scores, f"{args.split}_accuracy")
        print(f"{manifest.candidate} {args.split} accuracy {predictions.accuracy!r} "
              f"(recorded at training: {recorded!r})", file=sys.stderr)
    return 0


def _format_rows(rows: list[dict[str, Any]], fmt: str) -> str:
    if fmt == "jsonl":
        return "".join(json.dumps(row) + "\n" for row in rows)
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return buffer.getvalue()


def read_inputs(path: Path, input_shape: tuple[int, ...]) -> tuple[Any, list[str]]:
    """Samples ``[n, *input_shape]`` (float32) from a .npy / .safetensors file or a folder of .npy
    files (one sample each, by name), and a source name per sample."""
    import numpy as np
    import torch

    if path.is_dir():
        files = sorted(path.glob("*.npy"))
        if not files:
            raise UsageError(f"{path}: no .npy files in this folder")
        arrays = [_one_sample(np.load(f, allow_pickle=False), input_shape, f) for f in files]
        return torch.from_numpy(np.stack(arrays)), [f.name for f in files]
    if not path.is_file():
        raise UsageError(f"{path}: no such file or folder")
    if path.suffix == ".npy":
        array = np.load(path, allow_pickle=False)
    elif path.suffix == ".safetensors":
        from safetensors.numpy import load_file

        tensors = load_file(str(path))
        if len(tensors) != 1:
            raise UsageError(f"{path}: expected one tensor, found {len(tensors)} ({', '.join(sorted(tensors))})")
        array = next(iter(tensors.values()))
    else:
        raise UsageError(f"{path}: unsupported input file (use .npy or .safetensors)")
    if tuple(array.shape) == input_shape:
        array = array[None]
    if tuple(array.shape[1:]) != input_shape:
        raise UsageError(f"{path}: samples of shape {tuple(array.shape[1:])}, the network takes {input_shape}")
    return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32)), [
        f"{path.name}[{i}]" for i in range(len(array))]


def _one_sample(array: Any, input_shape: tuple[int, ...], path: Path) -> Any:
    import numpy as np

    if tuple(array.shape) != input_shape:
        raise UsageError(f"{path}: a sample of shape {tuple(array.shape)}, the network takes {input_shape}")
    return np.asarray(array, dtype=np.float32)


def _show(args: argparse.Namespace) -> int:
    from framework.loading import find_candidate, read_state, resolve_candidate
    from framework.networks import read_manifest
    from framework.run_dir import RunDir

    run_dir = args.run_dir
    key = resolve_candidate(run_dir, args.candidate)
    state = read_state(run_dir)
    saved = RunDir(run_dir).network_manifest(key)
    manifest = read_manifest(saved) if saved.is_file() else None
    candidate = find_candidate(state, key)
    lines = [f"candidate {key}"]
    if candidate is not None:
        lines.append(f"  program      {candidate.program}  (mass {candidate.mass}, in {state.grammar})")
        if manifest is not None and manifest.program != candidate.program:
            lines.append(f"  as trained   {manifest.program}  (in {manifest.grammar})")
        drawings = sorted(run_dir.glob(f"drawings/g*/{key}.svg"))
        lines.append(f"  drawing      {drawings[-1] if drawings else '(not drawn: only survivors are)'}")
        scores = candidate.scores
        lines.append(f"  lineage      {' <- '.join(_lineage(state, candidate))}")
    elif key.startswith("baseline-") and key.removeprefix("baseline-").isdigit() \
            and int(key.removeprefix("baseline-")) < len(state.baseline):
        scores = state.baseline[int(key.removeprefix("baseline-"))]
        lines.append("  the encoder alone (baseline arm)")
    else:
        raise UsageError(f"{run_dir}: no candidate {key!r} in this run")
    if scores is not None:
        figures = ", ".join(f"{name} {getattr(scores, name):.4f}" for name in
                            ("train_accuracy", "select_accuracy", "eval_accuracy", "final_loss")
                            if getattr(scores, name) is not None)
        lines.append(f"  scores       {figures}" + (f"  FAILED: {scores.failed}" if scores.failed else ""))
    if manifest is not None:
        lines.append(f"  parameters   {manifest.parameters:,}")
        lines.append(f"  network      {saved.with_suffix('.safetensors')} (seed {manifest.seed})")
    else:
        lines.append("  network      not saved (see artifacts.networks)")
    print("\n".join(lines))
    return 0


def _lineage(state: Any, candidate: Any) -> list[str]:
    from framework.loading import find_candidate

    chain = []
    while candidate is not None:
        chain.append(f"{candidate.id} (g{candidate.generation}, {candidate.synthesizer})")
        candidate = find_candidate(state, candidate.parent) if candidate.parent else None
    return chain


def add_probe_command(subparsers: argparse._SubParsersAction) -> None:
    probe = subparsers.add_parser("probe", help="which parts of a saved network (and its program) matter")
    probe.add_argument("run_dir", type=Path, metavar="RUN")
    probe.add_argument("--candidate", default="best", help="candidate id, or 'best' (default)")
    probe.add_argument("--method", default="ablation", help="probe plugin (default: ablation; see framework plugins)")
    probe.add_argument("--split", choices=SPLITS, default="select", help="the split to measure on (default: select)")
    option_arguments(probe, "probe")
    probe.add_argument("--top", type=int, default=15, help="parts to print (default: 15; the JSON has all)")
    probe.set_defaults(handler=_probe)


def _probe(args: argparse.Namespace) -> int:
    from framework.cli.options import parse_options
    from framework.loading import read_saved_manifest, run_registry
    from framework.probing import probe_network, write_probe

    registry = run_registry(args.run_dir)
    report = probe_network(args.run_dir, args.candidate, args.method, args.split, parse_options(args.option),
                           registry=registry)
    graph = read_saved_manifest(args.run_dir, report.candidate).port_graph
    written = write_probe(args.run_dir, report, graph, registry)
    print(f"{report.candidate} ({report.method}, {report.split} split): accuracy {report.accuracy:.4f}, "
          f"loss {report.loss:.4f}")
    print(f"{'part':<34} {'accuracy drop [95% CI]':<28} loss increase [95% CI]")
    for part in report.parts[: args.top]:
        print(f"{part.part:<34} {part.accuracy_drop:+.4f} [{part.accuracy_drop_low:+.4f}, "
              f"{part.accuracy_drop_high:+.4f}]  {part.loss_increase:+.4f} [{part.loss_increase_low:+.4f}, "
              f"{part.loss_increase_high:+.4f}]")
    for key, value in report.details.items():
        print(f"{key}: {json.dumps(value)}")
    print("wrote " + ", ".join(str(p) for p in written))
    return 0
