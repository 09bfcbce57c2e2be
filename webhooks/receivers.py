"""Events of the apps below webhooks in the app order, turned into customer webhooks."""

from __future__ import annotations

from typing import Any

from accounts.models import Organization
from billing.signals import plan_changed
from webhooks.services import BILLING_PLAN_CHANGED, webhook_emit_on_commit


def on_plan_changed(
    sender: Any, *, organization: Organization, previous_plan: str, current_plan: str, subscription_status: str, **kwargs: Any
) -> None:
    webhook_emit_on_commit(
        organization=organization,
        event_type=BILLING_PLAN_CHANGED,
        data={"previous_plan": previous_plan, "current_plan": current_plan, "subscription_status": subscription_status or None},
    )


def connect() -> None:
    plan_changed.connect(on_plan_changed, dispatch_uid="webhooks:billing.plan_changed")
