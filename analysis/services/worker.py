"""The worker runtime of one run: claim, progress writer, heartbeat, checkout, the engine, and
storing the results (``_complete``) or the failure (``_fail``)."""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import shutil
import threading
import time
import zlib
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django_q.exceptions import TimeoutException
from django_q.tasks import async_task

from analysis.engine import __version__ as engine_version
from analysis.engine import source
from analysis.engine.config import CONFIG_FILENAMES, ConfigError, EngineConfig
from analysis.engine.facts import AnalysisResult, HealthScore
from analysis.engine.history.metrics import HistoryOptions
from analysis.engine.model import SEVERITY_ORDER, Finding
from analysis.engine.pipeline import analyze
from analysis.engine.reports import render_json
from analysis.engine.scoring import compute_score
from analysis.engine.source import SourceError
from analysis.hooks import post_analysis_hooks
from analysis.models import (
    AnalysisFacts,
    AnalysisReport,
    AnalysisRun,
    Provider,
    Repository,
    RunErrorCode,
    RunStatus,
    RunTrigger,
)
from analysis.providers import findings_store, history_store
from analysis.services.events import _event_data, _notify
from analysis.services.facts import analysis_previous_result, facts_dump
from analysis.services.repositories import _workspace, repository_auth_headers
from analysis.services.scheduling import _lock_org_slots, analysis_start_next_queued
from analysis.sources import UNREACHABLE, CloneUrlError, FetchError, fetch_repository, local_repository_path
from billing.entitlements import effective_plan
from repotoire.qworker import WorkerShutdown, shutdown_requested
from webhooks.services import (
    ANALYSIS_COMPLETED,
    ANALYSIS_FAILED,
    ANALYSIS_STARTED,
    HEALTH_SCORE_CHANGED,
    webhook_emit_on_commit,
)

logger = logging.getLogger("repotoire.analysis")


SEVERITIES = SEVERITY_ORDER


# The ``[score]`` table of the analysed repository's repotoire.toml, when it has one.
ScoreOptions = Mapping[str, Any] | None
# Share of the progress bar before the engine starts (fetch) and after it ends (persist).
_FETCH_SPAN = 5
_PERSIST_AT = 96


def _claim(run_id: UUID | str) -> AnalysisRun | None:
    with transaction.atomic():
        run = AnalysisRun.objects.select_related("organization", "repository").filter(pk=run_id).first()
        if run is None or run.status != RunStatus.QUEUED:
            return None
        _lock_org_slots(run.organization_id)
        limit = effective_plan(run.organization).concurrent_analyses
        if AnalysisRun.objects.filter(organization_id=run.organization_id, status=RunStatus.RUNNING).count() >= limit:
            # No slot after all: wait for the next finished run to dispatch it again.
            AnalysisRun.objects.filter(pk=run.pk, status=RunStatus.QUEUED).update(dispatched_at=None)
            return None
        now = timezone.now()
        claimed = AnalysisRun.objects.filter(pk=run.pk, status=RunStatus.QUEUED).update(
            status=RunStatus.RUNNING,
            started_at=now,
            heartbeat_at=now,
            finished_at=None,
            attempts=F("attempts") + 1,
            progress_percent=0,
            stage="starting",
            message="Analysis started",
            error_code="",
            error_message="",
        )
        if claimed != 1:
            return None
        run.refresh_from_db()
        _notify(run)
        webhook_emit_on_commit(
            organization=run.organization, event_type=ANALYSIS_STARTED, data=_event_data(run), repository=run.repository
        )
    return run


