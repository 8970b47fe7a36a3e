"""The engine: the evolutionary G-SSNN loop, readable top to bottom as the data flow.

::

    spec ──> plugins ──> task data, domain, grammar g0
    baseline arm: the encoder alone, trained `baseline.runs` times
    for generation g:
        1. explore   synthesizers propose programs; the domain evaluates and dedupes them
        2. train     every new candidate's network (encoder -> injector -> backbone -> readout)
        3. select    the selector scores everyone; the best `population.keep` survive
        4. learn     the library learner compresses survivors into grammar g+1; re-weight it
        5. persist   checkpoint + artifacts; reporters hear `on_generation_end`
    summary; reporters hear `on_run_end`

Every step after the spec is deterministic in ``run.seed``: exploration draws
from a generator derived from (seed, generation) and each network trains
from a seed derived from (seed, candidate id, repeat). The checkpoint
(``checkpoint.json``) is written atomically after every trained network and
every artifact is re-derived from it, so a killed run resumed with
``--resume`` ends with the same artifacts as one that never stopped.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import platform
import random
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Sequence

from attrs import evolve, frozen
from rich.console import Console
from rich.markup import escape

from framework import report, steps
from framework import shared_baselines as shared
from framework import resume as resume_checks
from framework.contracts import Resumable
from framework.dsl.grammar import Grammar
from framework.errors import FrameworkError, PluginFault, UsageError
from framework.events import GenerationEnd, RunEnd
from framework.kill_points import kill_point
from framework.network_trainer import NetworkTrainer, name_fault
from framework.networks import Trained, networks_to_keep, prune_networks, save_trained
from framework.plugins import Plugins, announce
from framework.preflight import check_model, preflight
from framework.run_dir import RunDir, cache_dir, foreign_entries, grammar_name
from framework.run_lock import locked
from framework.run_state import Candidate, GenerationRecord, RunState, Scores, state_to_json
from framework._registry import Registry
from framework.spec import Spec, plugin_choices, spec_to_toml
from framework.store import write_json_atomic, write_text_atomic


@frozen
class _Member:
    """A survivor as exploration sees it: its program, output, id and selection score."""

    program: Any
    output: Any
    id: str
    score: float | None


@frozen
class _Given:
    """A synthesizer that proposes the spec's ``population.initial`` programs once."""

    programs: list[Any]

    def propose(self, grammar: Grammar, population: Sequence[Any], budget: int, rng: random.Random) -> Any:
        yield list(self.programs)


@frozen
class TrainJob:
    """One network to train: a candidate (or None for the baseline encoder) and a seed."""

    key: str
    candidate: Candidate | None
    seed: int


def run(
    spec: Spec,
    plugins: Plugins,
    run_dir: RunDir | Path,
    *,
    spec_dir: Path = Path("."),
    resume: bool = False,
    console: Console | None = None,
    baselines: Path | None = None,
) -> RunState:
    """Run (or resume) the loop ``spec`` describes in ``run_dir``; return the final state.
    Without ``resume``, a directory already holding a finished run of ``spec`` is left as it
    is (its summary reprinted); one holding an unfinished run or another spec's is refused.
    ``baselines``: a study's folder of shared baseline trainings (:mod:`framework.shared_baselines`)."""
    run_dir = RunDir(run_dir) if not isinstance(run_dir, RunDir) else run_dir
    console = console or Console(stderr=True)
    spec_hash = hashlib.sha256(spec_to_toml(spec).encode()).hexdigest()
    _check_run_dir(run_dir, resume)
    if not resume and run_dir.checkpoint.exists():  # the same command again: nothing to do, or --resume
        with locked(run_dir):
            state = _already_done(run_dir, spec, spec_hash, console)
    else:
        state = _run_loop(spec, plugins, run_dir, spec_dir, spec_hash, resume, console, baselines)
    if not report.any_candidate_trained(state):
        raise FrameworkError(f"no candidate network trained successfully; each failure's reason is in "
                             f"{run_dir.metrics}")
    return state


