"""Customer webhooks: endpoint management, event emission, signed delivery with retries.

Other apps emit events with :func:`webhook_emit` (from their own ``transaction.on_commit`` hooks).
Deliveries are rows; django-q2 tasks (``webhooks.tasks``) only load ids and call the services
here. A periodic task (:func:`deliveries_enqueue_due`) re-enqueues due retries, so a worker
restart loses nothing.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization
from billing.entitlements import effective_plan, has_feature
from billing.plans import FEATURE_CUSTOMER_WEBHOOKS
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger("repotoire.webhooks")

ANALYSIS_STARTED = "analysis.started"
ANALYSIS_COMPLETED = "analysis.completed"
ANALYSIS_FAILED = "analysis.failed"
HEALTH_SCORE_CHANGED = "health_score.changed"
FINDING_NEW = "finding.new"
FINDING_RESOLVED = "finding.resolved"
FIX_PROPOSED = "fix.proposed"
FIX_APPLIED = "fix.applied"
QUALITY_GATE_FAILED = "quality_gate.failed"
BILLING_PLAN_CHANGED = "billing.plan_changed"

#: The events an endpoint can subscribe to (and the only ones ``webhook_emit`` accepts).
EVENT_TYPES: list[str] = [
    ANALYSIS_STARTED,
    ANALYSIS_COMPLETED,
    ANALYSIS_FAILED,
    HEALTH_SCORE_CHANGED,
    FINDING_NEW,
    FINDING_RESOLVED,
    FIX_PROPOSED,
    FIX_APPLIED,
    QUALITY_GATE_FAILED,
    BILLING_PLAN_CHANGED,
]
#: Sent by ``POST /customer-webhooks/{id}/test`` only; not subscribable.
TEST_EVENT = "webhook.test"

#: ``finding.new``/``finding.resolved`` carry at most this many findings; the rest are behind
#: ``data["findings_url"]`` (set by the emitter) and ``data["truncated"]`` says so.
FINDINGS_BATCH_CAP = 100

DELIVER_TASK = "webhooks.tasks.deliver"


def _json_body(envelope: dict[str, Any]) -> str:
    return json.dumps(envelope, cls=DjangoJSONEncoder, separators=(",", ":"), ensure_ascii=False)


def _cap_findings(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    if event_type not in (FINDING_NEW, FINDING_RESOLVED):
        return data
    findings = data.get("findings")
    if not isinstance(findings, list) or len(findings) <= FINDINGS_BATCH_CAP:
        return data
    return {**data, "findings": findings[:FINDINGS_BATCH_CAP], "truncated": True, "total": data.get("total", len(findings))}


def build_envelope(
    *, organization: Organization, event_type: str, data: dict[str, Any], event_id: uuid.UUID | None = None
) -> dict[str, Any]:
    return {
        "id": str(event_id or uuid.uuid4()),
        "type": event_type,
        "created": timezone.now().isoformat().replace("+00:00", "Z"),
        "organization_id": str(organization.pk),
        "data": data,
    }


def _enqueue_on_commit(delivery_ids: list[uuid.UUID]) -> None:
    def enqueue() -> None:
        from django_q.tasks import async_task

        for delivery_id in delivery_ids:
            try:
                async_task(DELIVER_TASK, str(delivery_id), task_name=f"webhook-delivery-{delivery_id}"[:100])
            except Exception:  # noqa: BLE001 - the periodic sweep delivers it later
                logger.exception("Could not enqueue webhook delivery %s; the sweeper will retry it", delivery_id)

    transaction.on_commit(enqueue)


def webhook_emit(*, organization: Organization, event_type: str, data: dict[str, Any], repository: Any = None) -> list[uuid.UUID]:
    """Record ``event_type`` for every active endpoint of ``organization`` subscribed to it (and,
    for endpoints with a repository filter, about that repository) and enqueue the deliveries.

    Returns the delivery ids. Cheap when nobody listens (one query). An unknown ``event_type`` is
    a programming error (ValueError); any delivery problem is logged, never raised to the caller.
    Endpoints with a repository filter receive only events about that repository.
    """
    if event_type not in EVENT_TYPES:
        raise ValueError(f"Unknown webhook event type {event_type!r}; expected one of {EVENT_TYPES}")
    try:
        if not has_feature(organization, FEATURE_CUSTOMER_WEBHOOKS):
            return []
        repo_filter = Q(repository_id__isnull=True)
        if repository is not None:
            repo_filter |= Q(repository_id=getattr(repository, "pk", repository))
        endpoints = list(
            WebhookEndpoint.objects.for_org(organization).active().subscribed_to(event_type).filter(repo_filter).only("id")
        )
        if not endpoints:
            return []
        envelope = build_envelope(organization=organization, event_type=event_type, data=_cap_findings(event_type, data))
        body = _json_body(envelope)
        max_attempts = 1 + effective_plan(organization).webhook_retries
        now = timezone.now()
        with transaction.atomic():
            deliveries = WebhookDelivery.objects.bulk_create(
                [
                    WebhookDelivery(
                        organization=organization,
                        endpoint_id=endpoint.pk,
                        event_id=envelope["id"],
                        event_type=event_type,
                        body=body,
                        max_attempts=max_attempts,
                        next_attempt_at=now,
                    )
                    for endpoint in endpoints
                ]
            )
            ids = [d.pk for d in deliveries]
            _enqueue_on_commit(ids)
        return ids
    except Exception:  # noqa: BLE001 - emitting must never break the caller's flow
        logger.exception("Could not emit webhook event %s for organization %s", event_type, organization.pk)
        return []


__all__ = [
    "DeliveryStatus",
    "EVENT_TYPES",
    "TEST_EVENT",
    "FINDINGS_BATCH_CAP",
    "webhook_emit",
]
