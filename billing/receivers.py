"""dj-stripe webhook signals → billing services.

dj-stripe verifies the signature, stores the Event (a replayed event id is not processed again),
runs its own handlers (which re-fetch the objects from the Stripe API and sync its tables), then
sends ``WEBHOOK_SIGNALS[event.type]``; these receivers run inside that same transaction, so a
failure rolls everything back and Stripe retries the delivery.
"""

from __future__ import annotations

from typing import Any

from djstripe.models import Event
from djstripe.signals import WEBHOOK_SIGNALS

from billing import services


def on_billing_event(sender: Any, event: Event, **kwargs: Any) -> None:
    data = event.data or {}
    created = event.created or services.from_unix(data.get("created"))
    services.billing_event_apply(event_id=event.id, event_type=event.type, created=created, obj=data.get("object") or {})


def connect() -> None:
    for event_type in services.HANDLED_EVENTS:
        WEBHOOK_SIGNALS[event_type].connect(on_billing_event, sender=Event, dispatch_uid=f"billing:{event_type}")