# --- execution ------------------------------------------------------------------------------------
class _RunFailed(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _RunAborted(BaseException):
    """The run is no longer ours (cancelled, swept, deleted): stop and discard the work. A
    BaseException, like ``_Deadline``, because the heartbeat raises it inside the engine."""


class _Deadline(BaseException):
    """The run's time is up; a BaseException so that no ``except Exception`` in the engine
    swallows it on its way out."""


class _ProgressWriter:
    """The engine's progress callback: updates the row and NOTIFYs listeners, at most every
    ``REPOTOIRE_ANALYSIS_PROGRESS_INTERVAL`` seconds (and at every stage change), and stops the
    engine when the run was cancelled or its time is up."""

    def __init__(self, run: AnalysisRun, timeout: float) -> None:
        self.run = run
        self.interval = float(settings.REPOTOIRE_ANALYSIS_PROGRESS_INTERVAL)
        self.deadline = time.monotonic() + timeout
        self.stage = ""
        self.last_write = 0.0
        self.writes = 0

    def engine(self, stage: str, percent: float, message: str) -> None:
        scaled = _FETCH_SPAN + (_PERSIST_AT - _FETCH_SPAN) * max(0.0, min(100.0, percent)) / 100.0
        self(stage, int(scaled), message)

    def __call__(self, stage: str, percent: int, message: str) -> None:
        now = time.monotonic()
        if now > self.deadline:
            raise _Deadline
        if shutdown_requested():
            raise WorkerShutdown
        if stage == self.stage and now - self.last_write < self.interval:
            return
        updated = AnalysisRun.objects.filter(pk=self.run.pk, status=RunStatus.RUNNING).update(
            progress_percent=percent, stage=stage, message=message[:500], heartbeat_at=timezone.now()
        )
        if not updated:
            raise _RunAborted
        self.run.progress_percent, self.run.stage, self.run.message = percent, stage, message[:500]
        _notify(self.run)
        self.stage, self.last_write = stage, now
        self.writes += 1


class _Heartbeat(threading.Thread):
    """Keeps ``heartbeat_at`` fresh while the engine is busy between progress callbacks, so the
    sweeper can tell a slow stage from a dead worker; and stops the engine itself when the run
    is no longer ours (cancelled, swept) or its time is up, even in a stage that never reports
    progress: the exception is raised asynchronously in the run's thread at its next bytecode."""

    def __init__(self, run_id: UUID | str, interval: float, deadline: float) -> None:
        super().__init__(name=f"analysis-heartbeat-{run_id}", daemon=True)
        self.run_id = run_id
        self.interval = interval
        self.deadline = deadline
        self.target = threading.get_ident()  # the run's thread, which starts the heartbeat
        self.stopped = threading.Event()
        self.lost = False
        self._guard = threading.Lock()

    def run(self) -> None:
        try:
            while not self.stopped.wait(min(self.interval, max(0.05, self.deadline - time.monotonic()))):
                if time.monotonic() > self.deadline:
                    self._interrupt(_Deadline)
                    return
                alive = AnalysisRun.objects.filter(pk=self.run_id, status=RunStatus.RUNNING).update(heartbeat_at=timezone.now())
                if not alive:
                    self.lost = True
                    self._interrupt(_RunAborted)
                    return
        except Exception:  # noqa: BLE001 - a heartbeat failure must not kill the run; the sweeper decides
            logger.exception("Heartbeat of analysis %s failed", self.run_id)
        finally:
            connection.close()

    def _interrupt(self, exc: type[BaseException]) -> None:
        with self._guard:
            if not self.stopped.is_set():
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self.target), ctypes.py_object(exc))

    def stop(self) -> None:
        with self._guard:
            self.stopped.set()
        self.join(timeout=5)


def _engine_processes() -> int | None:
    # django-q2 workers are daemonic by default and daemonic processes cannot have children.
    if multiprocessing.current_process().daemon:
        return 1
    configured = int(settings.REPOTOIRE_ANALYSIS_PROCESSES)
    return configured if configured > 0 else None


def _clear_stale_git_locks(git_dir: Path) -> None:
    """A worker killed during a fetch leaves git's lock files behind, and every later fetch of
    the clone fails on them. Only one run of a repository is active at a time (the claim), so a
    lock found before the fetch is stale."""
    if git_dir.is_dir():
        for lock in [*git_dir.glob("*.lock"), *(git_dir / "refs").rglob("*.lock")]:
            lock.unlink(missing_ok=True)


def _history_since(repo: Repository) -> int:
    """Unix time the clone keeps history back to (the repository's history horizon)."""
    store = history_store()
    months = store.window(repository=repo)[0] if store is not None else HistoryOptions().months
    return int(time.time() - months * 30.44 * 86_400)


