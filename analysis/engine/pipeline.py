"""The analysis pipeline: source -> discovery -> parse + file-local detectors (process pool) ->
code graph -> project detectors -> score.

``analyze`` is the one entry point (re-exported as ``analysis.engine.analyze``). It reports its
progress through ``progress(stage, percent, message)`` at a few-percent granularity, with the
stages ``discover``, ``parse``, ``graph``, ``detect``, ``score`` and ``report``; an exception raised
by the callback aborts the analysis (the platform uses that to cancel a run).

Incremental analysis: given the ``previous`` result of the same repository, files whose content
hash, module name and test status are unchanged reuse their facts and file-local findings;
only new and changed files are parsed; deleted files drop out; the graph, the project detectors
and the score are always recomputed. The result equals a cold run's. A previous result made
with another configuration, detector set, Python version or engine source is ignored (cold
run). Files whose size and modification time are unchanged are not even re-hashed.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

from analysis.engine import graph as g
from analysis.engine import source as source_mod
from analysis.engine.calibration import calibrate
from analysis.engine.config import ConfigError, EngineConfig
from analysis.engine.detectors.deadcode import drop_reexported_unused_imports
from analysis.engine.detectors.duplication import duplication_metrics
from analysis.engine.detectors.security import drop_safe_yaml_loaders
from analysis.engine.discovery import discover, module_names
from analysis.engine.facts import AnalysisResult, FileFacts, HealthScore
from analysis.engine.history import HistoryError, analyze_history, history_summary, is_history_root, mark_hotspots
from analysis.engine.history.metrics import HistoryOptions
from analysis.engine.history.mining import CommitFacts
from analysis.engine.interproc import propagate
from analysis.engine.languages import PYTHON
from analysis.engine.languages.resolve import resolve_other_imports
from analysis.engine.markers import apply_markers
from analysis.engine.model import Finding, Role
from analysis.engine.project import build_project
from analysis.engine.registry import (
    DetectorSpec,
    NodeDetector,
    ProjectDetector,
    all_detectors,
    all_specs,
    detector_languages,
    tree_detectors,
)
from analysis.engine.roles import resolver_for
from analysis.engine.scoring import compute_score
from analysis.engine.worker import (
    BatchResult,
    FileProcessor,
    FileTask,
    apply_suppressions,
    assign_discriminators,
    init_worker,
    resolve_imports,
    run_batch,
)

ENGINE_VERSION = "1"
ProgressCallback = Callable[[str, float, str], None]

IN_PROCESS_MAX_FILES = 40  # below this a process pool costs more than it saves
BATCHES_PER_WORKER = 8  # enough batches for load balancing and progress granularity
_STAGE_SPAN = {
    "discover": (0.0, 5.0),
    "parse": (5.0, 75.0),
    "graph": (75.0, 80.0),
    "detect": (80.0, 92.0),
    "score": (92.0, 97.0),
    "report": (97.0, 100.0),
}


class _Progress:
    def __init__(self, callback: ProgressCallback | None) -> None:
        self.callback = callback
        self.last = -100.0

    def __call__(self, stage: str, fraction: float, message: str, force: bool = True) -> None:
        if self.callback is None:
            return
        lo, hi = _STAGE_SPAN[stage]
        percent = round(lo + (hi - lo) * max(0.0, min(1.0, fraction)), 1)
        if force or percent - self.last >= 3.0:
            self.last = percent
            self.callback(stage, percent, message)


@functools.cache
def engine_fingerprint() -> str:
    """Hash of the engine's own source: facts and findings of an older engine are not reused."""
    digest = hashlib.sha256(ENGINE_VERSION.encode())
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def effective_config(config: EngineConfig | Mapping[str, Any] | None, root: str) -> EngineConfig:
    """An ``EngineConfig`` is used as is; a mapping is applied on top of the repository's own
    configuration file; None means the repository's configuration (or the defaults)."""
    if isinstance(config, EngineConfig):
        return config
    return EngineConfig.load(root, overrides=config)


