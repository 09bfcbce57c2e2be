"""A real worker killed with SIGKILL in the middle of an analysis leaves no run stuck."""

from __future__ import annotations

import os
import signal
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from analysis import services
from analysis.models import AnalysisRun
from repotoire.run import descendants

pytestmark = [pytest.mark.slow]


def test_sigkilled_worker_run_is_requeued_by_the_sweeper_and_completes(worker_env, qcluster, member, org, big_repo, settings):
    repo = services.repository_create(organization=org, name="big", clone_url=str(big_repo))
    run_id = member.client.post("/api/v1/analysis/trigger", {"repository_id": str(repo.pk)}, format="json").json()["id"]

    deadline = time.monotonic() + 60
    while AnalysisRun.objects.get(pk=run_id).status != "running":
        assert time.monotonic() < deadline, "the worker never claimed the run"
        time.sleep(0.05)
    for pid in [*descendants(qcluster.pid), qcluster.pid]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    qcluster.wait(timeout=10)

    run = AnalysisRun.objects.get(pk=run_id)
    assert run.status == "running"  # the worker died without a word
    assert run.progress_percent < 100

    # Nothing happens while the heartbeat is recent ...
    assert services.analysis_sweep_stale()["requeued"] == 0
    # ... and once it is older than the stale limit, the run goes back to the queue.
    later = timezone.now() + timedelta(seconds=settings.REPOTOIRE_ANALYSIS_STALE_SECONDS + 1)
    assert services.analysis_sweep_stale(now=later)["requeued"] == 1
    run.refresh_from_db()
    assert run.status == "queued"
    assert run.attempts == 1

    settings.REPOTOIRE_ANALYSIS_PROCESSES = 1
    finished = services.analysis_execute(run_id=run_id)
    assert finished is not None
    assert finished.status == "completed", finished.error_message
    assert finished.attempts == 2
    assert finished.files_analyzed == 1501
