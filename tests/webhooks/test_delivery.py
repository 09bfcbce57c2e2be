"""Delivery through a real HTTP receiver on 127.0.0.1: signatures, retries, disabling, rotation."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.webhooks.conftest import Reply
from tests.webhooks.helpers import create_endpoint
from webhooks import services
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.usefixtures("allow_private_targets")


def emit_one(org, event_type="analysis.completed", data=None):
    ids = services.webhook_emit(organization=org, event_type=event_type, data=data or {"analysis_id": "run-1"})
    assert len(ids) == 1
    return WebhookDelivery.objects.get(pk=ids[0])


def test_delivery_is_signed_as_the_readme_says(org, receiver, verify_signature):
    endpoint, secret = create_endpoint(org, receiver.url)
    delivery = emit_one(org, data={"analysis_id": "run-1", "health_score": 82})

    assert services.delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.SUCCEEDED

    [request] = receiver.requests
    assert request.path == "/hooks/repotoire"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["repotoire-event"] == "analysis.completed"
    assert request.headers["repotoire-delivery"] == str(delivery.pk)
    assert verify_signature(secret, request.headers["repotoire-signature"], request.body)
    assert not verify_signature("whsec_wrong", request.headers["repotoire-signature"], request.body)
    assert not verify_signature(secret, request.headers["repotoire-signature"], request.body + b" ")
    envelope = json.loads(request.body)
    assert envelope["type"] == "analysis.completed"
    assert envelope["organization_id"] == str(org.pk)
    assert envelope["data"] == {"analysis_id": "run-1", "health_score": 82}
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.response_status_code == 200
    assert delivery.delivered_at is not None


def test_signature_from_an_old_attempt_is_rejected_as_a_replay(org, receiver, verify_signature):
    _, secret = create_endpoint(org, receiver.url)
    delivery = emit_one(org)
    past = timezone.now() - timedelta(hours=1)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=past)
    services.delivery_attempt(delivery_id=delivery.pk, now=past)
    [request] = receiver.requests
    header = request.headers["repotoire-signature"]
    assert header.startswith(f"t={int(past.timestamp())},")
    assert not verify_signature(secret, header, request.body)
    assert verify_signature(secret, header, request.body, tolerance=7200)


def test_failed_attempts_are_retried_with_exponential_backoff_and_jitter_until_the_plan_limit(org, receiver):
    receiver.default = Reply(status=500, body=b"x" * 5000)
    create_endpoint(org, receiver.url)
    delivery = emit_one(org)
    assert delivery.max_attempts == 6  # pro: 5 retries

    now = timezone.now()
    expected_delays = [60, 300, 1800, 7200, 21600]
    for attempt, base in enumerate(expected_delays, start=1):
        assert services.delivery_attempt(delivery_id=delivery.pk, now=now) == DeliveryStatus.PENDING
        delivery.refresh_from_db()
        assert delivery.attempts == attempt
        waited = (delivery.next_attempt_at - now).total_seconds()
        assert base <= waited <= base * 1.1 + 0.001
        # Not due yet: a rerun of the task is a harmless no-op.
        assert (
            services.delivery_attempt(delivery_id=delivery.pk, now=delivery.next_attempt_at - timedelta(seconds=1)) == "skipped"
        )
        now = delivery.next_attempt_at

    assert services.delivery_attempt(delivery_id=delivery.pk, now=now) == DeliveryStatus.FAILED
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.next_attempt_at is None
    assert services.delivery_attempt(delivery_id=delivery.pk, now=now + timedelta(days=1)) == "skipped"
    assert len(receiver.requests) == 6
    log = list(delivery.attempt_log.all())
    assert [a.number for a in log] == [1, 2, 3, 4, 5, 6]
    assert all(a.response_status_code == 500 and not a.succeeded and a.error == "HTTP 500" for a in log)
    assert all(a.response_body == "x" * 1024 for a in log)
    # Every retry carries the same delivery id, for the receiver's dedup.
    assert {r.headers["repotoire-delivery"] for r in receiver.requests} == {str(delivery.pk)}


def test_retry_jitter_stays_within_ten_percent():
    import random

    rng = random.Random(7)
    delays = [services.retry_delay(1, rng=rng).total_seconds() for _ in range(200)]
    assert min(delays) >= 60 and max(delays) <= 66
    assert len(set(delays)) > 1
    assert services.retry_delay(99, rng=rng) >= timedelta(days=1)


def test_success_after_failures_clears_the_failure_streak(org, receiver):
    receiver.reply(500, 503)
    endpoint, _ = create_endpoint(org, receiver.url)
    delivery = emit_one(org)
    now = timezone.now()
    for _ in range(2):
        services.delivery_attempt(delivery_id=delivery.pk, now=now)
        delivery.refresh_from_db()
        now = delivery.next_attempt_at
    endpoint.refresh_from_db()
    assert endpoint.failing_since is not None
    assert services.delivery_attempt(delivery_id=delivery.pk, now=now) == DeliveryStatus.SUCCEEDED
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None
    assert [a.response_status_code for a in delivery.attempt_log.all()] == [500, 503, 200]


def test_endpoint_failing_for_three_days_is_disabled_with_a_reason(org, receiver):
    receiver.default = Reply(status=502)
    endpoint, _ = create_endpoint(org, receiver.url)
    first = emit_one(org)
    t0 = timezone.now()
    assert services.delivery_attempt(delivery_id=first.pk, now=t0) == DeliveryStatus.PENDING
    endpoint.refresh_from_db()
    assert endpoint.failing_since == t0

    almost = t0 + timedelta(days=3) - timedelta(minutes=1)
    second = emit_one(org)
    services.delivery_attempt(delivery_id=second.pk, now=almost)
    endpoint.refresh_from_db()
    assert endpoint.is_active

    later = t0 + timedelta(days=3, seconds=1)
    third = emit_one(org)
    services.delivery_attempt(delivery_id=third.pk, now=later)
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert endpoint.disabled_at == later
    assert "failed" in endpoint.disabled_reason and "3 days" in endpoint.disabled_reason
    # Pending retries are cancelled and nothing more is sent.
    assert WebhookDelivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.PENDING).count() == 0
    assert WebhookDelivery.objects.get(pk=first.pk).status == DeliveryStatus.CANCELLED
    sent = len(receiver.requests)
    assert services.webhook_emit(organization=org, event_type="analysis.completed", data={}) == []
    assert len(receiver.requests) == sent


def test_redirects_are_not_followed_and_count_as_failures(org, receiver):
    receiver.reply(Reply(status=302, headers={"Location": "http://169.254.169.254/latest/meta-data"}))
    create_endpoint(org, receiver.url)
    delivery = emit_one(org)
    assert services.delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.PENDING
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert delivery.response_status_code == 302
    assert "redirect" in delivery.error


def test_timeout_is_a_failed_attempt(org, receiver, monkeypatch):
    monkeypatch.setattr(services, "DELIVERY_TIMEOUT_SECONDS", 0.3)
    receiver.reply(Reply(status=200, delay=1.5))
    create_endpoint(org, receiver.url)
    delivery = emit_one(org)
    assert services.delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.PENDING
    delivery.refresh_from_db()
    assert "Timed out" in delivery.error
    assert delivery.response_status_code is None


def test_connection_refused_is_logged_as_an_attempt(org, receiver):
    create_endpoint(org, "http://127.0.0.1:1/nothing-listens-here")
    delivery = emit_one(org)
    assert services.delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.PENDING
    [attempt] = delivery.attempt_log.all()
    assert attempt.error.startswith("ConnectError")
    assert attempt.response_status_code is None


def test_inactive_endpoint_cancels_queued_deliveries(org, receiver):
    endpoint, _ = create_endpoint(org, receiver.url)
    delivery = emit_one(org)
    services.webhook_endpoint_update(endpoint=endpoint, is_active=False)
    assert services.delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.CANCELLED
    assert receiver.requests == []


def test_rotation_sends_both_signatures_during_the_grace_period(org, receiver, verify_signature):
    endpoint, old_secret = create_endpoint(org, receiver.url)
    now = timezone.now()
    new_secret = services.webhook_secret_rotate(endpoint=endpoint, grace_hours=24, now=now)
    assert new_secret != old_secret

    delivery = emit_one(org)
    services.delivery_attempt(delivery_id=delivery.pk, now=now + timedelta(hours=1))
    header = receiver.requests[-1].headers["repotoire-signature"]
    assert header.count("v1=") == 2
    body = receiver.requests[-1].body
    assert verify_signature(new_secret, header, body, tolerance=10**6)
    assert verify_signature(old_secret, header, body, tolerance=10**6)

    after = emit_one(org)
    services.delivery_attempt(delivery_id=after.pk, now=now + timedelta(hours=25))
    header = receiver.requests[-1].headers["repotoire-signature"]
    assert header.count("v1=") == 1
    assert verify_signature(new_secret, header, receiver.requests[-1].body, tolerance=10**6)
    assert not verify_signature(old_secret, header, receiver.requests[-1].body, tolerance=10**6)


def test_rotation_without_grace_drops_the_old_secret_at_once(org, receiver, verify_signature):
    endpoint, old_secret = create_endpoint(org, receiver.url)
    new_secret = services.webhook_secret_rotate(endpoint=endpoint, grace_hours=0)
    delivery = emit_one(org)
    services.delivery_attempt(delivery_id=delivery.pk)
    header = receiver.requests[-1].headers["repotoire-signature"]
    assert header.count("v1=") == 1
    assert verify_signature(new_secret, header, receiver.requests[-1].body)
    assert not verify_signature(old_secret, header, receiver.requests[-1].body)


def test_emit_enqueues_on_commit_and_django_q_delivers(
    org, receiver, q_sync, django_capture_on_commit_callbacks, verify_signature
):
    _, secret = create_endpoint(org, receiver.url, events=["finding.new"])
    with django_capture_on_commit_callbacks(execute=True):
        [delivery_id] = services.webhook_emit(organization=org, event_type="finding.new", data={"findings": [{"id": 1}]})
    assert WebhookDelivery.objects.get(pk=delivery_id).status == DeliveryStatus.SUCCEEDED
    [request] = receiver.requests
    assert request.headers["repotoire-event"] == "finding.new"
    assert verify_signature(secret, request.headers["repotoire-signature"], request.body)


def test_finding_batches_are_capped(org, receiver):
    create_endpoint(org, receiver.url, events=["finding.new"])
    findings = [{"id": i} for i in range(services.FINDINGS_BATCH_CAP + 20)]
    [delivery_id] = services.webhook_emit(
        organization=org, event_type="finding.new", data={"findings": findings, "findings_url": "https://x/api/v1/findings"}
    )
    data = json.loads(WebhookDelivery.objects.get(pk=delivery_id).body)["data"]
    assert len(data["findings"]) == services.FINDINGS_BATCH_CAP
    assert data["truncated"] is True
    assert data["total"] == services.FINDINGS_BATCH_CAP + 20
    assert data["findings_url"] == "https://x/api/v1/findings"


def test_sweeper_enqueues_due_retries_and_recovers_deliveries_of_a_dead_worker(org, receiver, q_sync):
    endpoint, _ = create_endpoint(org, receiver.url)
    now = timezone.now()
    due_retry = emit_one(org)
    WebhookDelivery.objects.filter(pk=due_retry.pk).update(attempts=1, next_attempt_at=now - timedelta(seconds=5))
    not_due = emit_one(org)
    WebhookDelivery.objects.filter(pk=not_due.pk).update(attempts=1, next_attempt_at=now + timedelta(minutes=4))
    orphaned = emit_one(org)
    WebhookDelivery.objects.filter(pk=orphaned.pk).update(
        status=DeliveryStatus.DELIVERING, attempts=1, claimed_at=now - timedelta(minutes=10)
    )
    fresh = emit_one(org)  # its own task was enqueued at emit; the sweeper leaves it a minute

    assert services.deliveries_enqueue_due(now=now) == 2

    statuses = dict(WebhookDelivery.objects.values_list("pk", "status"))
    assert statuses[due_retry.pk] == DeliveryStatus.SUCCEEDED
    assert statuses[orphaned.pk] == DeliveryStatus.SUCCEEDED
    assert statuses[not_due.pk] == DeliveryStatus.PENDING
    assert statuses[fresh.pk] == DeliveryStatus.PENDING
    assert len(receiver.requests) == 2
    assert endpoint.deliveries.count() == 4


def test_orphaned_last_attempt_is_failed_not_retried(org, receiver):
    create_endpoint(org, receiver.url)
    delivery = emit_one(org)
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.DELIVERING, attempts=delivery.max_attempts, claimed_at=now - timedelta(minutes=10)
    )
    services.deliveries_enqueue_due(now=now)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED


def test_history_cleanup_follows_each_plan(org, receiver):
    from tests.factories import OrganizationFactory

    free_org = OrganizationFactory(plan="free")
    create_endpoint(org, receiver.url)
    create_endpoint(free_org, receiver.url)
    now = timezone.now()
    pro_old, pro_recent, free_old = emit_one(org), emit_one(org), emit_one(free_org)
    pending_old = emit_one(org)
    WebhookDelivery.objects.filter(pk__in=[pro_old.pk, pro_recent.pk, free_old.pk]).update(status=DeliveryStatus.SUCCEEDED)
    WebhookDelivery.objects.filter(pk__in=[pro_old.pk, pending_old.pk]).update(created_at=now - timedelta(days=31))
    WebhookDelivery.objects.filter(pk=pro_recent.pk).update(created_at=now - timedelta(days=10))
    WebhookDelivery.objects.filter(pk=free_old.pk).update(created_at=now - timedelta(days=4))

    services.deliveries_cleanup(now=now)

    remaining = set(WebhookDelivery.objects.values_list("pk", flat=True))
    assert pro_old.pk not in remaining
    assert free_old.pk not in remaining
    assert pro_recent.pk in remaining  # pro keeps 30 days
    assert pending_old.pk in remaining  # unfinished deliveries are never dropped


def test_disabled_feature_emits_nothing(org, receiver, monkeypatch):
    from dataclasses import replace

    from billing.plans import PLANS

    create_endpoint(org, receiver.url)
    monkeypatch.setitem(PLANS, "pro", replace(PLANS["pro"], features=frozenset()))
    assert services.webhook_emit(organization=org, event_type="analysis.completed", data={}) == []
    assert WebhookEndpoint.objects.filter(organization=org).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("answer", [200, 500])
def test_webhook_deleted_while_its_request_is_in_flight_is_harmless(receiver, answer):
    from django.db import connection

    from tests.factories import OrganizationFactory

    org = OrganizationFactory(plan="pro")
    endpoint, _ = create_endpoint(org, receiver.url)

    def delete_endpoint() -> None:
        try:
            WebhookEndpoint.objects.filter(pk=endpoint.pk).delete()
        finally:
            connection.close()  # this runs in the receiver's thread, on its own connection

    receiver.reply(Reply(status=answer, on_request=delete_endpoint))
    [delivery_id] = services.webhook_emit(organization=org, event_type="analysis.completed", data={})

    assert services.delivery_attempt(delivery_id=delivery_id) == "skipped"
    assert len(receiver.requests) == 1
    assert not WebhookDelivery.objects.filter(pk=delivery_id).exists()


def test_the_timeout_bounds_the_whole_exchange_not_each_read(org, receiver, monkeypatch):
    # Every byte arrives well within the per-read timeout; the answer as a whole does not.
    monkeypatch.setattr(services, "DELIVERY_TIMEOUT_SECONDS", 1.0)
    receiver.reply(Reply(status=200, drip=0.1))
    create_endpoint(org, receiver.url)
    delivery = emit_one(org)
    assert services.delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.PENDING
    delivery.refresh_from_db()
    assert "Timed out" in delivery.error
