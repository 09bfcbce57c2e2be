"""dj-stripe webhook signals → billing services.

dj-stripe verifies the signature, stores the Event (a replayed event id is not processed again),
runs its own handlers (which re-fetch the objects from the Stripe API and sync its tables), then
sends ``WEBHOOK_SIGNALS[event.type]``; these receivers run inside that same transaction, so a
failure rolls everything back and Stripe retries the delivery.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from djstripe.models import Event, WebhookEventTrigger
from djstripe.signals import WEBHOOK_SIGNALS, webhook_pre_validate

from billing import services


def on_billing_event(sender: Any, event: Event, **kwargs: Any) -> None:
    data = event.data or {}
    created = event.created or services.from_unix(data.get("created")) or timezone.now()
    services.billing_event_apply(event_id=event.id, event_type=event.type, created=created, obj=data.get("object") or {})


def drop_secret_override_header(sender: Any, instance: WebhookEventTrigger, **kwargs: Any) -> None:
    """With DEBUG on, dj-stripe verifies against a secret taken from the request's
    ``X-Djstripe-Webhook-Secret`` header (meant for ``stripe listen``), which would let anyone
    sign their own events on a development server reachable from outside. Drop it."""
    instance.headers = {k: v for k, v in (instance.headers or {}).items() if k.lower() != "x-djstripe-webhook-secret"}


def connect() -> None:
    webhook_pre_validate.connect(drop_secret_override_header, sender=WebhookEventTrigger, dispatch_uid="billing:no-secret-header")
    for event_type in services.HANDLED_EVENTS:
        WEBHOOK_SIGNALS[event_type].connect(on_billing_event, sender=Event, dispatch_uid=f"billing:{event_type}")
