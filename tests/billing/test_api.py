"""Billing API: public plans, subscription and usage, checkout and portal against a Stripe stand-in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from billing.models import BillingAccount
from repotoire.api.ratelimit import check_analysis_rate
from tests.billing.stripe_stub import PRICE_PRO, form_params, stripe_error
from tests.factories import MembershipFactory, RepositoryFactory

pytestmark = pytest.mark.django_db

CHECKOUT = {
    "plan": "pro",
    "seats": 5,
    "success_url": "http://localhost:3000/billing/ok",
    "cancel_url": "http://localhost:3000/billing",
}
PORTAL = {"return_url": "https://127.0.0.1/settings/billing"}


def test_plans_are_public_with_limits_prices_and_no_rate_headers(anon, fake_stripe):
    response = anon.get("/api/v1/billing/plans")
    assert response.status_code == 200
    assert "X-RateLimit-Limit" not in response
    plans = {p["id"]: p for p in response.json()["plans"]}
    assert list(plans) == ["free", "pro", "enterprise"]
    assert plans["free"]["limits"] == {
        "api_calls_per_minute": 60,
        "analyses_per_hour": 2,
        "concurrent_analyses": 1,
        "repositories": 3,
        "seats": 3,
        "webhook_retries": 3,
        "delivery_history_days": 3,
    }
    assert plans["enterprise"]["limits"]["analyses_per_hour"] is None
    assert plans["enterprise"]["limits"]["api_calls_per_minute"] == 1000
    assert plans["pro"]["monthly_price_usd"] == 49 and plans["pro"]["stripe_price_id"] == PRICE_PRO
    assert plans["pro"]["purchasable"] is True and plans["free"]["purchasable"] is False
    assert "auto_fix_llm" in plans["pro"]["features"] and "auto_fix_llm" not in plans["free"]["features"]


def test_plans_without_stripe_are_listed_but_not_purchasable(anon):
    plans = anon.get("/api/v1/billing/plans").json()["plans"]
    assert [p["purchasable"] for p in plans] == [False, False, False]


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/api/v1/billing/subscription"), ("post", "/api/v1/billing/checkout"), ("post", "/api/v1/billing/portal")],
)
def test_anonymous_gets_401_on_billing_routes(anon, method, path):
    response = getattr(anon, method)(path, {}, format="json")
    assert response.status_code == 401
    assert response.json()["error_code"] == "UNAUTHORIZED"


def test_subscription_without_one_shows_the_default_plan_and_usage(org, owner, member):
    org.plan = "free"
    org.save()
    check_analysis_rate(org)
    owner.client.get("/api/v1/me")
    body = owner.client.get("/api/v1/billing/subscription").json()
    assert body["plan"] == "free" and body["plan_source"] == "default"
    assert body["status"] is None and body["seats"] is None and body["override"] is None
    assert body["billing_configured"] is False
    usage = body["usage"]
    assert usage["analyses_this_hour"]["used"] == 1 and usage["analyses_this_hour"]["limit"] == 2
    # /me and this request itself.
    assert usage["api_calls_this_minute"] == {"used": 2, "limit": 60, "resets_at": usage["api_calls_this_minute"]["resets_at"]}
    assert usage["repositories"] == {"used": 0, "limit": 3}
    assert usage["seats"] == {"used": 2, "limit": 3}


def test_subscription_shows_the_subscribed_plan_seats_and_repositories(org, owner):
    org.stripe_customer_id = "cus_acme"
    org.plan = "free"
    org.save()
    ends = timezone.now() + timedelta(days=20)
    BillingAccount.objects.create(
        organization=org,
        subscribed_plan="enterprise",
        status="active",
        seats=12,
        current_period_end=ends,
        cancel_at_period_end=True,
        stripe_subscription_id="sub_1",
    )
    RepositoryFactory(organization=org)
    body = owner.client.get("/api/v1/billing/subscription").json()
    assert body["plan"] == "enterprise" and body["plan_source"] == "subscription"
    assert body["status"] == "active" and body["subscribed_plan"] == "enterprise" and body["seats"] == 12
    assert body["cancel_at_period_end"] is True and body["current_period_end"].startswith(ends.date().isoformat())
    assert body["usage"]["analyses_this_hour"] == {"used": None, "limit": None, "resets_at": None}
    assert body["usage"]["api_calls_this_minute"]["limit"] == 1000
    assert body["usage"]["repositories"] == {"used": 1, "limit": None}
    assert body["usage"]["seats"] == {"used": 1, "limit": 12}


def test_subscription_is_always_the_callers_organisation(org, owner, outsider):
    org.stripe_customer_id = "cus_acme"
    org.save()
    BillingAccount.objects.create(organization=org, subscribed_plan="enterprise", status="active", seats=3)
    outsider.organization.plan = "free"
    outsider.organization.save()
    assert owner.client.get("/api/v1/billing/subscription").json()["plan"] == "enterprise"
    theirs = outsider.client.get("/api/v1/billing/subscription").json()
    assert theirs["plan"] == "free" and theirs["status"] is None and theirs["usage"]["seats"]["used"] == 1


@pytest.mark.parametrize(("path", "body"), [("/api/v1/billing/checkout", CHECKOUT), ("/api/v1/billing/portal", PORTAL)])
def test_without_stripe_checkout_and_portal_are_503_billing_not_configured(owner, path, body):
    response = owner.client.post(path, body, format="json")
    assert response.status_code == 503
    assert response.json()["error_code"] == "BILLING_NOT_CONFIGURED"


@pytest.mark.parametrize("persona", ["member", "viewer"])
@pytest.mark.parametrize(("path", "body"), [("/api/v1/billing/checkout", CHECKOUT), ("/api/v1/billing/portal", PORTAL)])
def test_members_and_viewers_get_403_on_checkout_and_portal(request, fake_stripe, persona, path, body):
    client = request.getfixturevalue(persona).client
    response = client.post(path, body, format="json")
    assert response.status_code == 403
    assert response.json()["error_code"] == "FORBIDDEN"
    assert fake_stripe.requests == []


def test_checkout_creates_the_customer_once_and_a_subscription_session(org, owner, fake_stripe):
    response = owner.client.post("/api/v1/billing/checkout", CHECKOUT, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["session_id"].startswith("cs_") and body["checkout_url"].endswith(body["session_id"])

    org.refresh_from_db()
    [customer_call] = fake_stripe.requests_to("POST", "/v1/customers")
    customer = fake_stripe.get(org.stripe_customer_id)
    assert customer["metadata"]["organization_id"] == str(org.pk)
    assert customer_call.headers["Idempotency-Key"] == f"repotoire-customer-{org.pk}"

    [session_call] = fake_stripe.requests_to("POST", "/v1/checkout/sessions")
    params = form_params(session_call.body)
    assert params["mode"] == "subscription"
    assert params["customer"] == org.stripe_customer_id
    assert params["client_reference_id"] == str(org.pk)
    assert params["line_items[0][price]"] == PRICE_PRO and params["line_items[0][quantity]"] == "5"
    assert params["subscription_data[metadata][organization_id]"] == str(org.pk)
    assert params["success_url"] == CHECKOUT["success_url"]

    assert owner.client.post("/api/v1/billing/checkout", {**CHECKOUT, "plan": "enterprise"}, format="json").status_code == 200
    assert len(fake_stripe.requests_to("POST", "/v1/customers")) == 1
    assert len(fake_stripe.requests_to("POST", "/v1/checkout/sessions")) == 2


def test_admins_may_check_out_and_seats_default_to_the_members(org, admin_user, member, fake_stripe):
    body = {k: v for k, v in CHECKOUT.items() if k != "seats"}
    assert admin_user.client.post("/api/v1/billing/checkout", body, format="json").status_code == 200
    [call] = fake_stripe.requests_to("POST", "/v1/checkout/sessions")
    assert form_params(call.body)["line_items[0][quantity]"] == "2"


def test_a_retry_after_a_stripe_failure_reuses_the_customer(org, owner, fake_stripe):
    fake_stripe.fail_next = [
        stripe_error(400, "", code="ignored"),
    ]
    # The first customer call fails at Stripe: nothing is stored, the API answers 503.
    response = owner.client.post("/api/v1/billing/checkout", CHECKOUT, format="json")
    assert response.status_code == 503 and response.json()["error_code"] == "SERVICE_UNAVAILABLE"
    org.refresh_from_db()
    assert org.stripe_customer_id is None
    assert owner.client.post("/api/v1/billing/checkout", CHECKOUT, format="json").status_code == 200
    org.refresh_from_db()
    assert org.stripe_customer_id is not None
    assert sum(1 for o in fake_stripe.objects.values() if o["object"] == "customer") == 1


@pytest.mark.parametrize(
    ("field", "url"),
    [
        ("success_url", "https://evil.example.com/phish"),
        ("success_url", "https://localhost.evil.example.com/"),
        ("cancel_url", "http://user:pw@localhost/x"),
        ("cancel_url", "ftp://localhost/x"),
        ("success_url", "/relative/path"),
    ],
)
def test_checkout_refuses_redirects_outside_the_allowed_hosts(owner, fake_stripe, field, url):
    response = owner.client.post("/api/v1/billing/checkout", {**CHECKOUT, field: url}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["error_code"] == "VALIDATION_ERROR" and field in body["fields"]
    assert fake_stripe.requests == []


def test_portal_refuses_a_foreign_return_url(org, owner, fake_stripe):
    org.stripe_customer_id = "cus_x"
    org.save()
    response = owner.client.post("/api/v1/billing/portal", {"return_url": "https://evil.example.com"}, format="json")
    assert response.status_code == 400 and "return_url" in response.json()["fields"]


def test_allowed_host_setting_takes_subdomain_wildcards(owner, fake_stripe, settings):
    settings.BILLING_ALLOWED_REDIRECT_HOSTS = [".repotoire.io"]
    ok = {**CHECKOUT, "success_url": "https://app.repotoire.io/ok", "cancel_url": "https://repotoire.io/billing"}
    assert owner.client.post("/api/v1/billing/checkout", ok, format="json").status_code == 200
    bad = {**ok, "cancel_url": "https://repotoire.io.evil.com/"}
    assert owner.client.post("/api/v1/billing/checkout", bad, format="json").status_code == 400


def test_checkout_validates_plan_and_seats(owner, fake_stripe):
    assert owner.client.post("/api/v1/billing/checkout", {**CHECKOUT, "plan": "free"}, format="json").status_code == 400
    response = owner.client.post("/api/v1/billing/checkout", {**CHECKOUT, "seats": 26}, format="json")
    assert response.status_code == 400 and "seats" in response.json()["fields"]


def test_checkout_of_a_plan_without_a_price_is_503(owner, fake_stripe, settings):
    settings.STRIPE_PRICE_ENTERPRISE = ""
    response = owner.client.post("/api/v1/billing/checkout", {**CHECKOUT, "plan": "enterprise"}, format="json")
    assert response.status_code == 503 and response.json()["error_code"] == "BILLING_NOT_CONFIGURED"


def test_checkout_is_refused_while_a_subscription_is_live(org, owner, fake_stripe):
    org.stripe_customer_id = "cus_acme"
    org.save()
    BillingAccount.objects.create(organization=org, subscribed_plan="pro", status="past_due", stripe_subscription_id="sub_1")
    response = owner.client.post("/api/v1/billing/checkout", CHECKOUT, format="json")
    assert response.status_code == 409 and response.json()["error_code"] == "CONFLICT"
    assert "customer portal" in response.json()["detail"]


def test_portal_opens_a_session_for_the_organisations_customer(org, owner, fake_stripe):
    customer = fake_stripe.add_customer(org)
    org.stripe_customer_id = customer["id"]
    org.save()
    response = owner.client.post("/api/v1/billing/portal", PORTAL, format="json")
    assert response.status_code == 200
    assert response.json()["portal_url"].startswith("https://billing.stripe.com/p/session/")
    [call] = fake_stripe.requests_to("POST", "/v1/billing_portal/sessions")
    assert form_params(call.body) == {"customer": customer["id"], "return_url": PORTAL["return_url"]}


def test_portal_before_any_checkout_is_409(owner, fake_stripe):
    response = owner.client.post("/api/v1/billing/portal", PORTAL, format="json")
    assert response.status_code == 409 and response.json()["error_code"] == "CONFLICT"
    assert "checkout" in response.json()["detail"]


def test_seat_usage_leaves_out_service_principals(org, owner):
    from accounts.services import service_user_for

    service_user_for(org)
    MembershipFactory(organization=org)
    assert owner.client.get("/api/v1/billing/subscription").json()["usage"]["seats"]["used"] == 2


def test_subscription_shows_a_staff_override_without_stripe(org, owner):
    from billing.services import billing_override_set

    billing_override_set(organization=org, plan="enterprise", reason="Design partner", by=None)
    body = owner.client.get("/api/v1/billing/subscription").json()
    assert (body["plan"], body["plan_source"]) == ("enterprise", "override")
    assert body["override"]["plan"] == "enterprise" and body["override"]["reason"] == "Design partner"
    assert owner.client.get("/api/v1/me")["X-RateLimit-Limit"] == "1000"


def test_subscription_costs_a_bounded_number_of_queries(org, owner, django_assert_max_num_queries):
    org.stripe_customer_id = "cus_acme"
    org.save()
    BillingAccount.objects.create(organization=org, subscribed_plan="pro", status="active", seats=4)
    RepositoryFactory.create_batch(3, organization=org)
    MembershipFactory.create_batch(3, organization=org)
    owner.client.get("/api/v1/billing/subscription")  # the key's last_used_at is written once a minute
    with django_assert_max_num_queries(10) as captured:
        assert owner.client.get("/api/v1/billing/subscription").status_code == 200
    assert sum("billing_billingaccount" in q["sql"] for q in captured.captured_queries) == 1
