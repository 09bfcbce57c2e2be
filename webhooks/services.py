"""Customer webhooks: endpoint management, event emission, signed delivery with retries.

Other apps emit events with :func:`webhook_emit` (from their own ``transaction.on_commit`` hooks).
Deliveries are rows; django-q2 tasks (``webhooks.tasks``) only load ids and call the services
here. A periodic task (:func:`deliveries_enqueue_due`) re-enqueues due retries and deliveries
left behind by a dead worker, so a worker restart loses nothing.
"""

from __future__ import annotations

import json
import logging
import random
import ssl
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import httpx
from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Organization, User
from billing.entitlements import effective_plan, has_feature
from billing.plans import FEATURE_CUSTOMER_WEBHOOKS
from repotoire.api.exceptions import Conflict, PlanLimitExceeded, ValidationFailed
from repotoire.services import model_update
from webhooks import crypto, netguard
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookDeliveryAttempt, WebhookEndpoint
from webhooks.signing import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, generate_secret, signature_header
from webhooks.transport import VettedTransport

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


def _enqueue(delivery_ids: list[uuid.UUID]) -> None:
    from django_q.tasks import async_task

    try:
        # One transaction for the batch: with the ORM broker every enqueue is an INSERT, and a
        # commit per task costs far more than the insert itself.
        with transaction.atomic():
            for delivery_id in delivery_ids:
                async_task(DELIVER_TASK, str(delivery_id), task_name=f"webhook-delivery-{delivery_id}"[:100])
    except Exception:  # noqa: BLE001 - the periodic sweep delivers them later
        logger.exception("Could not enqueue webhook deliveries %s; the sweeper will retry them", delivery_ids)


def _enqueue_on_commit(delivery_ids: list[uuid.UUID]) -> None:
    transaction.on_commit(lambda: _enqueue(delivery_ids))


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


# --- delivery --------------------------------------------------------------------------------

#: Delay before retry n (1-based); the last value repeats. Jitter adds up to 10 %.
RETRY_DELAYS_SECONDS = [60, 300, 1800, 7200, 21600, 43200, 86400]
RETRY_JITTER = 0.1
DELIVERY_TIMEOUT_SECONDS = 10.0
RESPONSE_BODY_LIMIT = 1024
#: An endpoint whose attempts have all failed for this long is disabled.
DISABLE_AFTER = timedelta(days=3)
#: A delivery claimed longer ago than this belongs to a worker that died.
STALE_CLAIM_AFTER = timedelta(minutes=5)
#: The sweeper leaves fresh deliveries to the task enqueued at emit time for this long.
FRESH_DELIVERY_GRACE = timedelta(minutes=1)
SWEEP_BATCH = 500
USER_AGENT = "Repotoire-Webhooks/1.0"


def webhook_emit_on_commit(
    *,
    organization: Organization,
    event_type: str,
    data: dict[str, Any] | Callable[[], dict[str, Any]],
    repository: Any = None,
) -> None:
    """``webhook_emit`` once the current transaction commits (at once outside one): the one way
    other apps announce an event. ``data`` may be a function, called at commit time, when building
    it costs queries better kept out of the caller's transaction. Whatever goes wrong is logged,
    never raised into the caller's flow."""

    def send() -> None:
        webhook_emit(
            organization=organization,
            event_type=event_type,
            data=data() if callable(data) else data,
            repository=repository,
        )

    transaction.on_commit(send, robust=True)


def retry_delay(retry_number: int, *, rng: random.Random | None = None) -> timedelta:
    """The wait before retry ``retry_number`` (1 = the first retry): 1 min, 5 min, 30 min, 2 h,
    6 h, 12 h, then daily, each plus up to 10 % random jitter so receivers recovering from an
    outage are not hit by every retry at the same second."""
    base = RETRY_DELAYS_SECONDS[min(max(retry_number, 1), len(RETRY_DELAYS_SECONDS)) - 1]
    jitter = (rng or random).uniform(0, base * RETRY_JITTER)
    return timedelta(seconds=base + jitter)


@dataclass
class AttemptResult:
    succeeded: bool = False
    status_code: int | None = None
    body: str = ""
    duration_ms: int = 0
    error: str = ""
    remote_ip: str | None = None


@cache
def _ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle costs ~100 ms; build it once. Connections are not pooled across
    # attempts on purpose: a pooled TLS connection to an IP could be reused for another host name.
    return httpx.create_ssl_context()


def _signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    secrets_ = [crypto.decrypt(endpoint.secret_encrypted)]
    if endpoint.previous_secret_encrypted and endpoint.previous_secret_expires_at and endpoint.previous_secret_expires_at > now:
        secrets_.append(crypto.decrypt(endpoint.previous_secret_encrypted))
    return secrets_


