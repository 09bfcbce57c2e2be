"""Entitlements: the organisation's effective plan and the checks every limit goes through.

The rules, in order:

1. a staff override (with its reason) wins;
2. an organisation with a Stripe subscription gets the subscribed plan while the subscription is
   ``active`` or ``trialing``, keeps it for ``BILLING_PAST_DUE_GRACE_DAYS`` while ``past_due``, and
   falls back to free when it is canceled, unpaid, incomplete, incomplete_expired or paused;
3. an organisation that has never subscribed runs on ``Organization.plan`` (free unless
   provisioning or staff set it).

``Organization.plan`` is also kept as a label of the effective plan by ``billing.services``.
An organisation that has no Stripe customer and no billing row costs no query here: the label is
its plan (a staff override is written to the label too), which keeps the per-request rate-limit
check free for self-hosted installs without Stripe.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.utils import timezone

from billing.models import PAID_STATUSES, BillingAccount, SubscriptionStatus
from billing.plans import Plan, get_plan

if TYPE_CHECKING:
    from accounts.models import Organization


@dataclass(frozen=True)
class PlanDecision:
    plan: Plan
    # "override" | "subscription" | "grace" | "lapsed" | "default"
    source: str
    grace_ends_at: datetime | None = None


def billing_account_of(org: Organization) -> BillingAccount | None:
    """The organisation's billing row, or None; cached on the instance (one query at most)."""
    try:
        return org.billing_account
    except BillingAccount.DoesNotExist:
        return None


def _needs_lookup(org: Organization) -> bool:
    # A row already loaded (or known absent) on this instance costs nothing to consult.
    if type(org).billing_account.related.is_cached(org):
        return True
    return bool(org.stripe_customer_id)


def plan_decision(org: Organization, *, now: datetime | None = None) -> PlanDecision:
    """Which plan applies to ``org`` now, and why."""
    account = billing_account_of(org) if _needs_lookup(org) else None
    if account is None:
        return PlanDecision(get_plan(org.plan), "default")
    if account.override_plan:
        return PlanDecision(get_plan(account.override_plan), "override")
    if not account.has_subscription:
        return PlanDecision(get_plan(org.plan), "default")
    if account.status in PAID_STATUSES:
        return PlanDecision(get_plan(account.subscribed_plan), "subscription")
    if account.status == SubscriptionStatus.PAST_DUE:
        ends = account.grace_ends_at()
        if ends is not None and (now or timezone.now()) < ends:
            return PlanDecision(get_plan(account.subscribed_plan), "grace", grace_ends_at=ends)
    return PlanDecision(get_plan("free"), "lapsed", grace_ends_at=account.grace_ends_at())


def effective_plan(org: Organization) -> Plan:
    """The plan whose limits apply to ``org`` now."""
    return plan_decision(org).plan


def has_feature(org: Organization, feature: str) -> bool:
    return feature in effective_plan(org).features


def seat_limit(org: Organization) -> int | None:
    """Seats allowed: the seats bought while the subscription applies, else the plan's (None = unlimited)."""
    decision = plan_decision(org)
    account = billing_account_of(org) if decision.source in ("subscription", "grace") else None
    if account is not None and account.seats:
        return account.seats
    return decision.plan.seats
