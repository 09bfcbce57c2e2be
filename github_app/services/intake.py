"""Webhook intake: verify GitHub's signature, record each delivery once, and process it through
the handler of its event."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_q.tasks import async_task

from github_app.models import (
    DeliveryStatus,
    GithubWebhookDelivery,
)
from github_app.services.dispatch import _on_check_run, _on_pull_request, _on_push
from github_app.services.installations import _on_installation, _on_installation_repositories
from repotoire.api.exceptions import (
    ServiceUnavailable,
    Unauthorized,
)

logger = logging.getLogger("repotoire.github")


PROCESS_TASK = "github_app.tasks.github_process_delivery_task"


def _on_ping(payload: dict[str, Any]) -> str:
    return "pong"


# The events the App handles, each with its handler; any other event is stored as ignored.
_HANDLERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "installation": _on_installation,
    "installation_repositories": _on_installation_repositories,
    "push": _on_push,
    "pull_request": _on_pull_request,
    "check_run": _on_check_run,
    "ping": _on_ping,
}
HANDLED_EVENTS = frozenset(_HANDLERS)


# --- webhook intake ---------------------------------------------------------------------------
def github_verify_signature(*, body: bytes, signature: str | None) -> None:
    """Check ``X-Hub-Signature-256`` (HMAC-SHA256 of the raw body with the webhook secret) in
    constant time. No secret configured → 503 (fail closed); bad or missing signature → 401."""
    secret = settings.GITHUB_WEBHOOK_SECRET
    if not secret:
        raise ServiceUnavailable("The GitHub webhook secret is not configured", error_code="SERVICE_UNAVAILABLE")
    if not signature or not signature.startswith("sha256="):
        raise Unauthorized("Missing or malformed X-Hub-Signature-256")
    expected = "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode("ascii"), signature.strip().encode("ascii", "replace")):
        raise Unauthorized("Invalid webhook signature")


def github_delivery_receive(
    *, delivery_id: str, event: str, payload: dict[str, Any]
) -> tuple[GithubWebhookDelivery | None, bool]:
    """Record a verified delivery once (``X-GitHub-Delivery`` is unique) and enqueue its
    processing. Returns (delivery, duplicate); unhandled events are stored as ignored."""
    handled = event in HANDLED_EVENTS
    installation_id = (payload.get("installation") or {}).get("id")
    try:
        with transaction.atomic():
            delivery = GithubWebhookDelivery.objects.create(
                delivery_id=delivery_id[:100],
                event=event[:100],
                action=str(payload.get("action") or "")[:100],
                installation_id=installation_id if isinstance(installation_id, int) else None,
                payload=payload,
                status=DeliveryStatus.RECEIVED if handled else DeliveryStatus.IGNORED,
                processed_at=None if handled else timezone.now(),
            )
            if handled:
                pk = delivery.pk
                transaction.on_commit(lambda: async_task(PROCESS_TASK, pk, group="github"), robust=True)
    except IntegrityError:
        return None, True
    return delivery, False


def github_delivery_process(*, delivery_pk: int) -> str:
    """Handle one stored delivery (claimed with a conditional update, so reruns are no-ops)."""
    if not GithubWebhookDelivery.objects.filter(pk=delivery_pk, status=DeliveryStatus.RECEIVED).update(
        status=DeliveryStatus.PROCESSING
    ):
        return "skipped"
    delivery = GithubWebhookDelivery.objects.get(pk=delivery_pk)
    handler = _HANDLERS[delivery.event]
    try:
        outcome = handler(delivery.payload) or "processed"
        status = DeliveryStatus.IGNORED if outcome.startswith("ignored") else DeliveryStatus.PROCESSED
        GithubWebhookDelivery.objects.filter(pk=delivery_pk).update(status=status, error="", processed_at=timezone.now())
        return outcome
    except Exception as exc:  # noqa: BLE001 - one bad delivery must not poison the queue; it is recorded
        logger.exception("GitHub delivery %s (%s) failed", delivery.delivery_id, delivery.event)
        GithubWebhookDelivery.objects.filter(pk=delivery_pk).update(
            status=DeliveryStatus.FAILED, error=f"{exc.__class__.__name__}: {exc}"[:2000], processed_at=timezone.now()
        )
        return "failed"
