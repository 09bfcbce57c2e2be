"""Stripe events through dj-stripe's webhook endpoint: signed for real, re-fetched from the stand-in."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from djstripe import models as djstripe_models

from accounts.models import Organization
from billing.entitlements import effective_plan
from billing.models import BillingAccount
from tests.billing.stripe_stub import PRICE_ENTERPRISE, PRICE_PRO, stripe_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(org, fake_stripe):
    """``org`` as checkout leaves it: a Stripe customer recorded, no subscription yet, free."""
    cus = fake_stripe.add_customer(org)
    Organization.objects.filter(pk=org.pk).update(stripe_customer_id=cus["id"], plan="free")
    org.refresh_from_db()
    return cus["id"]


def plan_of(org) -> str:
    return effective_plan(Organization.objects.get(pk=org.pk)).id


def test_signed_subscription_created_upgrades_the_plan_and_dj_stripe_syncs(org, customer, fake_stripe, post_event, owner):
    assert owner.client.get("/api/v1/me")["X-RateLimit-Limit"] == "60"
    sub = fake_stripe.subscription(customer=customer, price=PRICE_PRO, quantity=7)
    response = post_event(fake_stripe.event("customer.subscription.created", sub))
    assert response.status_code == 200, response.content

    account = BillingAccount.objects.get(organization=org)
    assert (account.subscribed_plan, account.status, account.seats) == ("pro", "active", 7)
    assert account.stripe_subscription_id == sub["id"]
    assert account.current_period_end.timestamp() == sub["items"]["data"][0]["current_period_end"]
    org.refresh_from_db()
    assert org.plan == "pro" and plan_of(org) == "pro"
    assert owner.client.get("/api/v1/me")["X-RateLimit-Limit"] == "300"
    # dj-stripe re-fetched the subscription (through the same stand-in) and synced its tables.
    assert fake_stripe.requests_to("GET", f"/v1/subscriptions/{sub['id']}")
    assert djstripe_models.Subscription.objects.get(id=sub["id"]).customer.id == customer
    assert djstripe_models.Event.objects.filter(type="customer.subscription.created").count() == 1


def test_checkout_completed_links_the_customer_and_applies_the_subscription(org, fake_stripe, post_event):
    org.plan = "free"
    org.save()
    cus = fake_stripe.add_customer(org)
    sub = fake_stripe.subscription(customer=cus["id"], price=PRICE_ENTERPRISE, quantity=30)
    session = fake_stripe.checkout_session_completed(customer=cus["id"], subscription=sub["id"], organization=org)
    assert post_event(fake_stripe.event("checkout.session.completed", session)).status_code == 200
    org.refresh_from_db()
    assert org.stripe_customer_id == cus["id"]
    assert plan_of(org) == "enterprise"
    assert BillingAccount.objects.get(organization=org).seats == 30


@pytest.mark.parametrize(
    "tamper",
    ["wrong_secret", "edited_body", "garbage_header", "missing_header", "stale_timestamp"],
)
def test_bad_or_stale_signatures_are_400_and_change_nothing(org, customer, fake_stripe, post_event, client, webhook_url, tamper):
    sub = fake_stripe.subscription(customer=customer, price=PRICE_ENTERPRISE)
    event = fake_stripe.event("customer.subscription.created", sub)
    if tamper == "wrong_secret":
        response = post_event(event, secret="whsec_someone_else")
    elif tamper == "garbage_header":
        response = post_event(event, signature="t=1,v1=deadbeef")
    elif tamper == "stale_timestamp":
        response = post_event(event, timestamp=int(time.time()) - 600)
    elif tamper == "missing_header":
        response = client.post(webhook_url, data=json.dumps(event), content_type="application/json")
    else:
        from tests.billing.stripe_stub import sign

        signature = sign(json.dumps(event))
        event["data"]["object"]["items"]["data"][0]["price"]["id"] = PRICE_ENTERPRISE
        event["data"]["object"]["status"] = "trialing"
        response = post_event(event, signature=signature)
    assert response.status_code == 400
    assert not BillingAccount.objects.filter(organization=org).exists()
    assert plan_of(org) == "free"
    assert not djstripe_models.Event.objects.exists()


def test_an_unknown_endpoint_uuid_is_404(client, fake_stripe, webhook_url):
    response = client.post(
        "/api/v1/stripe/webhook/00000000-0000-0000-0000-000000000000",
        data="{}",
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE="t=1,v1=x",
    )
    assert response.status_code == 404
    assert response.json()["error_code"] == "NOT_FOUND"


def test_a_replayed_event_is_harmless(org, customer, fake_stripe, post_event, django_capture_on_commit_callbacks):
    sub = fake_stripe.subscription(customer=customer, price=PRICE_PRO, quantity=3)
    event = fake_stripe.event("customer.subscription.created", sub)
    assert post_event(event).status_code == 200
    first = BillingAccount.objects.get(organization=org)
    # Meanwhile the subscription moved on; replaying the old event must not roll it back.
    newer = fake_stripe.subscription(customer=customer, sub_id=sub["id"], price=PRICE_ENTERPRISE, quantity=9)
    assert post_event(fake_stripe.event("customer.subscription.updated", newer, created=event["created"] + 5)).status_code == 200
    with django_capture_on_commit_callbacks() as callbacks:
        assert post_event(event).status_code == 200
        assert post_event(event).status_code == 200
    assert callbacks == []
    account = BillingAccount.objects.get(organization=org)
    assert (account.subscribed_plan, account.seats) == ("enterprise", 9)
    assert account.updated_at > first.updated_at
    assert djstripe_models.Event.objects.filter(id=event["id"]).count() == 1


def test_an_out_of_order_older_event_changes_nothing(org, customer, fake_stripe, post_event):
    now = int(time.time())
    sub = fake_stripe.subscription(customer=customer, price=PRICE_PRO, quantity=2, store=False)
    upgraded = fake_stripe.subscription(customer=customer, sub_id=sub["id"], price=PRICE_ENTERPRISE, quantity=8)
    assert post_event(fake_stripe.event("customer.subscription.updated", upgraded, created=now - 10)).status_code == 200
    # The creation (older) arrives last.
    assert post_event(fake_stripe.event("customer.subscription.created", sub, created=now - 60)).status_code == 200
    account = BillingAccount.objects.get(organization=org)
    assert (account.subscribed_plan, account.seats) == ("enterprise", 8)
    assert plan_of(org) == "enterprise"


def test_subscription_deleted_downgrades_to_free_and_the_lower_limits_apply_at_once(
    org, customer, fake_stripe, post_event, owner
):
    sub = fake_stripe.subscription(customer=customer, price=PRICE_PRO)
    post_event(fake_stripe.event("customer.subscription.created", sub, created=int(time.time()) - 30))
    assert owner.client.get("/api/v1/me")["X-RateLimit-Limit"] == "300"

    canceled = fake_stripe.subscription(customer=customer, sub_id=sub["id"], price=PRICE_PRO, status="canceled")
    assert post_event(fake_stripe.event("customer.subscription.deleted", canceled)).status_code == 200
    response = owner.client.get("/api/v1/me")
    assert response["X-RateLimit-Limit"] == "60"
    assert response.json()["plan"] == "free"
    org.refresh_from_db()
    assert org.plan == "free"
    body = owner.client.get("/api/v1/billing/subscription").json()
    assert (body["plan"], body["plan_source"], body["status"]) == ("free", "lapsed", "canceled")


def test_payment_failure_keeps_the_plan_for_the_grace_period_then_free(org, customer, fake_stripe, post_event, owner):
    sub = fake_stripe.subscription(customer=customer, price=PRICE_PRO)
    post_event(fake_stripe.event("customer.subscription.created", sub, created=int(time.time()) - 30))
    fake_stripe.subscription(customer=customer, sub_id=sub["id"], price=PRICE_PRO, status="past_due")
    invoice = fake_stripe.invoice(customer=customer, subscription=sub["id"], paid=False)
    assert post_event(fake_stripe.event("invoice.payment_failed", invoice)).status_code == 200

    account = BillingAccount.objects.get(organization=org)
    assert account.status == "past_due" and account.past_due_since is not None
    body = owner.client.get("/api/v1/billing/subscription").json()
    assert (body["plan"], body["plan_source"]) == ("pro", "grace")
    assert body["grace_period_ends_at"].startswith((account.past_due_since + timedelta(days=7)).date().isoformat())

    BillingAccount.objects.filter(pk=account.pk).update(past_due_since=timezone.now() - timedelta(days=7, minutes=1))
    assert owner.client.get("/api/v1/me")["X-RateLimit-Limit"] == "60"
    assert owner.client.get("/api/v1/billing/subscription").json()["plan_source"] == "lapsed"


def test_invoice_paid_brings_a_past_due_subscription_back(org, customer, fake_stripe, post_event):
    now = int(time.time())
    past_due = fake_stripe.subscription(customer=customer, price=PRICE_PRO, status="past_due")
    post_event(fake_stripe.event("customer.subscription.updated", past_due, created=now - 60))
    BillingAccount.objects.filter(organization=org).update(past_due_since=timezone.now() - timedelta(days=30))
    assert plan_of(org) == "free"

    fake_stripe.subscription(customer=customer, sub_id=past_due["id"], price=PRICE_PRO, status="active")
    invoice = fake_stripe.invoice(customer=customer, subscription=past_due["id"], paid=True)
    assert post_event(fake_stripe.event("invoice.paid", invoice, created=now)).status_code == 200
    account = BillingAccount.objects.get(organization=org)
    assert account.status == "active" and account.past_due_since is None
    assert plan_of(org) == "pro"
    # dj-stripe synced what it re-fetched: the invoice, the subscription, the price and product.
    # (Its Invoice.subscription link stays empty with API versions that moved the field under
    # parent.subscription_details, which is why billing reads the subscription from there.)
    assert djstripe_models.Invoice.objects.get(id=invoice["id"]).customer.id == customer
    assert djstripe_models.Subscription.objects.get(id=past_due["id"]).stripe_data["status"] == "active"
    assert djstripe_models.Price.objects.get(id=PRICE_PRO).product.id == "prod_pro"


def test_plan_change_emits_the_customer_webhook_once_committed(
    org, customer, fake_stripe, post_event, django_capture_on_commit_callbacks
):
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
    sub = fake_stripe.subscription(customer=customer, price=PRICE_PRO)
    with django_capture_on_commit_callbacks(execute=True):
        post_event(fake_stripe.event("customer.subscription.created", sub, created=int(time.time()) - 10))
    [delivery] = WebhookDelivery.objects.filter(organization=org, event_type="billing.plan_changed")
    data = json.loads(delivery.body)["data"]
    assert data["previous_plan"] == "free" and data["current_plan"] == "pro" and data["subscription_status"] == "active"

    # Same plan, more seats: no plan change to announce.
    more_seats = fake_stripe.subscription(customer=customer, sub_id=sub["id"], price=PRICE_PRO, quantity=11)
    with django_capture_on_commit_callbacks(execute=True):
        post_event(fake_stripe.event("customer.subscription.updated", more_seats))
    assert WebhookDelivery.objects.filter(organization=org, event_type="billing.plan_changed").count() == 1
    assert BillingAccount.objects.get(organization=org).seats == 11


def test_events_about_an_unknown_customer_change_nothing(org, customer, other_org, fake_stripe, post_event):
    stranger = fake_stripe.customer_obj("cus_stranger", {})
    fake_stripe.put(stranger)
    sub = fake_stripe.subscription(customer="cus_stranger", price=PRICE_ENTERPRISE)
    assert post_event(fake_stripe.event("customer.subscription.created", sub)).status_code == 200
    assert not BillingAccount.objects.exists()
    assert plan_of(org) == "free"


def test_metadata_cannot_move_another_organisations_billing(org, customer, other_org, fake_stripe, post_event):
    other = fake_stripe.add_customer(other_org)
    Organization.objects.filter(pk=other_org.pk).update(stripe_customer_id=other["id"], plan="free")
    stranger = fake_stripe.put(fake_stripe.customer_obj("cus_stranger", {}))
    sub = fake_stripe.subscription(
        customer=stranger["id"], price=PRICE_ENTERPRISE, metadata={"organization_id": str(other_org.pk)}
    )
    assert post_event(fake_stripe.event("customer.subscription.created", sub)).status_code == 200
    assert not BillingAccount.objects.filter(organization=other_org).exists()
    assert plan_of(other_org) == "free"


def test_the_end_of_a_replaced_subscription_keeps_the_new_one(org, customer, fake_stripe, post_event):
    now = int(time.time())
    old = fake_stripe.subscription(customer=customer, price=PRICE_PRO)
    post_event(fake_stripe.event("customer.subscription.created", old, created=now - 120))
    new = fake_stripe.subscription(customer=customer, price=PRICE_ENTERPRISE)
    post_event(fake_stripe.event("customer.subscription.created", new, created=now - 60))
    ended = fake_stripe.subscription(customer=customer, sub_id=old["id"], price=PRICE_PRO, status="canceled")
    assert post_event(fake_stripe.event("customer.subscription.deleted", ended, created=now)).status_code == 200
    account = BillingAccount.objects.get(organization=org)
    assert (account.stripe_subscription_id, account.status) == (new["id"], "active")
    assert plan_of(org) == "enterprise"


def test_a_stripe_outage_while_syncing_rolls_back_and_the_retry_succeeds(org, customer, fake_stripe, post_event):
    sub = fake_stripe.subscription(customer=customer, price=PRICE_PRO)
    invoice = fake_stripe.invoice(customer=customer, subscription=sub["id"], paid=True)
    event = fake_stripe.event("invoice.paid", invoice)
    fake_stripe.fail_next = [stripe_error(400, "Simulated failure", code="simulated")] * 10
    assert post_event(event).status_code == 500
    assert not BillingAccount.objects.exists()
    assert not djstripe_models.Event.objects.filter(id=event["id"]).exists()
    fake_stripe.fail_next = []
    assert post_event(event).status_code == 200
    assert plan_of(org) == "pro"


def test_a_secret_sent_in_the_request_is_ignored_even_in_debug(org, customer, fake_stripe, client, webhook_url, settings):
    from tests.billing.stripe_stub import sign

    settings.DEBUG = True
    sub = fake_stripe.subscription(customer=customer, price=PRICE_ENTERPRISE)
    payload = json.dumps(fake_stripe.event("customer.subscription.created", sub))
    response = client.post(
        webhook_url,
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload, secret="whsec_attacker"),
        HTTP_X_DJSTRIPE_WEBHOOK_SECRET="whsec_attacker",
    )
    assert response.status_code == 400
    assert plan_of(org) == "free"


def test_a_creation_arriving_after_an_update_of_the_same_second_changes_nothing(org, customer, fake_stripe, post_event):
    second = int(time.time()) - 5
    created = fake_stripe.subscription(customer=customer, price=PRICE_PRO, quantity=1, store=False)
    updated = fake_stripe.subscription(customer=customer, sub_id=created["id"], price=PRICE_ENTERPRISE, quantity=6)
    post_event(fake_stripe.event("customer.subscription.updated", updated, created=second))
    post_event(fake_stripe.event("customer.subscription.created", created, created=second))
    account = BillingAccount.objects.get(organization=org)
    assert (account.subscribed_plan, account.seats) == ("enterprise", 6)


@pytest.mark.django_db(transaction=True)
def test_the_plan_change_is_announced_after_dj_stripe_commits(org, fake_stripe, post_event):
    from webhooks import crypto
    from webhooks.models import WebhookDelivery, WebhookEndpoint

    cus = fake_stripe.add_customer(org)
    Organization.objects.filter(pk=org.pk).update(stripe_customer_id=cus["id"], plan="free")
    WebhookEndpoint.objects.create(
        organization=org,
        name="billing",
        url="https://hooks.example.com/in",
        events=["billing.plan_changed"],
        secret_encrypted=crypto.encrypt("whsec_customer"),
        secret_hint="whsec_cu",
    )
    sub = fake_stripe.subscription(customer=cus["id"], price=PRICE_ENTERPRISE)
    assert post_event(fake_stripe.event("customer.subscription.created", sub)).status_code == 200
    [delivery] = WebhookDelivery.objects.filter(organization=org, event_type="billing.plan_changed")
    assert json.loads(delivery.body)["data"]["current_plan"] == "enterprise"