def _run_loop(spec: Spec, plugins: Plugins, run_dir: RunDir, spec_dir: Path, spec_hash: str, resume: bool,
              console: Console, baselines: Path | None) -> RunState:
    loop = _Loop(spec, plugins, run_dir, spec_dir, console, baselines)  # bad input fails here, before any write
    with locked(run_dir):  # one process at a time; released however this one ends
        state = _open_run_dir(run_dir, spec, spec_hash, resume, plugins.registry, console)
        write_json_atomic(run_dir.data, report.data_balance(loop.data))
        loop.trainer.record(spec.executor.plugin)  # an executor that chooses (auto) rewrites it with its choice
        state = loop.report_missing(state)  # a run killed after a checkpoint, before its reporters drew
        if not (run_dir.root / state.grammar).exists():  # a new run (or one killed before its first grammar)
            loop.save_grammar(loop.grammar0, state.grammar)
            if loop.start is not None:
                write_json_atomic(run_dir.start, loop.start.record())
        state = loop.train_baseline(state)
        while state.phase != "done":
            grammar = Grammar.load(run_dir.root / state.grammar)
            if state.phase == "explore":
                state = loop.explore(state, grammar)                         # 1. explore
            state = loop.train_pending(state)                                # 2. train
            state = loop.select_learn_and_advance(state, grammar)            # 3. select, 4. learn, 5. persist
        summary = report.write_summary(run_dir, state)
        report.print_summary(console, summary)
        announce(plugins.hook.on_run_end, loop.warn, event=RunEnd(run_dir, state, summary))
    return state


