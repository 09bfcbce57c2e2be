"""Recovery of runs whose worker died or that ran out of time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import OrmQ

from analysis import services
from analysis.models import AnalysisRun
from analysis.services import worker
from tests.factories import AnalysisRunFactory, RepositoryFactory

pytestmark = pytest.mark.django_db


def running_run(org, *, heartbeat_age: float, attempts: int = 1, started_age: float | None = None) -> AnalysisRun:
    now = timezone.now()
    return AnalysisRunFactory(
        repository=RepositoryFactory(organization=org),
        status="running",
        attempts=attempts,
        started_at=now - timedelta(seconds=started_age if started_age is not None else heartbeat_age),
        heartbeat_at=now - timedelta(seconds=heartbeat_age),
        progress_percent=40,
        stage="parse",
    )


def test_run_with_stale_heartbeat_is_requeued_and_enqueued(org, settings):
    settings.REPOTOIRE_ANALYSIS_STALE_SECONDS = 60
    run = running_run(org, heartbeat_age=120)
    assert services.analysis_sweep_stale() == {"timed_out": 0, "requeued": 1, "failed": 0}
    run.refresh_from_db()
    assert run.status == "queued"
    assert run.progress_percent == 0
    assert run.started_at is None
    assert "re-queued" in run.message
    assert OrmQ.objects.count() == 1  # handed to a worker again


def test_run_with_stale_heartbeat_is_failed_after_max_attempts(org, settings):
    settings.REPOTOIRE_ANALYSIS_STALE_SECONDS = 60
    settings.REPOTOIRE_ANALYSIS_MAX_ATTEMPTS = 2
    run = running_run(org, heartbeat_age=120, attempts=2)
    assert services.analysis_sweep_stale()["failed"] == 1
    run.refresh_from_db()
    assert run.status == "failed"
    assert run.error_code == "WORKER_LOST"
    assert run.finished_at is not None


def test_run_past_its_timeout_is_failed_with_timeout_even_with_a_live_heartbeat(org, settings):
    settings.REPOTOIRE_ANALYSIS_TIMEOUT_SECONDS = 600
    run = running_run(org, heartbeat_age=1, started_age=700)
    assert services.analysis_sweep_stale()["timed_out"] == 1
    run.refresh_from_db()
    assert run.status == "failed"
    assert run.error_code == "TIMEOUT"


def test_healthy_running_run_is_left_alone(org, settings):
    settings.REPOTOIRE_ANALYSIS_STALE_SECONDS = 60
    run = running_run(org, heartbeat_age=5)
    assert services.analysis_sweep_stale() == {"timed_out": 0, "requeued": 0, "failed": 0}
    run.refresh_from_db()
    assert run.status == "running"


def test_requeued_run_completes_on_the_next_worker(org, settings, sample_repo, q_sync, django_capture_on_commit_callbacks):
    settings.REPOTOIRE_ANALYSIS_STALE_SECONDS = 60
    repo = services.repository_create(organization=org, name="s", clone_url=str(sample_repo))
    now = timezone.now()
    run = AnalysisRunFactory(
        repository=repo,
        status="running",
        attempts=1,
        started_at=now - timedelta(minutes=5),
        heartbeat_at=now - timedelta(minutes=5),
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.analysis_sweep_stale()
    run.refresh_from_db()
    assert run.status == "completed"
    assert run.attempts == 2
    assert run.findings_counts["total"] == 3


def test_sweeper_starts_queued_runs_whose_queue_message_was_lost(org, settings):
    settings.REPOTOIRE_ANALYSIS_REDISPATCH_SECONDS = 600
    now = timezone.now()
    never = AnalysisRunFactory(repository=RepositoryFactory(organization=org))
    lost = AnalysisRunFactory(repository=RepositoryFactory(organization=org), dispatched_at=now - timedelta(minutes=20))
    recent = AnalysisRunFactory(repository=RepositoryFactory(organization=org), dispatched_at=now - timedelta(minutes=1))
    services.analysis_sweep_stale()
    sent = {task.task["args"][0] for task in OrmQ.objects.all()}
    assert sent == {str(never.pk), str(lost.pk)}
    recent.refresh_from_db()
    assert recent.status == "queued"


def test_late_results_of_a_swept_run_are_discarded(org, sample_repo, settings):
    """A worker that was only slow (not dead) finds its run taken over and stores nothing."""
    repo = services.repository_create(organization=org, name="s", clone_url=str(sample_repo))
    run = AnalysisRunFactory(repository=repo)
    claimed = worker._claim(run.pk)
    assert claimed is not None
    AnalysisRun.objects.filter(pk=run.pk).update(status="failed", error_code="WORKER_LOST")
    writer = worker._ProgressWriter(claimed, timeout=60)
    with pytest.raises(worker._RunAborted):
        writer("parse", 50, "still going")
    run.refresh_from_db()
    assert run.status == "failed"
    assert run.error_code == "WORKER_LOST"


def test_run_exceeding_its_time_limit_fails_with_timeout(org, sample_repo, settings, q_sync, django_capture_on_commit_callbacks):
    settings.REPOTOIRE_ANALYSIS_TIMEOUT_SECONDS = 0
    repo = services.repository_create(organization=org, name="s", clone_url=str(sample_repo))
    with django_capture_on_commit_callbacks(execute=True):
        run = services.analysis_trigger(organization=org, repository_id=repo.pk)
    run.refresh_from_db()
    assert run.status == "failed"
    assert run.error_code == "TIMEOUT"


def test_sweep_schedule_exists_after_migrations():
    """The schedule comes from a data migration (tests build tables without migrations, so
    replay it here)."""
    from importlib import import_module

    from django.apps import apps
    from django_q.models import Schedule

    migration = import_module("analysis.migrations.0003_schedule_sweep_stale_runs")
    migration.create_schedule(apps, None)
    migration.create_schedule(apps, None)
    schedules = Schedule.objects.filter(func="analysis.tasks.analysis_sweep_task")
    assert schedules.count() == 1
    assert schedules.get().repeats == -1
