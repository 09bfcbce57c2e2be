from __future__ import annotations

from typing import Any

from webhooks import services
from webhooks.models import WebhookEndpoint


def create_endpoint(org: Any, url: str, *, events: list[str] | None = None, **kwargs: Any) -> tuple[WebhookEndpoint, str]:
    return services.webhook_endpoint_create(
        organization=org, created_by=None, name="ci", url=url, events=events or ["analysis.completed"], **kwargs
    )
