from __future__ import annotations

import json

import pytest

from webhooks import crypto
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from webhooks.services import EVENT_TYPES, webhook_emit


def make_endpoint(org, *, events=None, repository_id=None, is_active=True, url="https://hooks.example.com/in"):
    return WebhookEndpoint.objects.create(
        organization=org,
        name="ep",
        url=url,
        events=events or ["analysis.completed"],
        repository_id=repository_id,
        is_active=is_active,
        secret_encrypted=crypto.encrypt("whsec_test"),
        secret_hint="whsec_te",
    )


def test_emit_rejects_unknown_event_type(org):
    with pytest.raises(ValueError):
        webhook_emit(organization=org, event_type="analysis.exploded", data={})


def test_emit_without_endpoints_costs_one_query(org, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert webhook_emit(organization=org, event_type="analysis.completed", data={"x": 1}) == []


def test_emit_creates_one_delivery_per_subscribed_active_endpoint_with_envelope(
    org, other_org, django_capture_on_commit_callbacks
):
    wanted = make_endpoint(org, events=["analysis.completed", "finding.new"])
    make_endpoint(org, events=["finding.new"])
    make_endpoint(org, events=["analysis.completed"], is_active=False)
    make_endpoint(other_org, events=["analysis.completed"])
    with django_capture_on_commit_callbacks() as callbacks:
        ids = webhook_emit(organization=org, event_type="analysis.completed", data={"analysis_id": "a1"})
    assert len(ids) == 1
    assert len(callbacks) == 1
    delivery = WebhookDelivery.objects.get(pk=ids[0])
    assert delivery.endpoint_id == wanted.pk
    assert delivery.status == DeliveryStatus.PENDING
    body = json.loads(delivery.body)
    assert set(body) == {"id", "type", "created", "organization_id", "data"}
    assert body["type"] == "analysis.completed"
    assert body["organization_id"] == str(org.pk)
    assert body["data"] == {"analysis_id": "a1"}
    assert delivery.max_attempts == 1 + 5  # pro plan retries


def test_emit_respects_repository_filter(org):
    import uuid

    repo_a, repo_b = uuid.uuid4(), uuid.uuid4()
    only_a = make_endpoint(org, repository_id=repo_a)
    everything = make_endpoint(org)
    ids = webhook_emit(organization=org, event_type="analysis.completed", data={}, repository=repo_b)
    assert {WebhookDelivery.objects.get(pk=i).endpoint_id for i in ids} == {everything.pk}
    ids = webhook_emit(organization=org, event_type="analysis.completed", data={}, repository=repo_a)
    assert {WebhookDelivery.objects.get(pk=i).endpoint_id for i in ids} == {everything.pk, only_a.pk}
    ids = webhook_emit(organization=org, event_type="analysis.completed", data={})
    assert {WebhookDelivery.objects.get(pk=i).endpoint_id for i in ids} == {everything.pk}


def test_event_types_match_the_issue():
    assert EVENT_TYPES == [
        "analysis.started",
        "analysis.completed",
        "analysis.failed",
        "health_score.changed",
        "finding.new",
        "finding.resolved",
        "fix.proposed",
        "fix.applied",
        "quality_gate.failed",
        "billing.plan_changed",
    ]
