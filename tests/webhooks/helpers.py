from __future__ import annotations

from typing import Any

from webhooks import services
from webhooks.models import WebhookEndpoint


def create_endpoint(org: Any, url: str, *, events: list[str] | None = None, **kwargs: Any) -> tuple[WebhookEndpoint, str]:
    return services.webhook_endpoint_create(
        organization=org, created_by=None, name="ci", url=url, events=events or ["analysis.completed"], **kwargs
    )


def assert_documented_shape(event_type: str, data: dict[str, Any]) -> None:
    """``data`` as really sent has exactly the keys of the documented example (README and
    OpenAPI come from ``webhooks.events``), nested objects included; list items are compared with
    the example's first item."""
    from webhooks.events import EVENT_EXAMPLES

    def compare(sent: Any, documented: Any, where: str) -> None:
        if isinstance(documented, dict):
            assert isinstance(sent, dict), f"{where}: {sent!r} is not an object"
            assert set(sent) == set(documented), f"{where}: sent {sorted(sent)}, documented {sorted(documented)}"
            for key, value in documented.items():
                compare(sent[key], value, f"{where}.{key}")
        elif isinstance(documented, list) and documented:
            assert isinstance(sent, list), f"{where}: {sent!r} is not a list"
            for i, item in enumerate(sent):
                compare(item, documented[0], f"{where}[{i}]")

    compare(data, EVENT_EXAMPLES[event_type], event_type)
