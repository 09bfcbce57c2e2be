"""Composite reads: the plans table and an organisation's subscription with usage and limits."""

from __future__ import annotations

from typing import Any

from django.apps import apps

from accounts.models import Organization
from billing import stripe_api
from billing.entitlements import billing_account_of, plan_decision, seat_limit
from billing.plans import PLANS, Plan
from repotoire.api.ratelimit import analysis_usage, api_usage


def plan_as_dict(plan: Plan) -> dict[str, Any]:
    return {
        "id": plan.id,
        "name": plan.name,
        "monthly_price_usd": plan.monthly_price_usd,
        "currency": "usd",
        "purchasable": bool(plan.stripe_price_id) and stripe_api.billing_configured(),
        "stripe_price_id": plan.stripe_price_id or None,
        "limits": {
            "api_calls_per_minute": plan.api_calls_per_minute,
            "analyses_per_hour": plan.analyses_per_hour,
            "concurrent_analyses": plan.concurrent_analyses,
            "repositories": plan.repositories,
            "seats": plan.seats,
            "webhook_retries": plan.webhook_retries,
            "delivery_history_days": plan.delivery_history_days,
        },
        "features": sorted(plan.features),
    }


def plans_list() -> list[dict[str, Any]]:
    return [plan_as_dict(plan) for plan in PLANS.values()]


def _repository_count(org: Organization) -> int:
    try:
        repository = apps.get_model("analysis", "Repository")
    except LookupError:
        return 0
    return repository.objects.filter(organization=org).count()


def subscription_overview(org: Organization) -> dict[str, Any]:
    """What ``GET /billing/subscription`` shows: the effective plan, why, the subscription, usage."""
    # Loaded first so that the decision below consults it (an override shows even without Stripe).
    account = billing_account_of(org)
    decision = plan_decision(org)
    plan = decision.plan
    sub = account if account is not None and account.has_subscription else None
    analyses = analysis_usage(org, increment=False)
    calls = api_usage(org, increment=False)
    return {
        "plan": plan.id,
        "plan_name": plan.name,
        "plan_source": decision.source,
        "status": sub.status if sub else None,
        "subscribed_plan": sub.subscribed_plan if sub else None,
        "seats": sub.seats if sub else None,
        "current_period_end": sub.current_period_end if sub else None,
        "cancel_at_period_end": sub.cancel_at_period_end if sub else False,
        "grace_period_ends_at": decision.grace_ends_at,
        "override": (
            {"plan": account.override_plan, "reason": account.override_reason, "at": account.override_at}
            if account is not None and account.override_plan
            else None
        ),
        "billing_configured": stripe_api.billing_configured(),
        "limits": plan_as_dict(plan)["limits"],
        "features": sorted(plan.features),
        "usage": {
            "analyses_this_hour": {
                "used": analyses.count if analyses else None,
                "limit": analyses.limit if analyses else None,
                "resets_at": analyses.reset if analyses else None,
            },
            "api_calls_this_minute": {"used": calls.count, "limit": calls.limit, "resets_at": calls.reset},
            "repositories": {"used": _repository_count(org), "limit": plan.repositories},
            "seats": {"used": org.memberships.filter(user__is_service=False).count(), "limit": seat_limit(org)},
        },
    }
