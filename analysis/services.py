"""Repositories and analysis runs: every write and side effect of the analysis app.

A run moves queued → running → completed | failed | cancelled. ``analysis_trigger`` creates it
queued; ``analysis_start_next_queued`` enqueues the oldest queued runs of an organisation while
it has free concurrency slots; the worker task calls ``analysis_execute``, which claims the run
with a conditional update (under a per-organisation advisory lock, so the plan's concurrency
limit holds across workers), fetches the code, runs the engine with a progress callback that
updates the row and NOTIFYs SSE listeners, and persists the results. ``analysis_sweep_stale``
(scheduled) recovers runs whose worker died.
"""

from __future__ import annotations

import gc
import json
import logging
import multiprocessing
import pickle
import re
import shutil
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django_q.exceptions import TimeoutException
from django_q.tasks import async_task

from accounts.models import Organization, User
from analysis.models import (
    ACTIVE_STATUSES,
    AnalysisFacts,
    AnalysisReport,
    AnalysisRun,
    Provider,
    Repository,
    RunErrorCode,
    RunStatus,
    RunTrigger,
)
from analysis.sources import CloneUrlError, normalize_clone_url
from billing.entitlements import effective_plan
from repotoire.api.exceptions import Conflict, NotFound, PlanLimitExceeded, ValidationFailed
from repotoire.api.ratelimit import check_analysis_rate

logger = logging.getLogger("repotoire.analysis")

NOTIFY_CHANNEL = "analysis_progress"
EXECUTE_TASK = "analysis.tasks.analysis_execute_task"
SWEEP_TASK = "analysis.tasks.analysis_sweep_task"
SEVERITIES = ("critical", "high", "medium", "low", "info")

_SHA = re.compile(r"^[0-9a-f]{7,40}$")
_BAD_REF = re.compile(r"(\.\.|[\s~^:?*\[\\]|@\{|//|^[-/.]|[/.]$|\.lock$)")
# Share of the progress bar before the engine starts (fetch) and after it ends (persist).
_FETCH_SPAN = 5
_PERSIST_AT = 96
# django-q2 interrupts the task this long after the run's own (cooperative) deadline.
_HARD_TIMEOUT_GRACE = 60


# --- repositories ------------------------------------------------------------------------------
def _clean_url(clone_url: str) -> tuple[str, str]:
    try:
        return normalize_clone_url(clone_url)
    except CloneUrlError as exc:
        raise ValidationFailed(str(exc), fields={"clone_url": [str(exc)]}) from exc


def _clean_branch(branch: str, field: str = "branch") -> str:
    branch = (branch or "").strip()
    if branch and (len(branch) > 255 or _BAD_REF.search(branch)):
        raise ValidationFailed(f"{field}: not a valid git branch name", fields={field: ["Not a valid git branch name"]})
    return branch


def repository_create(*, organization: Organization, name: str, clone_url: str, default_branch: str = "") -> Repository:
    """Register a repository; 409 when the organisation already has one with this name, 402
    when the plan's repository limit is reached."""
    url, provider = _clean_url(clone_url)
    default_branch = _clean_branch(default_branch, "default_branch")
    limit = effective_plan(organization).repositories
    try:
        with transaction.atomic():
            # The organisation row lock makes the limit exact under concurrent creates.
            Organization.objects.select_for_update().filter(pk=organization.pk).exists()
            if limit is not None and Repository.objects.for_org(organization).count() >= limit:
                raise PlanLimitExceeded(f"Your plan allows {limit} repositories")
            return Repository.objects.create(
                organization=organization, name=name, clone_url=url, provider=provider, default_branch=default_branch
            )
    except IntegrityError as exc:
        raise Conflict(f"A repository named {name!r} already exists") from exc


def repository_update(
    *,
    repository: Repository,
    name: str | None = None,
    clone_url: str | None = None,
    default_branch: str | None = None,
    is_active: bool | None = None,
) -> Repository:
    """Change a repository's settings (only the fields given)."""
    changed: list[str] = []
    if name is not None and name != repository.name:
        repository.name = name
        changed.append("name")
    if clone_url is not None:
        url, provider = _clean_url(clone_url)
        if url != repository.clone_url:
            repository.clone_url, repository.provider = url, provider
            changed += ["clone_url", "provider"]
    if default_branch is not None:
        repository.default_branch = _clean_branch(default_branch, "default_branch")
        changed.append("default_branch")
    if is_active is not None:
        repository.is_active = is_active
        changed.append("is_active")
    if not changed:
        return repository
    try:
        with transaction.atomic():
            repository.save(update_fields=[*changed, "updated_at"])
    except IntegrityError as exc:
        raise Conflict(f"A repository named {repository.name!r} already exists") from exc
    return repository


