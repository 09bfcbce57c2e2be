"""The process roles of ``python -m repotoire.run``: what each starts, and the one scheduler."""

from __future__ import annotations

from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone
from django_q.models import OrmQ, Schedule

from repotoire.run import role_commands


def test_make_run_starts_every_role_and_only_the_scheduler_schedules(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.delenv("REPOTOIRE_BACKGROUND_CLUSTER", raising=False)
    roles = role_commands("all")
    assert list(roles) == ["web", "worker", "background", "scheduler"]
    web, _ = roles["web"]
    assert web[web.index("--workers") + 1] == "3"
    assert roles["worker"][1]["Q_SCHEDULER"] == "false"
    assert roles["background"][1]["Q_SCHEDULER"] == "false"
    assert roles["background"][1]["Q_CLUSTER_NAME"] == "background"
    assert roles["scheduler"][0][-1] == "qscheduler"
    assert list(role_commands("worker")) == ["worker"]


def test_without_a_background_cluster_there_is_no_background_role(monkeypatch):
    monkeypatch.setenv("REPOTOIRE_BACKGROUND_CLUSTER", "")
    assert "background" not in role_commands("all")


def test_the_scheduler_queues_a_due_schedule_once(transactional_db):
    schedule = Schedule.objects.create(
        func="math.floor", args="1.5", schedule_type=Schedule.MINUTES, minutes=5, next_run=timezone.now() - timedelta(seconds=1)
    )
    before = OrmQ.objects.count()
    call_command("qscheduler", "--once")
    call_command("qscheduler", "--once")
    assert OrmQ.objects.count() == before + 1
    schedule.refresh_from_db()
    assert schedule.next_run > timezone.now()