def derive_seed(*parts: object) -> int:
    """A 31-bit seed from any parts (stable across processes and Python versions)."""
    digest = hashlib.sha256("/".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF


def resolve_run_dir(spec: Spec, out: Path | None) -> RunDir:
    return RunDir(out or spec.run.out or Path("runs") / spec.run.name)


def _check_run_dir(run_dir: RunDir, resume: bool) -> None:
    """Refuse, before any work, a run directory that is a file, one with nothing to resume,
    and (for a new run) one holding files that are not a run's."""
    if run_dir.root.exists() and not run_dir.root.is_dir():
        raise UsageError(f"{run_dir.root} is a file, not a run directory; choose a directory with --out")
    if resume and not run_dir.checkpoint.is_file():
        raise UsageError(f"{run_dir.root}: nothing to resume (no {run_dir.checkpoint.name}); "
                         "start the run without --resume")
    foreign = foreign_entries(run_dir)
    if not resume and foreign and not run_dir.checkpoint.exists():
        shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
        raise UsageError(f"{run_dir.root} holds files that are not a run's ({shown}); "
                         "choose a new or empty directory with --out")


def _already_done(run_dir: RunDir, spec: Spec, spec_hash: str, console: Console) -> RunState:
    """A new run asked for where one exists (the same command run again): a finished run of
    the same spec reprints its summary and writes nothing; an unfinished one is continued only
    with ``--resume``; a run of another spec is refused, naming the keys that differ."""
    state = report.read_checkpoint(run_dir)
    notes: list[str] = []
    changes = resume_checks.spec_changes(run_dir, spec, spec_hash, state)
    if changes is not None:
        refused, allowed = changes
        if refused or not allowed:
            raise UsageError(
                f"{run_dir.root} holds a run of another spec (it differs in {', '.join(refused) or 'its hash'}); "
                "run this spec in another directory (--out DIR, or another run.name in the spec), "
                f"or delete {run_dir.root} to replace that run")
        notes = [f"{key} differs from the run's spec (it cannot change results)" for key in allowed]
    if state.phase != "done" or not run_dir.summary_json.is_file():
        raise UsageError(f"{run_dir.root} holds an unfinished run of this spec ({resume_checks.where(state)}); "
                         "continue it by adding --resume to the command")
    for note in notes:
        console.print(f"note: {escape(note)}")
    console.print(f"{escape(str(run_dir))}: already done with this spec ({resume_checks.where(state)}); "
                  "nothing was run or rewritten. Its summary:")
    report.print_summary(console, report.read_json(run_dir.summary_json))
    return state


def _open_run_dir(
    run_dir: RunDir, spec: Spec, spec_hash: str, resume: bool, registry: Registry, console: Console
) -> RunState:
    plugins = plugin_versions(registry)
    if resume:
        state = report.read_checkpoint(run_dir)
        for note in resume_checks.check_spec(run_dir, spec, spec_hash, state):
            console.print(f"note: {escape(note)}")
        recorded = report.read_json(run_dir.run_json).get("plugins", {}) if run_dir.run_json.is_file() else {}
        for warning in changed_plugins(recorded, plugins, spec):
            console.print(f"warning: {warning}; the resumed run may differ from one that never stopped",
                          markup=False, highlight=False)
        console.print(f"resuming {escape(str(run_dir))}: {resume_checks.where(state)}")
        return state
    write_text_atomic(run_dir.spec, spec_to_toml(spec))
    write_json_atomic(run_dir.run_json, {"spec_hash": spec_hash, "versions": _versions(), "plugins": plugins})
    state = RunState(spec_hash=spec_hash)
    _checkpoint(run_dir, state)
    return state


def plugin_versions(registry: Registry) -> dict[str, dict[str, str]]:
    """``"kind/name" -> {"package", "version", "source"}`` of every registered plugin (recorded in run.json)."""
    return {f"{r.info.kind}/{r.info.name}": {"package": r.package, "version": r.version, "source": r.source}
            for r in registry.all()}


def changed_plugins(recorded: dict[str, Any], now: dict[str, Any], spec: Spec) -> list[str]:
    """One line per plugin the spec uses whose package or version differs from what run.json recorded."""
    lines = []
    for path, choice in plugin_choices(spec):
        key = f"{choice.kind}/{choice.plugin}"
        before, after = recorded.get(key), now.get(key)
        if before is None or after is None:
            continue  # a run directory written before versions were recorded
        if (before["package"], before["version"]) != (after["package"], after["version"]):
            lines.append(f"{path}: {choice.kind} plugin {choice.plugin!r} was {before['package']} "
                         f"{before['version']} when the run started, is {after['package']} {after['version']} now")
    return lines


def _versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in ("framework", "torch", "lark", "pluggy", "attrs", "cattrs", "stitch-core", "numpy", "raven-gen"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            pass
    return versions


def _checkpoint(run_dir: RunDir, state: RunState) -> None:
    write_json_atomic(run_dir.checkpoint, state_to_json(state))


class _Loop:
    """The plugins and data of one run, and the steps of a generation."""

    def __init__(self, spec: Spec, plugins: Plugins, run_dir: RunDir, spec_dir: Path, console: Console,
                 baselines: Path | None = None) -> None:
        self.spec, self.run_dir, self.spec_dir, self.console = spec, run_dir, spec_dir, console
        self.baselines = baselines
        self.registry, self.hook = plugins.registry, plugins.hook
        parts = preflight(spec, plugins, spec_dir)  # the checks `framework validate` makes too
        self.domain, self.synthesizers, self.selector = parts.domain, parts.synthesizers, parts.selector
        self.executor, self.learner, self.initial = parts.executor, parts.learner, parts.initial
        self.start, self.grammar0 = parts.start, parts.grammar  # [start]'s run, or None; the starting grammar
        with console.status(escape(f"loading task {spec.task.plugin!r}")):
            self.data = parts.task.load(cache_dir(), spec.run.seed)
        self.trainer = NetworkTrainer(spec, spec_dir, self.registry, self.data, console, run_dir)
        if parts.input_shape != self.data.input_shape:  # not checked before the data was loaded
            check_model(spec, plugins, self.data.input_shape)
        # the protocol lists requires_splits; selectors written before it may lack it
        for split in getattr(self.selector, "requires_splits", ()):
            if getattr(self.data, split).y.numel() == 0:
                raise UsageError(
                    f"population.selector: {spec.population.selector.plugin!r} needs a non-empty "
                    f"{split!r} split, and task {spec.task.plugin!r} has none (set task.{split} > 0)"
                )

    # -- set-up ---------------------------------------------------------------

    def save_grammar(self, grammar: Grammar, name: str) -> None:
        grammar.save(self.run_dir.root / name)

    # -- the baseline arm -----------------------------------------------------

    def train_baseline(self, state: RunState) -> RunState:
        runs = self.spec.baseline.runs
        jobs = [TrainJob(f"baseline-{i}", None, derive_seed(self.spec.run.seed, "baseline", i))
                for i in range(len(state.baseline), runs)]
        if not jobs:
            return state
        inputs = {job.key: shared.baseline_inputs(self.trainer, job.seed) for job in jobs} if self.baselines else {}
        keys = {name: shared.baseline_key(parts) for name, parts in inputs.items()}
        missing = sorted(key for key in keys.values() if shared.find_shared(self.baselines, key) is None)
        with shared.training(self.baselines, missing, self._waiting) if missing else contextlib.nullcontext():
            return self._train_baseline(state, jobs, inputs, keys)

    def _waiting(self, lock: Path) -> None:
        self.console.print(f"[bold]baseline[/]: another run of the study is training these baseline networks; "
                           f"waiting for it to share them ({escape(str(lock))})")

    def _train_baseline(self, state: RunState, jobs: list[TrainJob], inputs: dict[str, Any],
                        keys: dict[str, str]) -> RunState:
        """Train ``jobs``, or record the trainings shared under ``keys`` (by another run of the
        study, perhaps while this one waited for it)."""
        runs = self.spec.baseline.runs
        found = {name: shared.find_shared(self.baselines, key) for name, key in keys.items()}
        reused = sum(hit is not None for hit in found.values())
        self.console.print(f"[bold]baseline[/]: training the encoder alone {runs} times" +
                           (f" ({reused} of them already trained in this study: reused)" if reused else ""))

        def on_result(job: TrainJob, trained: Trained, trained_by: str | None = None) -> None:
            nonlocal state
            if self.baselines is not None and trained_by is None:  # shared before the checkpoint holds it
                shared.share(self.baselines, keys[job.key], inputs[job.key], trained, self.run_dir.root)
            self._save_network(job, trained, state.grammar)
            state = evolve(state, baseline=state.baseline + (trained.scores,))
            _checkpoint(self.run_dir, state)
            kill_point(f"trained:{job.key}")
            self._announce(job, trained.scores, len(state.baseline), runs,
                           f" (reused: trained by {trained_by})" if trained_by else "")

        # in order: the checkpoint records baseline runs by position
        for is_reused, group in itertools.groupby(jobs, key=lambda job: found.get(job.key) is not None):
            if is_reused:
                for job in group:
                    on_result(job, found[job.key].trained, found[job.key].trained_by)
            else:
                self.executor.run(list(group), self.trainer, on_result)
        self._prune_networks(state)
        return state

    # -- 1. explore -----------------------------------------------------------

    def explore(self, state: RunState, grammar: Grammar) -> RunState:
        from framework.explore import explore

        g = state.generation
        want = self.spec.population.size - len(state.survivors)
        rng = random.Random(derive_seed(self.spec.run.seed, "explore", g))
        started = time.perf_counter()
        members = [_Member(program, self.domain.evaluate(program, grammar), c.id, c.selection)
                   for c, program in ((c, grammar.parse(c.program)) for c in state.survivors)]
        tried = [self.domain.evaluate(grammar.parse(c.program), grammar) for c in state.discarded]
        self._restore_synthesizers(state.synthesizer_states)
        synthesizers = list(self.synthesizers)
        if g == 0 and self.initial:
            synthesizers.insert(0, ("initial", _Given(self.initial)))
        with self.console.status(f"generation {g}: exploring for {want} new programs") as status:
            def show(stats: Any) -> None:
                status.update(f"generation {g}: exploring: {stats.proposed:,} programs "
                              f"({stats.programs_per_second:,.0f}/s), {stats.found} of {want} new graphs")

            result = explore(
                self.domain,
                grammar,
                synthesizers,
                members,
                want=want,
                rng=rng,
                budget=self.spec.population.explore_budget,
                replace_smaller=self.spec.population.replace_smaller,
                progress=show,
                exclude=tried,
                seconds=self.spec.population.explore_seconds,
                seconds_by={c.plugin: c.explore_seconds for c in self.spec.synthesizers
                            if c.explore_seconds is not None},
            )
        explored = steps.after_exploration(result, g, state.survivors, state.discarded, grammar, self.domain)
        seconds = time.perf_counter() - started
        self.console.print(
            f"[bold]generation {g}[/]: explored {result.stats.proposed} programs "
            f"({result.stats.proposed / max(seconds, 1e-9):,.0f}/s), {len(result.found)} new graphs, "
            f"{len(result.replacements)} members replaced by smaller programs"
        )
        for name, reason in result.stats.stopped.items():
            self.console.print(f"  [yellow]synthesizer {escape(repr(name))} stopped for this generation[/]: "
                               f"{escape(reason)}")
        for fault, count in result.stats.faults.items():
            self.console.print(f"  [yellow]{escape(steps.domain_fault(self.spec.domain.plugin, fault, count))}[/]")
        if not result.found and not result.replacements:
            why = steps.why_nothing(explored.exploration, want, self.spec.domain.plugin)
            self.console.print(f"  [yellow]no new programs[/]: {escape(why)}")
        record = GenerationRecord(g, state.grammar, (), (), explored=explored.exploration)
        state = evolve(state, phase="train", survivors=explored.survivors, pending=explored.pending,
                       discarded=explored.discarded, synthesizer_states=self._synthesizer_states(),
                       history=state.history + (record,))
        _checkpoint(self.run_dir, state)
        return state

    def _synthesizer_states(self) -> tuple[Any, ...]:
        """Each synthesizer's resumable state (``state()``), or None for stateless ones."""
        return tuple(s.state() if isinstance(s, Resumable) else None for _, s in self.synthesizers)

    def _restore_synthesizers(self, states: tuple[Any, ...]) -> None:
        for (_, synthesizer), saved in zip(self.synthesizers, states):
            if saved is not None and isinstance(synthesizer, Resumable):
                synthesizer.restore(saved)

    # -- 2. train -------------------------------------------------------------

    def train_pending(self, state: RunState) -> RunState:
        repeats = self.spec.population.repeats
        todo = [c for c in state.pending if c.scores is None]
        jobs = [TrainJob(c.id, c, derive_seed(self.spec.run.seed, "train", c.id, r))
                for c in todo for r in range(repeats)]
        partial: dict[str, list[tuple[TrainJob, Trained]]] = {}
        total = len(state.pending)

        def on_result(job: TrainJob, trained: Trained) -> None:
            nonlocal state
            partial.setdefault(job.key, []).append((job, trained))
            if len(partial[job.key]) < repeats:
                return
            runs = partial.pop(job.key)
            averaged = steps.average_repeats([t.scores for _, t in runs])
            first_job, first = runs[0]  # the first repeat's network, with the candidate's recorded scores
            self._save_network(first_job, evolve(first, scores=averaged), state.grammar)
            pending = tuple(evolve(c, scores=averaged) if c.id == job.key else c for c in state.pending)
            state = evolve(state, pending=pending)
            _checkpoint(self.run_dir, state)
            kill_point(f"trained:{job.key}")
            done = sum(c.scores is not None for c in pending)
            self._announce(job, averaged, done, total)

        self.executor.run(jobs, self.trainer, on_result)
        return state

    def _save_network(self, job: TrainJob, trained: Trained, grammar: str) -> None:
        save_trained(self.run_dir, self.spec, self.registry, self.data.input_shape, job.key, job.candidate,
                     job.seed, trained, grammar)

    def _prune_networks(self, state: RunState) -> None:
        """Drop saved networks the ``[artifacts] networks`` policy no longer keeps."""
        prune_networks(self.run_dir, networks_to_keep(self.spec.artifacts.networks, state,
                                                      lambda s: float(self.selector.score(s))))

    def warn(self, message: str) -> None:
        self.console.print(f"[yellow]warning[/]: {escape(message)}", highlight=False)

    def _announce(self, job: TrainJob, scores: Scores, done: int, total: int, note: str = "") -> None:
        if scores.failed:
            detail = f"[red]failed[/]: {escape(scores.failed)}"
        else:
            select = f" select {scores.select_accuracy:.3f}" if scores.select_accuracy is not None else ""
            detail = f"train {scores.train_accuracy:.3f}{select} eval {scores.eval_accuracy:.3f}"
        self.console.print(f"  {escape(job.key)} ({done}/{total}): {detail}{escape(note)}")

    # -- 3. select, 4. learn, 5. persist ------------------------------------

    def select_learn_and_advance(self, state: RunState, grammar: Grammar) -> RunState:
        g = state.generation
        last = g + 1 >= self.spec.run.generations
        try:
            survivors, discarded = steps.select(state.survivors + state.pending, self.selector.score,
                                                self.spec.population.keep)
        except PluginFault as exc:  # nothing of the selection is applied; the checkpoint holds the training
            raise FrameworkError(
                f"{name_fault(self.spec, exc)}\nthe run stopped before selecting generation {g}; every trained "
                f"candidate is in {self.run_dir.checkpoint}: fix the selector and continue with --resume"
            ) from None
        record = evolve(state.history[-1], candidates=tuple(c.id for c in state.pending),
                        survivors=tuple(c.id for c in survivors))
        report.write_population(self.run_dir, g, survivors, discarded)
        next_grammar = state.grammar
        if not last and survivors:
            with self.console.status("library learning"):
                learned = steps.learn(grammar, survivors, self.learner, self.spec.library, self.domain,
                                      self.spec.domain.plugin)
            if learned.library_error is not None:
                self.console.print(f"[yellow]library learning skipped[/]: {escape(learned.library_error)}")
            elif self.learner is not None:
                self.console.print(f"  library: {len(learned.inventions)} inventions "
                                   f"{escape(', '.join(learned.inventions))} (ratio {learned.compression_ratio:.2f})")
            survivors = learned.survivors
            record = evolve(record, inventions=learned.inventions, compression_ratio=learned.compression_ratio,
                            library_error=learned.library_error)
            next_grammar = grammar_name(g + 1)
            self.save_grammar(learned.grammar, next_grammar)
        state = evolve(
            state,
            generation=g + 1,
            phase="done" if last else "explore",
            grammar=next_grammar,
            survivors=survivors,
            pending=(),
            discarded=state.discarded + discarded,
            history=state.history[:-1] + (record,),
        )
        _checkpoint(self.run_dir, state)
        kill_point(f"selected:g{g}")
        self.console.print(
            f"[bold]generation {g}[/]: kept {len(survivors)} of {len(survivors) + len(discarded)}"
        )
        if not survivors:
            self.console.print(f"[bold]generation {g}[/]: [red]no candidate trained successfully[/] "
                               f"({len(discarded)} failed; reasons in {escape(str(self.run_dir.metrics))})")
        return self.report_generation(state, g)

    def report_generation(self, state: RunState, g: int) -> RunState:
        """Metrics, then the reporters' files of generation ``g``; the checkpoint records that
        they are drawn, so a run killed before that redraws them on resume."""
        self._prune_networks(state)
        report.write_metrics(self.run_dir, state)
        announce(self.hook.on_generation_end, self.warn, event=GenerationEnd(self.run_dir, g, state))
        state = evolve(state, reported=g + 1)
        _checkpoint(self.run_dir, state)
        kill_point(f"reported:g{g}")
        return state

    def report_missing(self, state: RunState) -> RunState:
        """Draw every selected generation whose reporters have not drawn it yet."""
        for g in range(state.reported, state.generation):
            state = self.report_generation(state, g)
        return state
