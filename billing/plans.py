"""The plans and their limits: the single source of every limit in the product.

Read them through ``billing.entitlements`` (which knows the organisation's effective plan),
never by looking at ``Organization.plan`` directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings

UNLIMITED: int | None = None


@dataclass(frozen=True)
class Plan:
    id: str
    name: str
    api_calls_per_minute: int
    analyses_per_hour: int | None  # None = unlimited
    concurrent_analyses: int
    repositories: int | None
    seats: int | None
    webhook_retries: int
    delivery_history_days: int
    monthly_price_usd: int
    features: frozenset[str] = field(default_factory=frozenset)

    @property
    def stripe_price_id(self) -> str:
        return {"pro": settings.STRIPE_PRICE_PRO, "enterprise": settings.STRIPE_PRICE_ENTERPRISE}.get(self.id, "")


FEATURE_LLM_FIXES = "auto_fix_llm"
FEATURE_CODE_ASK = "code_ask"
FEATURE_CUSTOMER_WEBHOOKS = "customer_webhooks"
FEATURE_QUALITY_GATES = "github_quality_gates"

PLANS: dict[str, Plan] = {
    "free": Plan(
        id="free",
        name="Free",
        api_calls_per_minute=60,
        analyses_per_hour=2,
        concurrent_analyses=1,
        repositories=3,
        seats=3,
        webhook_retries=3,
        delivery_history_days=3,
        monthly_price_usd=0,
        features=frozenset({FEATURE_CUSTOMER_WEBHOOKS}),
    ),
    "pro": Plan(
        id="pro",
        name="Pro",
        api_calls_per_minute=300,
        analyses_per_hour=20,
        concurrent_analyses=3,
        repositories=50,
        seats=25,
        webhook_retries=5,
        delivery_history_days=30,
        monthly_price_usd=49,
        features=frozenset({FEATURE_LLM_FIXES, FEATURE_CODE_ASK, FEATURE_CUSTOMER_WEBHOOKS, FEATURE_QUALITY_GATES}),
    ),
    "enterprise": Plan(
        id="enterprise",
        name="Enterprise",
        api_calls_per_minute=1000,
        analyses_per_hour=UNLIMITED,
        concurrent_analyses=10,
        repositories=UNLIMITED,
        seats=UNLIMITED,
        webhook_retries=8,
        delivery_history_days=90,
        monthly_price_usd=499,
        features=frozenset({FEATURE_LLM_FIXES, FEATURE_CODE_ASK, FEATURE_CUSTOMER_WEBHOOKS, FEATURE_QUALITY_GATES}),
    ),
}
PLAN_CHOICES = [(p.id, p.name) for p in PLANS.values()]
PAID_PLAN_CHOICES = [(p.id, p.name) for p in PLANS.values() if p.monthly_price_usd > 0]


def get_plan(plan_id: str) -> Plan:
    return PLANS.get(plan_id, PLANS["free"])