def enabled_detectors(config: EngineConfig) -> dict[str, type[NodeDetector] | type[ProjectDetector]]:
    return {did: cls for did, cls in all_detectors().items() if config.is_enabled(did)}


def _ran_specs(detectors: Mapping[str, type[NodeDetector] | type[ProjectDetector]], config: EngineConfig) -> list[DetectorSpec]:
    """Specs of the enabled detectors that apply to a language this analysis covers."""
    wanted = set(config.languages) if config.languages is not None else None
    specs: dict[str, DetectorSpec] = {}
    for did, cls in detectors.items():
        covered = detector_languages(did)
        if wanted is None or covered is None or not wanted.isdisjoint(covered):
            specs[did] = cls.spec
    for did, classes in tree_detectors().items():
        if did in specs or not config.is_enabled(did):
            continue
        covered = detector_languages(did)
        if wanted is None or covered is None or not wanted.isdisjoint(covered):
            specs[did] = classes[0].spec
    return sorted(specs.values(), key=lambda s: s.id)


def analyze(
    source: str | os.PathLike[str],
    *,
    config: EngineConfig | Mapping[str, Any] | None = None,
    progress: ProgressCallback | None = None,
    previous: AnalysisResult | None = None,
    workers: int | None = None,
    ref: str | None = None,
    workspace: str | os.PathLike[str] | None = None,
    profile: bool = False,
    history: bool = True,
    history_known: Sequence[CommitFacts] = (),
    history_identity: Callable[[str], str] | None = None,
) -> AnalysisResult:
    """Analyse a directory or a git URL (``ref``: branch, tag or commit to fetch) and return
    every finding, the per-file facts, the health score, metrics and per-stage timings.

    ``workers``: processes for parsing (default ``os.cpu_count()``; 1 = in this process).
    ``history``: mine the git history when ``source`` is the top of a git work tree (the
    ``history`` stage; ``[history]`` of repotoire.toml configures it, ``enabled = false`` turns it
    off); ``history_known``: the commits an earlier analysis mined (``result.history_commits``),
    so that only newer ones are read from git; ``history_identity``: maps each newly mined
    author e-mail to the identity to keep (the platform's pseudonymisation).
    ``profile``: also time every file-local detector (``timings["detector.<id>"]``, CPU
    seconds summed over the workers, and ``timings["detect.<category>"]``); costs some speed.
    Raises ``source.SourceError`` when the source cannot be found or fetched and
    ``config.ConfigError`` when the repository's configuration is malformed.
    """
    report = _Progress(progress)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    gc_was_enabled = gc.isenabled()
    # millions of small fact objects are created and none of them form cycles worth collecting
    gc.disable()
    try:
        t = time.perf_counter()
        checkout = source_mod.resolve(source, ref, workspace=os.fspath(workspace) if workspace is not None else None)
        root = checkout.path
        timings["source"] = time.perf_counter() - t
        return _analyze(
            root,
            checkout.commit,
            config,
            report,
            previous,
            workers,
            timings,
            started,
            profile,
            history,
            history_known,
            history_identity,
        )
    finally:
        if gc_was_enabled:
            gc.enable()


