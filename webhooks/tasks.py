"""django-q2 tasks: thin wrappers that take ids and call one service."""

from __future__ import annotations

from webhooks import services


def deliver(delivery_id: str) -> str:
    """Make the next attempt of one delivery (no-op if it is not due or another worker has it)."""
    return services.delivery_attempt(delivery_id=delivery_id)


def deliver_due() -> int:
    """Every minute: enqueue due retries and deliveries a dead worker left behind."""
    return services.deliveries_enqueue_due()


def cleanup_deliveries() -> int:
    """Daily: drop delivery history older than each organisation's plan keeps."""
    return services.deliveries_cleanup()