def _checkout(run: AnalysisRun, timeout: float) -> source.Checkout:
    repo = run.repository
    ref = run.commit_sha or run.branch or None
    url = repo.clone_url
    if repo.provider == Provider.LOCAL:
        try:
            # again at run time: the settings, or a symlink on the way, may have changed
            path = local_repository_path(url)
        except CloneUrlError as exc:
            raise _RunFailed(RunErrorCode.CLONE_FAILED, str(exc)) from exc
        if not (path / ".git").exists():
            if ref:
                raise _RunFailed(RunErrorCode.CLONE_FAILED, "A commit or branch needs a git repository")
            return source.Checkout(path=str(path), commit=None)
        url = f"file://{path}"
    headers = repository_auth_headers(repo) if repo.provider != Provider.LOCAL else []
    workspace = _workspace(repo)
    _clear_stale_git_locks(source.clone_dir(url, workspace) / ".git")
    try:
        checkout = fetch_repository(
            url, ref, workspace=workspace, timeout=max(timeout, 1.0), http_headers=headers, history_since=_history_since(repo)
        )
    except FetchError as exc:
        raise _RunFailed(RunErrorCode.CLONE_FAILED, str(exc)) from exc
    # The engine keys its clone cache by URL: a repository whose clone URL was edited leaves its
    # old clone behind. Only one run of a repository is active, so the others can go.
    current = Path(checkout.path).resolve().parent
    for sibling in workspace.iterdir():
        if sibling.is_dir() and sibling.resolve() != current:
            shutil.rmtree(sibling, ignore_errors=True)
    return checkout


def analysis_execute(*, run_id: UUID | str) -> AnalysisRun | None:
    """Claim the queued run ``run_id`` and analyse it. Returns None when the run could not be
    claimed (already taken, cancelled, or no free concurrency slot: it stays queued)."""
    run = _claim(run_id)
    if run is None:
        return None
    timeout = float(settings.REPOTOIRE_ANALYSIS_TIMEOUT_SECONDS)
    writer = _ProgressWriter(run, timeout)
    heartbeat = _Heartbeat(run.pk, float(settings.REPOTOIRE_ANALYSIS_HEARTBEAT_SECONDS), writer.deadline)
    started = time.monotonic()
    heartbeat.start()
    try:
        try:
            result, score_options = _run_engine(run, writer, timeout)
        finally:
            heartbeat.stop()
        if heartbeat.lost:
            raise _RunAborted
        writer("persist", _PERSIST_AT, f"Saving {len(result.findings)} findings")
        _complete(run, result, score_options=score_options, engine_seconds=time.monotonic() - started)
    except _RunAborted:
        logger.info("Analysis %s was cancelled or taken over while running; results discarded", run.pk)
    except (_Deadline, TimeoutException):
        # TimeoutException: django-q2's own alarm, armed a little after ours, for an engine
        # stage that never reports progress.
        _fail(run, RunErrorCode.TIMEOUT, f"The analysis exceeded the {timeout:.0f} s time limit")
    except _RunFailed as exc:
        _fail(run, exc.code, exc.message)
    except WorkerShutdown:
        _requeue_interrupted(run)
    except Exception:
        logger.exception("Analysis %s failed", run.pk)
        _fail(run, RunErrorCode.INTERNAL, "The analysis failed because of an internal error")
    finally:
        analysis_start_next_queued(organization=run.organization)
    run.refresh_from_db()
    return run


def _requeue_interrupted(run: AnalysisRun) -> None:
    """Its worker is shutting down: the run goes back to the queue at once (this claim does not count
    as an attempt) and is dispatched again by ``analysis_start_next_queued``, to another worker."""
    if _requeue(run, "The worker was stopped; re-queued", attempts=F("attempts") - 1):
        logger.info("Analysis %s re-queued: its worker is shutting down", run.pk)


def _requeue(run: AnalysisRun, message: str, *, only: Q | None = None, **fields: Any) -> bool:
    """Put a running run back in the queue (when it is still running and matches ``only``) and
    tell SSE listeners; True when it was."""
    runs = AnalysisRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING)
    requeued = (runs.filter(only) if only is not None else runs).update(
        status=RunStatus.QUEUED,
        started_at=None,
        heartbeat_at=None,
        dispatched_at=None,
        progress_percent=0,
        stage="queued",
        message=message,
        **fields,
    )
    if requeued:
        run.refresh_from_db()
        _notify(run)
    return bool(requeued)