def _send(*, endpoint: WebhookEndpoint, delivery: WebhookDelivery, now: datetime) -> AttemptResult:
    """POST the delivery once: to the address vetted just now (DNS rebinding), within one 10 s
    deadline for the whole exchange, following no redirects, reading at most 1 KB of the answer."""
    started = time.monotonic()
    result = AttemptResult()
    try:
        target = netguard.vet_url(endpoint.url)
    except netguard.UnsafeTarget as exc:
        result.error = f"Refused target: {exc}"
        return result
    result.remote_ip = target.address
    body = delivery.body.encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: delivery.event_type,
        DELIVERY_HEADER: str(delivery.pk),
        SIGNATURE_HEADER: signature_header(_signing_secrets(endpoint, now), int(now.timestamp()), body),
    }
    transport = VettedTransport(address=target.address, deadline=started + DELIVERY_TIMEOUT_SECONDS, ssl_context=_ssl_context())
    try:
        with httpx.Client(
            transport=transport, timeout=DELIVERY_TIMEOUT_SECONDS, follow_redirects=False, trust_env=False
        ) as client:
            with client.stream("POST", endpoint.url, content=body, headers=headers) as response:
                result.status_code = response.status_code
                received = b""
                for chunk in response.iter_bytes():
                    received += chunk
                    if len(received) >= RESPONSE_BODY_LIMIT:
                        break
                result.body = received[:RESPONSE_BODY_LIMIT].decode("utf-8", errors="replace")
    except httpx.TimeoutException:
        result.error = f"Timed out after {DELIVERY_TIMEOUT_SECONDS:g} s"
    except httpx.HTTPError as exc:
        result.error = f"{type(exc).__name__}: {exc}"[:500]
    result.duration_ms = int((time.monotonic() - started) * 1000)
    if result.status_code is not None:
        result.succeeded = 200 <= result.status_code < 300
        if 300 <= result.status_code < 400:
            result.error = f"HTTP {result.status_code}: redirects are not followed"
        elif not result.succeeded:
            result.error = f"HTTP {result.status_code}"
    return result


def _claim(delivery_id: uuid.UUID | str, now: datetime) -> bool:
    return (
        WebhookDelivery.objects.filter(
            pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now, attempts__lt=F("max_attempts")
        ).update(status=DeliveryStatus.DELIVERING, claimed_at=now, attempts=F("attempts") + 1)
        == 1
    )


def _track_endpoint_health(*, endpoint: WebhookEndpoint, succeeded: bool, now: datetime) -> None:
    if succeeded:
        WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=False).update(failing_since=None)
        return
    WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(failing_since=now)
    endpoint.refresh_from_db(fields=["failing_since", "is_active"])
    if endpoint.is_active and endpoint.failing_since and now - endpoint.failing_since >= DISABLE_AFTER:
        reason = (
            f"Disabled automatically: every delivery attempt failed since "
            f"{endpoint.failing_since.isoformat(timespec='seconds')} ({DISABLE_AFTER.days} days)"
        )
        disabled = WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=True).update(
            is_active=False, disabled_at=now, disabled_reason=reason, updated_at=now
        )
        if disabled:
            logger.warning("Webhook endpoint %s disabled: %s", endpoint.pk, reason)
            WebhookDelivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.PENDING).update(
                status=DeliveryStatus.CANCELLED, next_attempt_at=None, error="Endpoint disabled after repeated failures"
            )


