"""End to end through a real ``manage.py qcluster`` worker process on the test database."""

from __future__ import annotations

import importlib
import time
from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone

from tests.webhooks.helpers import create_endpoint
from webhooks import services
from webhooks.models import DeliveryStatus, WebhookDelivery

pytestmark = pytest.mark.slow


@pytest.fixture
def webhook_worker(transactional_db, monkeypatch, settings, request):
    """A worker allowed to reach the receiver on 127.0.0.1 (the allowlist travels in its environment).

    ``transactional_db`` is a parameter, not left to ``qcluster``: requested only through
    getfixturevalue, the test database would not be set up before the worker starts."""
    monkeypatch.setenv("REPOTOIRE_WEBHOOK_ALLOWED_HOSTS", "127.0.0.1/32")
    settings.WEBHOOKS_ALLOWED_HOSTS = ["127.0.0.1/32"]
    return request.getfixturevalue("qcluster")


def wait_for_status(delivery_id, status, timeout=90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = WebhookDelivery.objects.get(pk=delivery_id).status
        if current == status:
            return current
        time.sleep(0.25)
    return WebhookDelivery.objects.get(pk=delivery_id).status


def test_worker_delivers_emitted_events_and_picks_up_left_over_deliveries(webhook_worker, receiver, verify_signature):
    from tests.factories import OrganizationFactory

    org = OrganizationFactory(plan="pro")
    _, secret = create_endpoint(org, receiver.url)

    # 1. emit → on_commit → async_task → the worker delivers.
    [emitted] = services.webhook_emit(organization=org, event_type="analysis.completed", data={"analysis_id": "run-1"})
    assert wait_for_status(emitted, DeliveryStatus.SUCCEEDED) == DeliveryStatus.SUCCEEDED
    request = receiver.requests[0]
    assert request.headers["repotoire-delivery"] == str(emitted)
    assert verify_signature(secret, request.headers["repotoire-signature"], request.body)

    # 2. Work a previous worker left behind: a due retry and a delivery it claimed and then died
    # with. No task is queued for either; the periodic sweep (as the migration schedules it) finds them.
    now = timezone.now()
    [retry] = services.webhook_emit(organization=org, event_type="analysis.completed", data={"n": 2})
    [orphan] = services.webhook_emit(organization=org, event_type="analysis.completed", data={"n": 3})
    WebhookDelivery.objects.filter(pk=retry).update(attempts=1, next_attempt_at=now - timedelta(seconds=1))
    WebhookDelivery.objects.filter(pk=orphan).update(
        status=DeliveryStatus.DELIVERING, attempts=1, claimed_at=now - timedelta(minutes=10)
    )
    schedules = importlib.import_module("webhooks.migrations.0002_schedules")
    schedules.create_schedules(apps, None)

    assert wait_for_status(retry, DeliveryStatus.SUCCEEDED) == DeliveryStatus.SUCCEEDED
    assert wait_for_status(orphan, DeliveryStatus.SUCCEEDED) == DeliveryStatus.SUCCEEDED
    assert {r.headers["repotoire-delivery"] for r in receiver.requests} >= {str(emitted), str(retry), str(orphan)}