def _run_engine(run: AnalysisRun, writer: _ProgressWriter, timeout: float) -> tuple[AnalysisResult, ScoreOptions]:
    writer("fetch", 1, "Fetching the code")
    try:
        checkout = _checkout(run, timeout)
    except _Deadline:
        # A remote that accepts and then stays silent must read like any other failed fetch
        # (no port scanner), not like a slow analysis.
        raise _RunFailed(RunErrorCode.CLONE_FAILED, UNREACHABLE) from None
    writer("fetch", _FETCH_SPAN, f"Checked out {checkout.commit[:12]}" if checkout.commit else "Source ready")
    previous = analysis_previous_result(repository=run.repository)
    store = history_store()
    known = store.known(repository=run.repository) if store is not None else []
    identity = store.identity(repository=run.repository) if store is not None else None
    try:
        result = analyze(
            checkout.path,
            progress=writer.engine,
            previous=previous,
            workers=_engine_processes(),
            config=_history_window(checkout.path, run.repository),
            history_known=known,
            history_identity=identity,
        )
        score_options = EngineConfig.load(checkout.path).options.get("score")
    except ConfigError as exc:
        text = str(exc)
        named = text.startswith((*CONFIG_FILENAMES, "pyproject.toml"))  # the message names its file
        raise _RunFailed(RunErrorCode.CONFIG_INVALID, (text if named else f"repotoire.toml: {text}")[:2000]) from exc
    except SourceError as exc:
        raise _RunFailed(RunErrorCode.CLONE_FAILED, str(exc)[:2000]) from exc
    if result.files_analyzed == 0:
        raise _RunFailed(RunErrorCode.NO_SOURCE_FILES, "No Python source files were found at this commit")
    if checkout.commit and not result.commit:
        result.commit = checkout.commit
    old_files = previous.files if previous is not None else {}
    result.metrics["reused_files"] = sum(1 for path, facts in result.files.items() if old_files.get(path) is facts)
    return result, score_options


def _history_window(path: str, repo: Repository) -> EngineConfig:
    """The checkout's configuration, with the repository's history window unless repotoire.toml
    sets its own ``[history]`` keys (ConfigError propagates: a malformed file fails the run)."""
    config = EngineConfig.load(path)
    store = history_store()
    if store is None:
        return config
    months, max_commits = store.window(repository=repo)
    table = config.options.get("history")
    table = dict(table) if isinstance(table, Mapping) else {}
    table.setdefault("months", months)
    table.setdefault("max_commits", max_commits)
    config.options["history"] = table
    return config


def _severity_counts(findings: list[Finding]) -> dict[str, int]:
    counts = dict.fromkeys(SEVERITIES, 0)
    for finding in findings:
        counts[finding.severity] = counts.get(finding.severity, 0) + 1
    counts["total"] = len(findings)
    return counts


def _record_findings(run: AnalysisRun, result: AnalysisResult) -> dict[str, Any]:
    return dict(findings_store().record_run(run=run, result=result) or {})


def _effective_score(
    repository: Repository, result: AnalysisResult, score_options: ScoreOptions
) -> tuple[HealthScore, list[Finding]]:
    """The health score without the findings triaged as accepted or false positive (they stay
    listed but stop counting), and the findings that count."""
    effective = findings_store().effective_for_score(repository=repository, findings=result.findings)
    if len(effective) == len(result.findings):
        return result.score, effective
    return compute_score(effective, result.files, result.metrics, score_options), effective