def _analyze(
    root: str,
    commit: str | None,
    config_arg: EngineConfig | Mapping[str, Any] | None,
    report: _Progress,
    previous: AnalysisResult | None,
    workers: int | None,
    timings: dict[str, float],
    started: float,
    profile: bool = False,
    history: bool = True,
    history_known: Sequence[CommitFacts] = (),
    history_identity: Callable[[str], str] | None = None,
) -> AnalysisResult:
    # --- discover -----------------------------------------------------------------------------
    t = time.perf_counter()
    report("discover", 0.0, "Listing files")
    config = effective_config(config_arg, root)
    detectors = enabled_detectors(config)
    history_options = _history_options(config) if history else None
    disc = discover(root, config, check=lambda: report("discover", 0.5, "Listing files"))
    # module id: the dotted name for Python, the path itself for every other language
    names = module_names(root, [f.path for f in disc.files if f.language == PYTHON], disc.package_dirs)
    roles = resolver_for(root, config.roles, disc.metadata_dirs, disc.package_dirs)
    tasks: list[FileTask] = [
        (
            f.path,
            names.get(f.path, f.path),
            roles.role(f.path) == Role.TEST,
            f.language == PYTHON and f.path.rsplit("/", 1)[-1] == "__init__.py",
            f.language,
        )
        for f in disc.files
    ]
    sizes = {f.path: f.size for f in disc.files}
    engine_meta = {
        "version": ENGINE_VERSION,
        "code": engine_fingerprint(),
        "config": config.fingerprint(),
        "detectors": sorted(detectors),
        "python": f"{sys.version_info[0]}.{sys.version_info[1]}",
    }
    reused, tasks = _reusable(root, tasks, previous, engine_meta)
    timings["discover"] = time.perf_counter() - t
    report("discover", 1.0, f"{len(disc.files)} source files found")

    # --- parse + file-local detectors -----------------------------------------------------------
    t = time.perf_counter()
    node_ids = sorted(did for did, cls in detectors.items() if issubclass(cls, NodeDetector))
    node_ids = sorted({*node_ids, *(did for did in tree_detectors() if config.is_enabled(did))})
    batch = _parse(root, tasks, sizes, node_ids, config, workers, report, profile)
    files: dict[str, FileFacts] = dict(reused)
    for facts in batch.facts:
        files[facts.path] = facts
    files = dict(sorted(files.items()))
    for facts in files.values():
        facts.role = roles.role(facts.path, facts.extra.get("content_role"))
    resolve_imports(files.values())
    resolve_other_imports(root, files.values())
    timings["parse"] = time.perf_counter() - t
    specs_by_id = {spec.id: spec for spec in all_specs()}
    for key, value in batch.timings.items():
        if key.startswith("detector."):
            timings[key] = value
            spec = specs_by_id[key.removeprefix("detector.")]
            group = f"detect.{spec.category.value}"
            timings[group] = timings.get(group, 0.0) + value
        else:
            timings[f"parse.cpu.{key}"] = value
    report("parse", 1.0, f"{len(tasks)} files parsed, {len(reused)} reused")

    # --- graph ----------------------------------------------------------------------------------
    t = time.perf_counter()
    report("graph", 0.0, "Building the code graph")
    project = build_project(files, config, root)
    timings["graph"] = time.perf_counter() - t

    # --- history (a separate stage: its time is timings["history"]) ------------------------------
    mined_commits: list[CommitFacts] = []
    mined_info: dict[str, Any] = {}
    history_error: str | None = None
    if history_options is not None and is_history_root(root):
        t = time.perf_counter()
        report("graph", 0.5, "Mining the git history")
        try:
            project.history, mined = analyze_history(
                root, files, project.graph.edges[g.IMPORTS], history_options, known=history_known, identity=history_identity
            )
            mined_commits = mined.commits
            mined_info = {"mined_commits": mined.new_commits, "incremental": mined.incremental}
        except HistoryError as exc:
            history_error = str(exc)
        timings["history"] = time.perf_counter() - t

    # --- project detectors ----------------------------------------------------------------------
    t = time.perf_counter()
    report("detect", 0.0, "Running project detectors")
    errors = list(batch.errors)
    project_findings: list[Finding] = []
    project_detectors = sorted((cls for cls in detectors.values() if issubclass(cls, ProjectDetector)), key=lambda c: c.spec.id)
    for i, cls in enumerate(project_detectors):
        td = time.perf_counter()
        try:
            found = list(cls().run(project))
        except Exception as exc:  # noqa: BLE001 - one broken detector must not fail the run
            errors.append((cls.spec.id, "", f"{type(exc).__name__}: {exc}"))
            found = []
        elapsed = time.perf_counter() - td
        timings[f"detector.{cls.spec.id}"] = elapsed
        group = f"detect.{cls.spec.category.value}"
        timings[group] = timings.get(group, 0.0) + elapsed
        project_findings.extend(_finish_project_findings(found, cls.spec, config, files))
        report("detect", (i + 1) / max(1, len(project_detectors)), cls.spec.id, force=False)
    for f in project_findings:
        finding_file = files.get(f.path)
        if finding_file is not None:
            f.language = finding_file.language
    file_findings = [f for facts in files.values() for f in facts.findings]
    # markers of other tools (noqa, nosec, no-cover pragmas) say intentional: see markers.py
    file_findings = honour_markers(file_findings, files, config.options.get("markers"))
    project_findings = honour_markers(project_findings, files, config.options.get("markers"))
    assign_roles([*file_findings, *project_findings], files)
    # A file-local detector cannot see that other modules import a name from this one.
    file_findings = drop_reexported_unused_imports(file_findings, project)
    # nor that a yaml Loader imported from another module derives from SafeLoader
    file_findings = drop_safe_yaml_loaders(file_findings, project)
    # sources reaching sinks through calls across functions and modules
    t_taint = time.perf_counter()
    file_findings = propagate(file_findings, project)
    timings["taint"] = time.perf_counter() - t_taint
    findings = sorted(
        file_findings + _disambiguate(project_findings),
        key=lambda f: (f.path, f.line, f.column, f.detector, f.fingerprint),
    )
    calibrate(findings)
    mark_hotspots(findings, project.history)
    timings["detect"] = time.perf_counter() - t

    # --- metrics and score ----------------------------------------------------------------------
    t = time.perf_counter()
    report("score", 0.0, "Scoring")
    project_metrics = dict(project.metrics)
    if "duplicated_lines_percent" not in project_metrics:
        project_metrics.update(duplication_metrics(project))  # also when duplicate-code is disabled
    metrics = _metrics(files, project_metrics)
    metrics["engine"] = engine_meta
    if project.history is not None:
        metrics["history"] = {**history_summary(project.history), **mined_info}
    elif history_error is not None:
        metrics["history"] = {"error": history_error}
    if errors:
        metrics["detector_errors"] = [{"detector": d, "path": p, "error": e} for d, p, e in errors[:200]]
        metrics["detector_error_count"] = len(errors)
    score = _score(findings, files, metrics, config)
    languages = {f.language for f in files.values()}
    if languages != {PYTHON} and languages:
        # one score for the repository, and the same formula per language for the breakdown
        metrics["languages"] = _language_breakdown(findings, files, metrics, config)
    timings["score"] = time.perf_counter() - t

    skipped = dict(disc.skipped)
    for reason, n in batch.skipped.items():
        skipped[reason] = skipped.get(reason, 0) + n
    if disc.other_files:
        # a Python-only analysis keeps the historical name of the counter
        skipped["not_python" if config.languages == [PYTHON] else "other_language"] = disc.other_files
    ran = _ran_specs(detectors, config)
    timings["total"] = time.perf_counter() - started
    result = AnalysisResult(
        root=root,
        commit=commit,
        files_analyzed=len(files),
        lines_analyzed=sum(f.code_lines for f in files.values()),
        findings=findings,
        score=score,
        files=files,
        skipped=skipped,
        metrics=metrics,
        timings={k: round(v, 4) for k, v in timings.items()},
        detectors=[s.to_dict() for s in ran],
        warnings=list(disc.warnings),
        history=project.history,
        history_commits=mined_commits,
    )
    report("report", 1.0, f"Analysis complete: {len(findings)} findings")
    return result


