"""Queueing runs and handing them to workers within the organisation's concurrency limit;
cancelling them."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django_q.tasks import async_task

from accounts.models import Organization, User
from analysis.models import (
    ACTIVE_STATUSES,
    AnalysisRun,
    Repository,
    RunStatus,
    RunTrigger,
)
from analysis.services.events import _notify
from analysis.services.repositories import _clean_branch
from billing.entitlements import effective_plan
from repotoire.api.exceptions import Conflict, NotFound, ValidationFailed
from repotoire.api.ratelimit import check_analysis_rate

logger = logging.getLogger("repotoire.analysis")


EXECUTE_TASK = "analysis.tasks.analysis_execute_task"


_SHA = re.compile(r"^[0-9a-f]{7,40}$")


# django-q2 interrupts the task this long after the run's own (cooperative) deadline.
_HARD_TIMEOUT_GRACE = 60


def _start_next_on_commit(organization: Organization) -> None:
    transaction.on_commit(lambda: analysis_start_next_queued(organization=organization))


# --- triggering and scheduling -------------------------------------------------------------------
def analysis_trigger(
    *,
    organization: Organization,
    repository_id: UUID | str,
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


def _lock_org_slots(organization_id: UUID | str) -> None:
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
