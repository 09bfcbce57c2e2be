"""django-q2 tasks: thin wrappers that take ids and call one service."""

from __future__ import annotations

from webhooks import services


def deliver(delivery_id: str) -> str:
    """Make the next attempt of one delivery (no-op if another worker claimed it)."""
    return services.delivery_attempt(delivery_id=delivery_id)
