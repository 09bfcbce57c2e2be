"""django-q2 tasks of the findings app (thin: call one service)."""

from __future__ import annotations

from findings.services import findings_reopen_expired


def reopen_expired_acceptances() -> int:
    """Hourly (schedule created by migration 0003): reopen accepted findings past their expiry."""
    return findings_reopen_expired()