def _complete(run: AnalysisRun, result: AnalysisResult, *, score_options: ScoreOptions = None, engine_seconds: float) -> None:
    t = time.perf_counter()
    facts_blob = facts_dump(result)
    report_blob = zlib.compress(render_json(result).encode("utf-8"), 6)
    serialise_seconds = time.perf_counter() - t
    with transaction.atomic():
        locked = AnalysisRun.objects.select_for_update().select_related("organization", "repository").filter(pk=run.pk).first()
        if locked is None or locked.status != RunStatus.RUNNING:
            raise _RunAborted
        repo = Repository.objects.select_for_update().get(pk=locked.repository_id)
        locked.repository = repo
        # A pull-request run describes a branch that is not merged: it must not move the
        # repository's findings lifecycle, latest facts, score or trend (the GitHub App compares
        # it with its base run from the stored report).
        tracks_repository = locked.trigger != RunTrigger.PULL_REQUEST
        t = time.perf_counter()
        recorded = _record_findings(locked, result) if tracks_repository else {}
        store = history_store()
        if store is not None and tracks_repository:
            store.record_run(run=locked, result=result)
        score, counted = _effective_score(repo, result, score_options)
        record_seconds = time.perf_counter() - t
        previous_score, previous_grade = repo.last_score, repo.last_grade
        now = timezone.now()
        locked.status = RunStatus.COMPLETED
        locked.finished_at = now
        locked.heartbeat_at = now
        locked.progress_percent = 100
        locked.stage = "completed"
        locked.message = f"Analysis complete: {len(result.findings)} findings"
        locked.commit_sha = result.commit or locked.commit_sha
        locked.files_analyzed = result.files_analyzed
        locked.lines_analyzed = result.lines_analyzed
        locked.health_score = round(float(score.overall), 2)
        locked.grade = score.grade
        locked.pillar_scores = {k: round(float(v), 2) for k, v in score.pillars.items()}
        locked.findings_counts = {**_severity_counts(counted), "suppressed": len(result.findings) - len(counted)}
        locked.metrics = {
            **{k: v for k, v in result.metrics.items() if k != "engine"},
            "engine": result.metrics.get("engine"),
            "skipped": result.skipped,
            "findings": recorded,
            "facts_bytes": len(facts_blob),
            "report_bytes": len(report_blob),
        }
        locked.warnings = list(result.warnings)
        locked.timings = {
            **{k: v for k, v in result.timings.items() if not k.startswith(("detector.", "parse.cpu."))},
            "platform.serialise": round(serialise_seconds, 4),
            "platform.record_findings": round(record_seconds, 4),
            "platform.total": round(engine_seconds + serialise_seconds + record_seconds, 4),
        }
        locked.save()
        AnalysisReport.objects.create(run=locked, size_bytes=len(report_blob), data=report_blob)
        if tracks_repository:
            # Only the latest facts are useful (the next run starts from them).
            AnalysisFacts.objects.filter(repository=repo).delete()
            AnalysisFacts.objects.create(
                run=locked,
                repository=repo,
                engine_version=engine_version,
                file_count=len(result.files),
                size_bytes=len(facts_blob),
                data=facts_blob,
            )
            repo.last_commit_sha = locked.commit_sha
            repo.last_score = locked.health_score
            repo.last_grade = locked.grade
            repo.last_analyzed_at = now
            repo.save(update_fields=["last_commit_sha", "last_score", "last_grade", "last_analyzed_at", "updated_at"])
        _notify(locked)
        data = {
            **_event_data(locked),
            "health_score": locked.health_score,
            "grade": locked.grade,
            "pillar_scores": locked.pillar_scores,
            "findings_counts": locked.findings_counts,
            "files_analyzed": locked.files_analyzed,
            "lines_analyzed": locked.lines_analyzed,
            "duration_seconds": locked.duration_seconds,
        }
        webhook_emit_on_commit(organization=locked.organization, event_type=ANALYSIS_COMPLETED, data=data, repository=repo)
        if tracks_repository and previous_score is not None and round(previous_score, 2) != locked.health_score:
            webhook_emit_on_commit(
                organization=locked.organization,
                event_type=HEALTH_SCORE_CHANGED,
                repository=repo,
                data={
                    "analysis_id": str(locked.pk),
                    "repository": repo.brief(),
                    "previous": previous_score,
                    "current": locked.health_score,
                    "delta": round(locked.health_score - previous_score, 2),
                    "previous_grade": previous_grade,
                    "grade": locked.grade,
                },
            )
        run_id = str(locked.pk)
        for hook in post_analysis_hooks(pull_request=not tracks_repository):
            cluster = (settings.REPOTOIRE_BACKGROUND_CLUSTER or None) if hook.background else None
            transaction.on_commit(partial(async_task, hook.task, run_id, group="post-analysis", cluster=cluster), robust=True)


def _fail(run: AnalysisRun, code: str, message: str, *, from_status: str = RunStatus.RUNNING) -> bool:
    """Mark the run failed (only if it is still in ``from_status``); True when it was."""
    for attempt in range(2):
        try:
            with transaction.atomic():
                now = timezone.now()
                failed = AnalysisRun.objects.filter(pk=run.pk, status=from_status).update(
                    status=RunStatus.FAILED,
                    finished_at=now,
                    heartbeat_at=now,
                    stage="failed",
                    message=message[:500],
                    error_code=code,
                    error_message=message,
                )
                if not failed:
                    return False
                run.refresh_from_db()
                _notify(run)
                webhook_emit_on_commit(
                    organization=run.organization,
                    event_type=ANALYSIS_FAILED,
                    data={**_event_data(run), "error_code": code, "error_message": message},
                    repository=run.repository,
                )
            return True
        except OperationalError:
            # An interrupted statement can leave the connection unusable: reconnect once.
            if attempt:
                raise
            connection.close()
    return False
