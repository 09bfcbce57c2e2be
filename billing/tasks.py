"""django-q2 tasks of the billing app (thin: one service call each)."""

from __future__ import annotations

from billing.services import billing_grace_sweep


def billing_grace_sweep_task() -> int:
    return billing_grace_sweep()