def repository_delete(*, repository: Repository) -> None:
    """Delete a repository with its runs (and, by cascade, its findings). Refused while an
    analysis of it is running: cancel it first."""
    with transaction.atomic():
        if AnalysisRun.objects.filter(repository=repository, status=RunStatus.RUNNING).exists():
            raise Conflict("An analysis of this repository is running; cancel it first")
        workspace = _workspace(repository)
        repository.delete()
        transaction.on_commit(lambda: shutil.rmtree(workspace, ignore_errors=True))


# --- notifications and events --------------------------------------------------------------------
def progress_payload(run: AnalysisRun) -> dict[str, Any]:
    return {**run.progress_payload(), "timestamp": timezone.now().isoformat()}


def _notify(run: AnalysisRun) -> None:
    """NOTIFY SSE listeners of ``run``'s state; inside a transaction it is delivered at commit."""
    payload = json.dumps(progress_payload(run))
    with connection.cursor() as cur:
        cur.execute("SELECT pg_notify(%s, %s)", [NOTIFY_CHANNEL, payload])


def _emit(run: AnalysisRun, event_type: str, data: dict[str, Any]) -> None:
    """Customer webhook event, after commit; a webhook problem never affects the run."""

    def send() -> None:
        try:
            from webhooks.services import webhook_emit

            webhook_emit(organization=run.organization, event_type=event_type, data=data, repository=run.repository)
        except Exception:  # noqa: BLE001 - webhooks are best effort from the run's point of view
            logger.exception("Could not emit %s for analysis %s", event_type, run.pk)

    transaction.on_commit(send)


def _event_data(run: AnalysisRun) -> dict[str, Any]:
    return {
        "analysis_id": str(run.pk),
        "repository": {"id": str(run.repository_id), "name": run.repository.name},
        "status": run.status,
        "trigger": run.trigger,
        "branch": run.branch,
        "commit_sha": run.commit_sha,
        "pull_request_number": run.pull_request_number,
    }


def _start_next_on_commit(organization: Organization) -> None:
    transaction.on_commit(lambda: analysis_start_next_queued(organization=organization))


# --- triggering and scheduling -------------------------------------------------------------------
def analysis_trigger(
    *,
    organization: Organization,
    repository_id: Any,
    commit_sha: str = "",
    branch: str = "",
    trigger: str = RunTrigger.API,
    created_by: User | None = None,
    pull_request_number: int | None = None,
) -> AnalysisRun:
    """Queue an analysis of one of ``organization``'s repositories.

    404 for a repository of another organisation, 409 when one is already queued or running for
    it, 429 when the plan's analyses per hour are spent (counted only when a run is created).
    The run starts at once when the organisation has a free concurrency slot, later otherwise.
    """
    commit_sha = (commit_sha or "").strip().lower()
    if commit_sha and not _SHA.match(commit_sha):
        raise ValidationFailed("commit_sha: expected 7 to 40 hex digits", fields={"commit_sha": ["Expected 7 to 40 hex digits"]})
    branch = _clean_branch(branch)
    with transaction.atomic():
        # The repository row lock serialises triggers of one repository, so the 409 check, the
        # quota and the insert agree (the partial unique index is the last line of defence).
        repo = Repository.objects.for_org(organization).select_for_update().filter(pk=repository_id).first()
        if repo is None:
            raise NotFound("Repository not found")
        if not repo.is_active:
            raise Conflict("This repository is inactive; activate it to analyse it")
        active = AnalysisRun.objects.filter(repository=repo, status__in=ACTIVE_STATUSES).only("id", "status").first()
        if active is not None:
            raise Conflict(f"An analysis of this repository is already {active.status}", extra={"analysis_id": str(active.pk)})
        # The quota counter lives in the same database transaction (PostgreSQL cache), so a
        # refused trigger does not spend it.
        check_analysis_rate(organization)
        run = AnalysisRun.objects.create(
            organization=organization,
            repository=repo,
            trigger=trigger,
            branch=branch or repo.default_branch,
            commit_sha=commit_sha,
            created_by=created_by if created_by is not None and created_by.is_authenticated else None,
            pull_request_number=pull_request_number,
            stage="queued",
            message="Waiting for a worker",
        )
        _start_next_on_commit(organization)
    return run


