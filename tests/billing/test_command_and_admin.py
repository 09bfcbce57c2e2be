"""`manage.py stripe_webhook_endpoint` and the billing admin (status, usage, staff overrides)."""

from __future__ import annotations

import uuid
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.core.management import CommandError, call_command
from django.urls import resolve
from djstripe.models import WebhookEndpoint

from accounts.models import Organization
from billing.entitlements import effective_plan
from billing.models import BillingAccount
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def run_command(*args: str) -> str:
    out = StringIO()
    call_command("stripe_webhook_endpoint", *args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def test_command_creates_the_endpoint_with_the_secret_and_prints_its_url(settings):
    settings.STRIPE_WEBHOOK_SECRET = "whsec_first"
    settings.PUBLIC_BASE_URL = "https://api.repotoire.test"
    url = run_command()
    endpoint = WebhookEndpoint.objects.get(id=settings.STRIPE_WEBHOOK_ENDPOINT_ID)
    assert url == f"https://api.repotoire.test/api/v1/stripe/webhook/{endpoint.djstripe_uuid}"
    assert endpoint.secret == "whsec_first" and endpoint.url == url
    assert "customer.subscription.deleted" in endpoint.enabled_events
    assert resolve(urlsplit(url).path).url_name == "djstripe_webhook_by_uuid"


def test_rerunning_the_command_keeps_the_url_and_updates_the_secret(settings):
    settings.STRIPE_WEBHOOK_SECRET = "whsec_first"
    first = run_command()
    settings.STRIPE_WEBHOOK_SECRET = "whsec_rotated"
    assert run_command() == first
    assert WebhookEndpoint.objects.count() == 1
    assert WebhookEndpoint.objects.get().secret == "whsec_rotated"


def test_the_url_uuid_can_be_pinned(settings):
    settings.STRIPE_WEBHOOK_SECRET = "whsec_first"
    pinned = uuid.uuid4()
    assert run_command("--uuid", str(pinned)).endswith(f"/api/v1/stripe/webhook/{pinned}")


def test_the_command_refuses_to_run_without_a_signing_secret(settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    with pytest.raises(CommandError):
        run_command()
    assert not WebhookEndpoint.objects.exists()


@pytest.fixture
def staff_client(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    client.staff = staff
    return client


def test_staff_override_a_plan_with_a_reason_in_the_admin(org, staff_client):
    org.plan = "free"
    org.save()
    account = BillingAccount.objects.create(organization=org)
    url = f"/admin/billing/billingaccount/{account.pk}/change/"
    page = staff_client.get(url)
    assert page.status_code == 200 and b"Usage" in page.content

    refused = staff_client.post(url, {"override_plan": "enterprise", "override_reason": ""})
    assert refused.status_code == 200 and b"Say why" in refused.content
    assert effective_plan(Organization.objects.get(pk=org.pk)).id == "free"

    done = staff_client.post(url, {"override_plan": "enterprise", "override_reason": "Conference sponsor"})
    assert done.status_code == 302
    account.refresh_from_db()
    assert (account.override_plan, account.override_by) == ("enterprise", staff_client.staff)
    assert effective_plan(Organization.objects.get(pk=org.pk)).id == "enterprise"


def test_the_organisation_admin_shows_billing_and_takes_an_override(org, staff_client):
    url = f"/admin/accounts/organization/{org.pk}/change/"
    page = staff_client.get(url)
    assert page.status_code == 200 and b"Billing" in page.content
    form = {
        "name": org.name,
        "slug": org.slug,
        "clerk_org_id": "",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "billing_account-TOTAL_FORMS": "1",
        "billing_account-INITIAL_FORMS": "0",
        "billing_account-0-override_plan": "pro",
        "billing_account-0-override_reason": "Migrated from the old billing system",
    }
    response = staff_client.post(url, form)
    assert response.status_code == 302, response.content[:3000]
    account = BillingAccount.objects.get(organization=org)
    assert account.override_reason == "Migrated from the old billing system" and account.override_by == staff_client.staff
    assert effective_plan(Organization.objects.get(pk=org.pk)).id == "pro"


def test_billing_admin_pages_render(org, staff_client):
    BillingAccount.objects.create(organization=org, subscribed_plan="pro", status="active", seats=2)
    org.stripe_customer_id = "cus_acme"
    org.save()
    listing = staff_client.get("/admin/billing/billingaccount/")
    assert listing.status_code == 200 and b"Pro (subscription)" in listing.content
    assert staff_client.get("/admin/accounts/organization/add/").status_code == 200
    assert staff_client.get("/admin/accounts/organization/").status_code == 200