def _history_options(config: EngineConfig) -> HistoryOptions | None:
    """``[history]`` of the configuration; None when it says ``enabled = false``."""
    table = config.options.get("history")
    if table is None:
        return HistoryOptions()
    if not isinstance(table, Mapping):
        raise ConfigError("[history] must be a table")
    table = dict(table)
    if not table.pop("enabled", True):
        return None
    try:
        return HistoryOptions.from_mapping(table)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc


# --- incremental --------------------------------------------------------------------------------
def _reusable(
    root: str, tasks: list[FileTask], previous: AnalysisResult | None, engine_meta: dict[str, Any]
) -> tuple[dict[str, FileFacts], list[FileTask]]:
    """Facts of ``previous`` still valid for this run, and the tasks left to parse."""
    if previous is None or previous.metrics.get("engine") != engine_meta:
        return {}, tasks
    reused: dict[str, FileFacts] = {}
    todo: list[FileTask] = []
    for task in tasks:
        path, module, is_test, is_init = task[:4]
        language = task[4] if len(task) > 4 else PYTHON  # type: ignore[misc]
        old = previous.files.get(path)
        if (
            old is None
            or old.module != module
            or old.is_test != is_test
            or old.is_package_init != is_init
            or old.language != language
        ):
            todo.append(task)
            continue
        full = os.path.join(root, path)
        try:
            st = os.stat(full)
            if old.extra.get("stat") == [st.st_size, st.st_mtime_ns]:
                reused[path] = old
                continue
            with open(full, "rb") as fh:
                digest = hashlib.sha256(fh.read()).hexdigest()
        except OSError:
            todo.append(task)
            continue
        if digest == old.content_hash:
            reused[path] = old
        else:
            todo.append(task)
    return reused, todo