def analysis_rerun(*, run: AnalysisRun, created_by: User | None = None) -> AnalysisRun:
    """Queue a new analysis of ``run``'s repository at the same commit (or branch)."""
    return analysis_trigger(
        organization=run.organization,
        repository_id=run.repository_id,
        commit_sha=run.commit_sha,
        branch=run.branch,
        trigger=RunTrigger.RERUN,
        created_by=created_by,
        pull_request_number=run.pull_request_number,
    )


def concurrency_usage(organization: Organization) -> dict[str, Any]:
    plan = effective_plan(organization)
    current = AnalysisRun.objects.for_org(organization).running().count()
    queued = AnalysisRun.objects.for_org(organization).filter(status=RunStatus.QUEUED).count()
    return {"current": current, "limit": plan.concurrent_analyses, "queued": queued, "plan": plan.id}


def _lock_org_slots(organization_id: Any) -> None:
    """Serialise dispatching and claiming of one organisation's runs (transaction-scoped)."""
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext('analysis.claim'), hashtext(%s))", [str(organization_id)])


def analysis_start_next_queued(*, organization: Organization) -> list[str]:
    """Enqueue the oldest queued runs of ``organization`` that fit in its free concurrency slots.

    A run handed to the queue less than ``REPOTOIRE_ANALYSIS_REDISPATCH_SECONDS`` ago counts as
    taking a slot and is not sent again (no pile of duplicate messages while workers are busy);
    an older one is sent again (a lost message). The task's claim re-checks the limit, and a run
    that gets no slot goes back to waiting for the next finished run (or the sweeper).
    """
    limit = effective_plan(organization).concurrent_analyses
    now = timezone.now()
    recent = now - timedelta(seconds=settings.REPOTOIRE_ANALYSIS_REDISPATCH_SECONDS)
    with transaction.atomic():
        _lock_org_slots(organization.pk)
        runs = AnalysisRun.objects.for_org(organization)
        busy = runs.filter(Q(status=RunStatus.RUNNING) | Q(status=RunStatus.QUEUED, dispatched_at__gte=recent)).count()
        free = limit - busy
        if free <= 0:
            return []
        ids = list(
            runs.filter(status=RunStatus.QUEUED)
            .filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=recent))
            .order_by("queued_at")
            .values_list("id", flat=True)[:free]
        )
        AnalysisRun.objects.filter(pk__in=ids).update(dispatched_at=now)
    for pk in ids:
        async_task(
            EXECUTE_TASK,
            str(pk),
            task_name=f"analysis-{pk}",
            group="analysis",
            timeout=int(settings.REPOTOIRE_ANALYSIS_TIMEOUT_SECONDS) + _HARD_TIMEOUT_GRACE,
        )
    return [str(pk) for pk in ids]


def _claim(run_id: Any) -> AnalysisRun | None:
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
        _emit(run, "analysis.started", _event_data(run))
    return run