def delivery_attempt(*, delivery_id: uuid.UUID | str, now: datetime | None = None) -> str:
    """Make the next attempt of a due delivery and record it. Returns the resulting status, or
    ``"skipped"`` when the delivery is not due or another worker claimed it (reruns are harmless).

    ``now`` is the attempt's clock (signature timestamp, retry schedule, disabling); tests pass
    explicit times instead of sleeping.
    """
    now = now or timezone.now()
    if not _claim(delivery_id, now):
        return "skipped"
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    if not endpoint.is_active and delivery.event_type != TEST_EVENT:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.CANCELLED, next_attempt_at=None, error="Endpoint is disabled"
        )
        return str(DeliveryStatus.CANCELLED)

    try:
        result = _send(endpoint=endpoint, delivery=delivery, now=now)
    except Exception as exc:  # noqa: BLE001 - a bug must not leave the delivery claimed forever
        logger.exception("Webhook delivery %s crashed", delivery.pk)
        result = AttemptResult(error=f"Internal error: {type(exc).__name__}")

    if result.succeeded:
        status, next_attempt_at = DeliveryStatus.SUCCEEDED, None
    elif delivery.attempts < delivery.max_attempts:
        status, next_attempt_at = DeliveryStatus.PENDING, now + retry_delay(delivery.attempts)
    else:
        status, next_attempt_at = DeliveryStatus.FAILED, None

    try:
        with transaction.atomic():
            WebhookDeliveryAttempt.objects.create(
                delivery=delivery,
                number=delivery.attempts,
                started_at=now,
                succeeded=result.succeeded,
                response_status_code=result.status_code,
                response_body=result.body,
                duration_ms=result.duration_ms,
                error=result.error[:500],
                remote_ip=result.remote_ip,
            )
            WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.DELIVERING).update(
                status=status,
                next_attempt_at=next_attempt_at,
                claimed_at=None,
                last_attempt_at=now,
                response_status_code=result.status_code,
                duration_ms=result.duration_ms,
                error=result.error[:500],
                delivered_at=now if result.succeeded else None,
            )
            # A test ping is the user's experiment: it neither heals nor hurts the endpoint's record.
            if delivery.event_type != TEST_EVENT:
                _track_endpoint_health(endpoint=endpoint, succeeded=result.succeeded, now=now)
    except (IntegrityError, WebhookEndpoint.DoesNotExist):
        # The webhook (and with it this delivery) was deleted while the request was in flight.
        logger.info("Webhook delivery %s vanished during its attempt", delivery.pk)
        return "skipped"
    if not result.succeeded:
        logger.info("Webhook delivery %s attempt %s failed: %s", delivery.pk, delivery.attempts, result.error)
    return str(status)