# --- parsing --------------------------------------------------------------------------------------
def _batches(tasks: list[FileTask], sizes: dict[str, int], n_batches: int) -> list[list[FileTask]]:
    """Size-balanced batches: biggest files first, each to the currently lightest batch."""
    batches: list[list[FileTask]] = [[] for _ in range(n_batches)]
    loads = [0.0] * n_batches
    for task in sorted(tasks, key=lambda t: -sizes.get(t[0], 0)):
        i = loads.index(min(loads))
        batches[i].append(task)
        loads[i] += sizes.get(task[0], 0) + 2_000  # fixed per-file cost
    # biggest batches first so that the stragglers are small
    return sorted((b for b in batches if b), key=lambda b: -sum(sizes.get(t[0], 0) for t in b))


def _merge(into: BatchResult, part: BatchResult) -> None:
    into.facts.extend(part.facts)
    for k, v in part.skipped.items():
        into.skipped[k] = into.skipped.get(k, 0) + v
    for key, seconds in part.timings.items():
        into.timings[key] = into.timings.get(key, 0.0) + seconds
    into.errors.extend(part.errors)


def _parse(
    root: str,
    tasks: list[FileTask],
    sizes: dict[str, int],
    enabled: list[str],
    config: EngineConfig,
    workers: int | None,
    report: _Progress,
    profile: bool = False,
) -> BatchResult:
    total = BatchResult()
    if not tasks:
        return total
    settings = config.detector_settings()
    n_workers = max(1, workers if workers is not None else (os.cpu_count() or 1))
    n_workers = min(n_workers, len(tasks))
    # a daemonic process (a django-q2 worker, for one) may not start children
    if multiprocessing.current_process().daemon:
        n_workers = 1
    if n_workers == 1 or len(tasks) < IN_PROCESS_MAX_FILES:
        processor = FileProcessor(root, enabled, settings, profile)
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, 10_000))
        try:
            for i, part in enumerate(_batches(tasks, sizes, max(1, min(len(tasks) // 20, 25)))):
                _merge(total, processor.process(part))
                report("parse", len(total.facts) / len(tasks), f"Parsed {len(total.facts)}/{len(tasks)} files", force=i == 0)
        finally:
            sys.setrecursionlimit(limit)
        return total
    # fork starts workers in milliseconds with the detectors already imported; a host whose
    # threads make fork unsafe can choose "forkserver" or "spawn" (slower start)
    method = os.environ.get("REPOTOIRE_MP_START_METHOD") or (
        "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    )
    batches = _batches(tasks, sizes, min(len(tasks), n_workers * BATCHES_PER_WORKER))
    done_files = 0
    with ProcessPoolExecutor(
        max_workers=n_workers,
        mp_context=multiprocessing.get_context(method),
        initializer=init_worker,
        initargs=(root, enabled, settings, profile),
    ) as pool:
        pending = {pool.submit(run_batch, b): len(b) for b in batches}
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    done_files += pending.pop(fut)
                    _merge(total, fut.result())
                report("parse", done_files / len(tasks), f"Parsed {done_files}/{len(tasks)} files", force=False)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return total


# --- project findings -----------------------------------------------------------------------------
def honour_markers(findings: list[Finding], files: dict[str, FileFacts], enabled: Any) -> list[Finding]:
    """Findings minus those other tools' inline markers cover (``markers.py``)."""
    if enabled is not None and not isinstance(enabled, dict):
        enabled = {}
    out = []
    for f in findings:
        facts = files.get(f.path)
        markers = facts.extra.get("markers") if facts is not None else None
        if not markers or apply_markers([f], markers, enabled):
            out.append(f)
    return out


def assign_roles(findings: list[Finding], files: dict[str, FileFacts]) -> None:
    """Every finding takes the role of its file (project-level findings without a file: source)."""
    for f in findings:
        facts = files.get(f.path)
        f.role = facts.role if facts is not None else Role.SOURCE.value


def _finish_project_findings(
    found: list[Finding], spec: DetectorSpec, config: EngineConfig, files: dict[str, FileFacts]
) -> list[Finding]:
    """Severity override from the configuration and inline suppressions of the file."""
    override = config.detectors.get(spec.id)
    out: list[Finding] = []
    for f in found:
        if override is not None and override.severity is not None:
            f.severity = override.severity.value
        facts = files.get(f.path)
        suppressions = facts.extra.get("suppressions") if facts is not None else None
        if suppressions and not apply_suppressions([f], suppressions):
            continue
        out.append(f)
    return out


def _disambiguate(findings: list[Finding]) -> list[Finding]:
    by_path: dict[str, list[Finding]] = {}
    for f in findings:
        by_path.setdefault(f.path, []).append(f)
    for group in by_path.values():
        assign_discriminators(group)
    return findings


# --- metrics and score ----------------------------------------------------------------------------
def _metrics(files: dict[str, FileFacts], project_metrics: dict[str, Any]) -> dict[str, Any]:
    functions = [d.metrics for f in files.values() for d in f.definitions if d.metrics is not None]
    classes = sum(1 for f in files.values() for d in f.definitions if d.kind == "class")
    metrics: dict[str, Any] = {
        "files": len(files),
        "lines": sum(f.lines for f in files.values()),
        "code_lines": sum(f.code_lines for f in files.values()),
        "test_files": sum(1 for f in files.values() if f.is_test),
        "parse_errors": sum(1 for f in files.values() if f.parse_error),
        "functions": len(functions),
        "classes": classes,
    }
    if functions:
        metrics["avg_cyclomatic"] = round(sum(m.cyclomatic for m in functions) / len(functions), 3)
        metrics["avg_cognitive"] = round(sum(m.cognitive for m in functions) / len(functions), 3)
        metrics["max_cyclomatic"] = max(m.cyclomatic for m in functions)
    for key, value in project_metrics.items():
        metrics.setdefault(key, value)
    return metrics


def _language_breakdown(
    findings: list[Finding], files: dict[str, FileFacts], metrics: dict[str, Any], config: EngineConfig
) -> dict[str, dict[str, Any]]:
    """Per language: files, code lines, findings and the score its files alone would get."""
    out: dict[str, dict[str, Any]] = {}
    for language in sorted({f.language for f in files.values()}):
        own_files = {p: f for p, f in files.items() if f.language == language}
        own = [f for f in findings if f.language == language]
        part = _score(own, own_files, {**metrics, "code_lines": sum(f.code_lines for f in own_files.values())}, config)
        out[language] = {
            "files": len(own_files),
            "code_lines": sum(f.code_lines for f in own_files.values()),
            "findings": len(own),
            "score": part.overall,
            "grade": part.grade,
        }
    return out


def _score(findings: list[Finding], files: dict[str, FileFacts], metrics: dict[str, Any], config: EngineConfig) -> HealthScore:
    # the `[score]` table of repotoire.toml tunes the formula
    return compute_score(findings, files, metrics, config.options.get("score"))
