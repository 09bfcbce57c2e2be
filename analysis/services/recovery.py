"""Recovering runs whose worker died (the scheduled sweeper)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization
from analysis.models import (
    AnalysisRun,
    RunErrorCode,
    RunStatus,
)
from analysis.services.scheduling import analysis_start_next_queued
from analysis.services.worker import _fail, _requeue

logger = logging.getLogger("repotoire.analysis")


SWEEP_TASK = "analysis.tasks.analysis_sweep_task"


def analysis_sweep_stale(*, now: datetime | None = None) -> dict[str, int]:
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
                still_stale = Q(heartbeat_at__lt=stale_before) | Q(heartbeat_at__isnull=True)
                if _requeue(run, "The worker stopped responding; re-queued", only=still_stale):
                    out["requeued"] += 1
        elif _fail(run, RunErrorCode.WORKER_LOST, "The worker running this analysis stopped responding"):
            out["failed"] += 1

    org_ids = set(AnalysisRun.objects.filter(status=RunStatus.QUEUED).values_list("organization_id", flat=True).distinct())
    for org in Organization.objects.filter(pk__in=org_ids):
        analysis_start_next_queued(organization=org)
    return out
