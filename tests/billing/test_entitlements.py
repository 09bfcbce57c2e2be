"""effective_plan: staff override, subscription statuses, past_due grace, the no-Stripe fast path."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from accounts.models import Organization
from billing import services
from billing.entitlements import effective_plan, has_feature, plan_decision, seat_limit
from billing.models import BillingAccount
from billing.plans import FEATURE_LLM_FIXES
from repotoire.api.exceptions import ValidationFailed
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def subscribed(org, *, status="active", plan="pro", seats=5, past_due_days=None) -> Organization:
    Organization.objects.filter(pk=org.pk).update(stripe_customer_id=f"cus_{org.slug}", plan="free")
    BillingAccount.objects.update_or_create(
        organization=org,
        defaults={
            "status": status,
            "subscribed_plan": plan,
            "seats": seats,
            "stripe_subscription_id": "sub_1",
            "past_due_since": timezone.now() - timedelta(days=past_due_days) if past_due_days is not None else None,
        },
    )
    return Organization.objects.get(pk=org.pk)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("active", "pro"),
        ("trialing", "pro"),
        ("canceled", "free"),
        ("unpaid", "free"),
        ("incomplete", "free"),
        ("incomplete_expired", "free"),
        ("paused", "free"),
    ],
)
def test_subscription_status_decides_the_plan(org, status, expected):
    assert effective_plan(subscribed(org, status=status)).id == expected


@pytest.mark.parametrize(("days", "expected", "source"), [(0, "pro", "grace"), (6, "pro", "grace"), (8, "free", "lapsed")])
def test_past_due_keeps_the_plan_for_the_grace_period(org, days, expected, source):
    decision = plan_decision(subscribed(org, status="past_due", past_due_days=days))
    assert (decision.plan.id, decision.source) == (expected, source)


def test_the_grace_period_follows_the_setting(org, settings):
    settings.BILLING_PAST_DUE_GRACE_DAYS = 1
    assert effective_plan(subscribed(org, status="past_due", past_due_days=2)).id == "free"
    settings.BILLING_PAST_DUE_GRACE_DAYS = 3
    assert effective_plan(subscribed(org, status="past_due", past_due_days=2)).id == "pro"


def test_without_any_billing_the_organisation_plan_applies_at_no_query_cost(org, django_assert_num_queries):
    org.plan = "enterprise"
    org.save()
    with django_assert_num_queries(0):
        assert effective_plan(org).id == "enterprise"
        assert has_feature(org, FEATURE_LLM_FIXES)


def test_a_customer_without_a_subscription_keeps_its_organisation_plan(org):
    Organization.objects.filter(pk=org.pk).update(stripe_customer_id="cus_1", plan="pro")
    fresh = Organization.objects.get(pk=org.pk)
    assert plan_decision(fresh).source == "default" and effective_plan(fresh).id == "pro"


def test_a_staff_override_wins_and_records_who_when_and_why(org):
    staff = UserFactory(is_staff=True)
    fresh = subscribed(org, status="canceled")
    account = services.billing_override_set(organization=fresh, plan="enterprise", reason="Design partner", by=staff)
    assert (account.override_by, account.override_reason) == (staff, "Design partner")
    assert account.override_at is not None
    again = Organization.objects.get(pk=org.pk)
    assert plan_decision(again).source == "override" and effective_plan(again).id == "enterprise"
    assert again.plan == "enterprise"  # the label follows


def test_an_override_on_an_organisation_without_stripe_applies_and_clears(org):
    org.plan = "free"
    org.save()
    services.billing_override_set(organization=org, plan="pro", reason="Open-source project", by=None)
    fresh = Organization.objects.get(pk=org.pk)
    assert effective_plan(fresh).id == "pro"
    services.billing_override_clear(organization=fresh)
    cleared = Organization.objects.get(pk=org.pk)
    assert effective_plan(cleared).id == "free"
    assert BillingAccount.objects.get(organization=org).override_by is None


def test_clearing_an_override_returns_to_the_subscription(org):
    fresh = subscribed(org, status="active", plan="pro")
    services.billing_override_set(organization=fresh, plan="free", reason="Abuse investigation", by=None)
    assert effective_plan(Organization.objects.get(pk=org.pk)).id == "free"
    services.billing_override_clear(organization=Organization.objects.get(pk=org.pk))
    assert effective_plan(Organization.objects.get(pk=org.pk)).id == "pro"


def test_an_override_needs_a_reason(org):
    with pytest.raises(ValidationFailed):
        services.billing_override_set(organization=org, plan="pro", reason="  ", by=None)
    with pytest.raises(IntegrityError):
        BillingAccount.objects.create(organization=org, override_plan="pro", override_reason="")


def test_seat_limit_is_the_seats_bought_while_subscribed(org):
    assert seat_limit(subscribed(org, status="active", plan="pro", seats=9)) == 9
    assert seat_limit(subscribed(org, status="canceled", plan="pro", seats=9)) == 3  # free plan's seats


def test_plan_for_subscription_reads_the_price_then_the_metadata(settings):
    settings.STRIPE_PRICE_PRO = "price_pro"
    by_price = {"items": {"data": [{"price": {"id": "price_pro"}, "quantity": 1}]}, "metadata": {"plan": "enterprise"}}
    assert services.plan_for_subscription(by_price) == "pro"
    by_metadata = {"items": {"data": [{"price": {"id": "price_other"}}]}, "metadata": {"plan": "enterprise"}}
    assert services.plan_for_subscription(by_metadata) == "enterprise"
    assert services.plan_for_subscription({"items": {"data": []}, "metadata": {"plan": "free"}}) is None


def test_the_grace_sweep_relabels_lapsed_organisations_and_announces_it_once(org, django_capture_on_commit_callbacks):
    from billing.tasks import billing_grace_sweep_task
    from webhooks import crypto
    from webhooks.models import WebhookDelivery, WebhookEndpoint

    WebhookEndpoint.objects.create(
        organization=org,
        name="billing",
        url="https://hooks.example.com/in",
        events=["billing.plan_changed"],
        secret_encrypted=crypto.encrypt("whsec_customer"),
        secret_hint="whsec_cu",
    )
    subscribed(org, status="past_due", plan="pro", past_due_days=8)
    in_grace = subscribed(OrganizationFactory(plan="free"), status="past_due", plan="pro", past_due_days=1)
    Organization.objects.filter(pk__in=[org.pk, in_grace.pk]).update(plan="pro")  # labels as the last event left them

    with django_capture_on_commit_callbacks(execute=True):
        assert billing_grace_sweep_task() == 1
    assert Organization.objects.get(pk=org.pk).plan == "free"
    assert Organization.objects.get(pk=in_grace.pk).plan == "pro"
    [delivery] = WebhookDelivery.objects.filter(organization=org, event_type="billing.plan_changed")
    assert '"previous_plan":"pro"' in delivery.body.replace(" ", "") and '"current_plan":"free"' in delivery.body.replace(" ", "")
    with django_capture_on_commit_callbacks(execute=True):
        assert billing_grace_sweep_task() == 0
    assert WebhookDelivery.objects.filter(event_type="billing.plan_changed").count() == 1