def deliveries_enqueue_due(*, now: datetime | None = None) -> int:
    """The periodic sweep: give deliveries claimed by a worker that died back to the queue and
    enqueue every due delivery (retries, and fresh ones whose enqueue was lost). Returns how many
    were enqueued; a delivery enqueued twice is delivered once (see ``_claim``)."""
    now = now or timezone.now()
    stale = Q(status=DeliveryStatus.DELIVERING, claimed_at__lt=now - STALE_CLAIM_AFTER)
    WebhookDelivery.objects.filter(stale, attempts__gte=F("max_attempts")).update(
        status=DeliveryStatus.FAILED, claimed_at=None, next_attempt_at=None, error="The worker stopped during the last attempt"
    )
    WebhookDelivery.objects.filter(stale).update(status=DeliveryStatus.PENDING, claimed_at=None, next_attempt_at=now)
    due = list(
        WebhookDelivery.objects.due(now)
        .filter(Q(attempts__gt=0) | Q(created_at__lte=now - FRESH_DELIVERY_GRACE))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    if due:
        _enqueue(due)
    return len(due)


def deliveries_cleanup(*, now: datetime | None = None) -> int:
    """Delete finished deliveries older than the organisation's plan keeps
    (``delivery_history_days``). Returns the number of deliveries deleted."""
    now = now or timezone.now()
    deleted = 0
    finished = [DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED, DeliveryStatus.CANCELLED]
    org_ids = WebhookDelivery.objects.values_list("organization_id", flat=True).distinct()
    for org in Organization.objects.filter(pk__in=org_ids):
        cutoff = now - timedelta(days=effective_plan(org).delivery_history_days)
        count, _ = WebhookDelivery.objects.filter(organization=org, status__in=finished, created_at__lt=cutoff).delete()
        deleted += count
    return deleted


# --- endpoints -------------------------------------------------------------------------------


def _validate_events(events: list[str]) -> list[str]:
    unknown = [e for e in events if e not in EVENT_TYPES]
    if unknown:
        raise ValidationFailed(
            f"Unknown event type: {unknown[0]}",
            fields={"events": [f"Unknown event type {e!r}; expected one of: {', '.join(EVENT_TYPES)}" for e in unknown]},
        )
    if not events:
        raise ValidationFailed("Subscribe to at least one event", fields={"events": ["Subscribe to at least one event"]})
    return list(dict.fromkeys(events))


def _validate_url(url: str) -> str:
    try:
        netguard.vet_url(url)
    except netguard.UnsafeTarget as exc:
        raise ValidationFailed(str(exc), fields={"url": [str(exc)]}) from exc
    return url


def _validate_repository(organization: Organization, repository_id: uuid.UUID | None) -> uuid.UUID | None:
    if repository_id is None:
        return None
    try:
        repository_model = apps.get_model("analysis", "Repository")
    except LookupError:
        return repository_id
    manager = repository_model._default_manager
    queryset = manager.for_org(organization) if hasattr(manager, "for_org") else manager.filter(organization=organization)
    if not queryset.filter(pk=repository_id).exists():
        raise ValidationFailed("Repository not found", fields={"repository_id": ["Repository not found"]})
    return repository_id


def _require_feature(organization: Organization) -> None:
    if not has_feature(organization, FEATURE_CUSTOMER_WEBHOOKS):
        raise PlanLimitExceeded("Customer webhooks are not included in your plan")


def webhook_endpoint_create(
    *,
    organization: Organization,
    created_by: User | None,
    name: str,
    url: str,
    events: list[str],
    repository_id: uuid.UUID | None = None,
    is_active: bool = True,
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it with its signing secret (shown once, stored encrypted)."""
    _require_feature(organization)
    events = _validate_events(events)
    url = _validate_url(url)
    repository_id = _validate_repository(organization, repository_id)
    secret = generate_secret()
    endpoint = WebhookEndpoint.objects.create(
        organization=organization,
        created_by=created_by if created_by is not None and created_by.pk else None,
        name=name,
        url=url,
        events=events,
        repository_id=repository_id,
        is_active=is_active,
        secret_encrypted=crypto.encrypt(secret),
        secret_hint=secret[:10],
    )
    return endpoint, secret


_UPDATABLE = ("name", "url", "events", "repository_id", "is_active", "disabled_at", "disabled_reason", "failing_since")


def webhook_endpoint_update(*, endpoint: WebhookEndpoint, **changes: Any) -> WebhookEndpoint:
    """Change name, url, events, repository filter or is_active. Re-enabling clears the reason
    and the failure streak of an automatically disabled endpoint."""
    if "events" in changes:
        changes["events"] = _validate_events(changes["events"])
    if "url" in changes and changes["url"] != endpoint.url:
        changes["url"] = _validate_url(changes["url"])
    if "repository_id" in changes:
        changes["repository_id"] = _validate_repository(endpoint.organization, changes["repository_id"])
    if changes.get("is_active") and not endpoint.is_active:
        _require_feature(endpoint.organization)
        changes.update(disabled_at=None, disabled_reason="", failing_since=None)
    # Only the changed columns: a delivery may be updating failing_since at the same moment.
    model_update(instance=endpoint, fields=_UPDATABLE, data=changes)
    return endpoint


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Delete the endpoint and its delivery history; queued deliveries go with it."""
    endpoint.delete()


def webhook_secret_rotate(*, endpoint: WebhookEndpoint, grace_hours: int = 24, now: datetime | None = None) -> str:
    """Issue a new secret. The current one stays valid for ``grace_hours`` (both signatures are
    sent meanwhile); 0 ends it at once. Returns the new secret (shown once)."""
    now = now or timezone.now()
    secret = generate_secret()
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        if grace_hours > 0:
            locked.previous_secret_encrypted = locked.secret_encrypted
            locked.previous_secret_expires_at = now + timedelta(hours=grace_hours)
        else:
            locked.previous_secret_encrypted = ""
            locked.previous_secret_expires_at = None
        locked.secret_encrypted = crypto.encrypt(secret)
        locked.secret_hint = secret[:10]
        locked.save()
    for field in ("previous_secret_encrypted", "previous_secret_expires_at", "secret_encrypted", "secret_hint", "updated_at"):
        setattr(endpoint, field, getattr(locked, field))
    return secret


def webhook_test(*, endpoint: WebhookEndpoint, now: datetime | None = None) -> WebhookDelivery:
    """Send a ``webhook.test`` event to the endpoint now (one attempt, no retries) and return
    the delivery with its result. Works on a disabled endpoint too, to check it before re-enabling."""
    now = now or timezone.now()
    data = {"message": "This is a test event from Repotoire.", "webhook_id": str(endpoint.pk)}
    envelope = build_envelope(organization=endpoint.organization, event_type=TEST_EVENT, data=data)
    delivery = WebhookDelivery.objects.create(
        organization=endpoint.organization,
        endpoint=endpoint,
        event_id=envelope["id"],
        event_type=TEST_EVENT,
        body=_json_body(envelope),
        max_attempts=1,
        next_attempt_at=now,
    )
    delivery_attempt(delivery_id=delivery.pk, now=now)
    delivery.refresh_from_db()
    return delivery


def delivery_redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Queue the same event (same body and event id, fresh signature) again as a new delivery
    with the plan's retries. The endpoint must be active."""
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        raise Conflict("The webhook is disabled; enable it before redelivering")
    with transaction.atomic():
        copy = WebhookDelivery.objects.create(
            organization=delivery.organization,
            endpoint=endpoint,
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            body=delivery.body,
            max_attempts=1 + effective_plan(delivery.organization).webhook_retries,
            next_attempt_at=timezone.now(),
            redelivery_of=delivery,
        )
        _enqueue_on_commit([copy.pk])
    return copy