# --- execution ------------------------------------------------------------------------------------
class _RunFailed(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _RunAborted(Exception):
    """The run is no longer ours (cancelled, swept, deleted): stop and discard the work."""


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
    sweeper can tell a slow stage from a dead worker."""

    def __init__(self, run_id: Any, interval: float) -> None:
        super().__init__(name=f"analysis-heartbeat-{run_id}", daemon=True)
        self.run_id = run_id
        self.interval = interval
        self.stopped = threading.Event()
        self.lost = False

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.interval):
                alive = AnalysisRun.objects.filter(pk=self.run_id, status=RunStatus.RUNNING).update(heartbeat_at=timezone.now())
                if not alive:
                    self.lost = True
                    return
        except Exception:  # noqa: BLE001 - a heartbeat failure must not kill the run; the sweeper decides
            logger.exception("Heartbeat of analysis %s failed", self.run_id)
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=5)


def _engine_processes() -> int | None:
    # django-q2 workers are daemonic by default and daemonic processes cannot have children.
    if multiprocessing.current_process().daemon:
        return 1
    configured = int(settings.REPOTOIRE_ANALYSIS_PROCESSES)
    return configured if configured > 0 else None


def _checkout(run: AnalysisRun, timeout: float) -> Any:
    from analysis.engine import source

    repo = run.repository
    ref = run.commit_sha or run.branch or None
    url = repo.clone_url
    if repo.provider == Provider.LOCAL:
        if not settings.REPOTOIRE_ALLOW_LOCAL_REPOS:
            raise _RunFailed(RunErrorCode.CLONE_FAILED, "Local repositories are disabled on this server")
        path = Path(url)
        if not path.is_dir():
            raise _RunFailed(RunErrorCode.CLONE_FAILED, "The local repository directory does not exist")
        if not (path / ".git").exists():
            if ref:
                raise _RunFailed(RunErrorCode.CLONE_FAILED, "A commit or branch needs a git repository")
            return source.Checkout(path=str(path), commit=None)
        url = f"file://{path}"
    headers = repository_auth_headers(repo) if repo.provider != Provider.LOCAL else []
    workspace = _workspace(repo)
    try:
        checkout = source.fetch(url, ref, workspace=workspace, timeout=max(timeout, 1.0), http_headers=headers)
    except source.SourceError as exc:
        raise _RunFailed(RunErrorCode.CLONE_FAILED, source.redact(str(exc))[:2000]) from exc
    # The engine keys its clone cache by URL: a repository whose clone URL was edited leaves its
    # old clone behind. Only one run of a repository is active, so the others can go.
    current = Path(checkout.path).resolve().parent
    for sibling in workspace.iterdir():
        if sibling.is_dir() and sibling.resolve() != current:
            shutil.rmtree(sibling, ignore_errors=True)
    return checkout


def _workspace(repository: Repository) -> Path:
    return Path(settings.REPOTOIRE_WORKSPACE_DIR) / str(repository.pk)


def repository_clone_dir(repository: Repository) -> Path:
    """Where analyses keep their git clone of ``repository`` (it may not exist yet). A local
    directory is cloned too when it is a git repository (it is analysed in place otherwise)."""
    from analysis.engine import source

    url = f"file://{repository.clone_url}" if repository.provider == Provider.LOCAL else repository.clone_url
    return source.clone_dir(url, _workspace(repository))


def repository_auth_headers(repo: Repository) -> list[str]:
    """HTTP headers carrying a fresh GitHub App installation token, for repositories linked
    through the GitHub App ([] otherwise: public repositories still clone)."""
    try:
        from github_app.services import github_clone_auth_headers
    except ImportError:
        return []
    try:
        return github_clone_auth_headers(repository=repo)
    except Exception:  # noqa: BLE001 - fall back to no header (public repositories still clone)
        logger.warning("No GitHub installation token for repository %s", repo.pk, exc_info=True)
        return []


def analysis_previous_result(*, repository: Repository) -> Any:
    """The previous completed run's per-file facts as an engine ``AnalysisResult`` (for
    incremental analysis), or None."""
    from analysis.engine import AnalysisResult, HealthScore

    row = AnalysisFacts.objects.filter(repository=repository).order_by("-created_at").first()
    if row is None:
        return None
    try:
        data = facts_load(bytes(row.data))
    except Exception:  # noqa: BLE001 - unreadable facts only cost a full analysis
        logger.warning("Unreadable facts of run %s; analysing from scratch", row.run_id)
        return None
    return AnalysisResult(
        root="",
        commit=None,
        files_analyzed=0,
        lines_analyzed=0,
        findings=[],
        score=HealthScore(overall=0.0, grade="F"),
        files=data["files"],
        metrics={"engine": data["engine"]},
    )


@contextmanager
def _gc_paused() -> Iterator[None]:
    # Millions of small acyclic fact objects: the cyclic GC only slows (un)pickling (measured
    # 3x on Django's facts).
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def facts_dump(result: Any) -> bytes:
    """Compressed per-file facts of a result, as stored for the next incremental run."""
    with _gc_paused():
        raw = pickle.dumps({"engine": result.metrics.get("engine"), "files": result.files}, protocol=5)
    return zlib.compress(raw, 3)


def facts_load(blob: bytes) -> dict[str, Any]:
    with _gc_paused():
        return pickle.loads(zlib.decompress(blob))  # noqa: S301 - written by our own worker only


def analysis_execute(*, run_id: Any) -> AnalysisRun | None:
    """Claim the queued run ``run_id`` and analyse it. Returns None when the run could not be
    claimed (already taken, cancelled, or no free concurrency slot: it stays queued)."""
    run = _claim(run_id)
    if run is None:
        return None
    timeout = float(settings.REPOTOIRE_ANALYSIS_TIMEOUT_SECONDS)
    writer = _ProgressWriter(run, timeout)
    heartbeat = _Heartbeat(run.pk, float(settings.REPOTOIRE_ANALYSIS_HEARTBEAT_SECONDS))
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
    except Exception:
        logger.exception("Analysis %s failed", run.pk)
        _fail(run, RunErrorCode.INTERNAL, "The analysis failed because of an internal error")
    finally:
        analysis_start_next_queued(organization=run.organization)
    run.refresh_from_db()
    return run


def _run_engine(run: AnalysisRun, writer: _ProgressWriter, timeout: float) -> tuple[Any, Any]:
    from analysis.engine import ConfigError, EngineConfig, SourceError, analyze

    writer("fetch", 1, "Fetching the code")
    checkout = _checkout(run, timeout)
    writer("fetch", _FETCH_SPAN, f"Checked out {checkout.commit[:12]}" if checkout.commit else "Source ready")
    previous = analysis_previous_result(repository=run.repository)
    try:
        result = analyze(checkout.path, progress=writer.engine, previous=previous, workers=_engine_processes())
        score_options = EngineConfig.load(checkout.path).options.get("score")
    except ConfigError as exc:
        raise _RunFailed(RunErrorCode.CONFIG_INVALID, f"repotoire.toml: {exc}"[:2000]) from exc
    except SourceError as exc:
        raise _RunFailed(RunErrorCode.CLONE_FAILED, str(exc)[:2000]) from exc
    if result.files_analyzed == 0:
        raise _RunFailed(RunErrorCode.NO_SOURCE_FILES, "No Python source files were found at this commit")
    if checkout.commit and not result.commit:
        result.commit = checkout.commit
    old_files = previous.files if previous is not None else {}
    result.metrics["reused_files"] = sum(1 for path, facts in result.files.items() if old_files.get(path) is facts)
    return result, score_options


def _severity_counts(findings: list[Any]) -> dict[str, int]:
    counts = dict.fromkeys(SEVERITIES, 0)
    for finding in findings:
        counts[finding.severity] = counts.get(finding.severity, 0) + 1
    counts["total"] = len(findings)
    return counts


def _record_findings(run: AnalysisRun, result: Any) -> dict[str, Any]:
    try:
        from findings.services import findings_record_run
    except ImportError:
        logger.warning("findings.services.findings_record_run is not available; findings of %s not stored", run.pk)
        return {}
    return dict(findings_record_run(run=run, result=result) or {})


def _effective_score(repository: Repository, result: Any, score_options: Any) -> tuple[Any, list[Any]]:
    """The health score without the findings triaged as accepted or false positive (they stay
    listed but stop counting), and the findings that count."""
    try:
        from findings.services import findings_effective_for_score
    except ImportError:
        return result.score, list(result.findings)
    effective = findings_effective_for_score(repository=repository, findings=result.findings)
    if len(effective) == len(result.findings):
        return result.score, effective
    from analysis.engine.scoring import compute_score

    return compute_score(effective, result.files, result.metrics, score_options), effective


def _complete(run: AnalysisRun, result: Any, *, score_options: Any = None, engine_seconds: float) -> None:
    from analysis.engine import __version__ as engine_version
    from analysis.engine.reports import render_json

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
        _emit(locked, "analysis.completed", data)
        if tracks_repository and previous_score is not None and round(previous_score, 2) != locked.health_score:
            _emit(
                locked,
                "health_score.changed",
                {
                    "analysis_id": str(locked.pk),
                    "repository": {"id": str(repo.pk), "name": repo.name},
                    "previous": previous_score,
                    "current": locked.health_score,
                    "delta": round(locked.health_score - previous_score, 2),
                    "previous_grade": previous_grade,
                    "grade": locked.grade,
                },
            )
        run_id = str(locked.pk)
        hooks = settings.REPOTOIRE_POST_ANALYSIS_TASKS if tracks_repository else settings.REPOTOIRE_POST_PR_ANALYSIS_TASKS
        for task_path in hooks:
            # bulk hooks (indexing, automatic fixes) on the background cluster's queue
            background = task_path in settings.REPOTOIRE_BACKGROUND_HOOKS
            cluster = (settings.REPOTOIRE_BACKGROUND_CLUSTER or None) if background else None
            transaction.on_commit(
                lambda task_path=task_path, cluster=cluster: async_task(
                    task_path, run_id, group="post-analysis", cluster=cluster
                ),
                robust=True,
            )


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
                _emit(run, "analysis.failed", {**_event_data(run), "error_code": code, "error_message": message})
            return True
        except OperationalError:
            # An interrupted statement can leave the connection unusable: reconnect once.
            if attempt:
                raise
            connection.close()
    return False


# --- cancellation and recovery -------------------------------------------------------------------
def analysis_cancel(*, run: AnalysisRun) -> AnalysisRun:
    """Cancel a queued or running run (409 when it already finished). A running engine stops at
    its next progress report and its results are discarded."""
    with transaction.atomic():
        now = timezone.now()
        cancelled = AnalysisRun.objects.filter(pk=run.pk, status__in=ACTIVE_STATUSES).update(
            status=RunStatus.CANCELLED, finished_at=now, stage="cancelled", message="Cancelled"
        )
        run.refresh_from_db()
        if not cancelled:
            raise Conflict(f"This analysis is already {run.status}")
        _notify(run)
        _start_next_on_commit(run.organization)
    return run


def analysis_sweep_stale(*, now: Any = None) -> dict[str, int]:
    """Recover runs whose worker died: a running run with a heartbeat older than
    ``REPOTOIRE_ANALYSIS_STALE_SECONDS`` is re-queued (until it has been claimed
    ``REPOTOIRE_ANALYSIS_MAX_ATTEMPTS`` times) or failed with WORKER_LOST; one running longer than
    ``REPOTOIRE_ANALYSIS_TIMEOUT_SECONDS`` is failed with TIMEOUT. Then every organisation with
    queued runs gets its free slots filled (which also recovers lost queue messages)."""
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.REPOTOIRE_ANALYSIS_STALE_SECONDS)
    timeout_before = now - timedelta(seconds=settings.REPOTOIRE_ANALYSIS_TIMEOUT_SECONDS)
    out = {"timed_out": 0, "requeued": 0, "failed": 0}

    for run in AnalysisRun.objects.running().filter(started_at__lt=timeout_before).select_related("organization", "repository"):
        if _fail(run, RunErrorCode.TIMEOUT, "The analysis exceeded its time limit"):
            out["timed_out"] += 1

    stale = AnalysisRun.objects.running().filter(
        Q(heartbeat_at__lt=stale_before) | Q(heartbeat_at__isnull=True, started_at__lt=stale_before)
    )
    for run in stale.select_related("organization", "repository"):
        if run.attempts < settings.REPOTOIRE_ANALYSIS_MAX_ATTEMPTS:
            with transaction.atomic():
                requeued = (
                    AnalysisRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING)
                    .filter(Q(heartbeat_at__lt=stale_before) | Q(heartbeat_at__isnull=True))
                    .update(
                        status=RunStatus.QUEUED,
                        started_at=None,
                        heartbeat_at=None,
                        dispatched_at=None,
                        progress_percent=0,
                        stage="queued",
                        message="The worker stopped responding; re-queued",
                    )
                )
                if requeued:
                    run.refresh_from_db()
                    _notify(run)
                    out["requeued"] += 1
        elif _fail(run, RunErrorCode.WORKER_LOST, "The worker running this analysis stopped responding"):
            out["failed"] += 1

    org_ids = set(AnalysisRun.objects.filter(status=RunStatus.QUEUED).values_list("organization_id", flat=True).distinct())
    for org in Organization.objects.filter(pk__in=org_ids):
        analysis_start_next_queued(organization=org)
    return out


def report_result(run: AnalysisRun) -> Any:
    """The engine result of a completed run, rebuilt from its stored JSON report."""
    from analysis.engine.reports import load_json_report

    stored = AnalysisReport.objects.filter(run=run).first()
    if stored is None:
        raise NotFound("No report is stored for this analysis")
    return load_json_report(zlib.decompress(bytes(stored.data)).decode("utf-8"))
