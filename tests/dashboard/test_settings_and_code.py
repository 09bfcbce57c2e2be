"""Settings pages (API keys, members, webhooks, billing, GitHub) and code search / ask."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import ApiKey, Membership
from tests.factories import MembershipFactory, OrganizationFactory
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import webhook_endpoint_create

pytestmark = pytest.mark.django_db


def test_settings_overview_for_every_role(viewer_page, admin_page):
    viewer = viewer_page.get("/app/settings/").content.decode()
    assert "<title>Settings · Repotoire</title>" in viewer and "/app/settings/api-keys/" not in viewer
    assert "/app/settings/api-keys/" in admin_page.get("/app/settings/").content.decode()


def test_api_key_shown_once_then_works_against_me_and_revokes(admin_page, admin_user, org):
    response = admin_page.post("/app/settings/api-keys/", {"name": "ci", "role": "viewer"})
    assert response.status_code == 302
    html = admin_page.get("/app/settings/api-keys/").content.decode()
    raw = re.search(r'id="new-key">(rpt_[^<]+)<', html).group(1)
    assert raw not in admin_page.get("/app/settings/api-keys/").content.decode()  # shown once
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw)
    me = client.get("/api/v1/me").json()
    assert me["organization"]["slug"] == org.slug and me["role"] == "viewer"
    key = ApiKey.objects.get(name="ci")
    assert admin_page.post(f"/app/settings/api-keys/{key.pk}/revoke/").status_code == 302
    assert client.get("/api/v1/me").status_code == 401


def test_api_key_errors_use_the_api_wording(admin_page, admin_user):
    response = admin_page.post("/app/settings/api-keys/", {"name": "x", "role": "owner"})
    api = admin_user.client.post("/api/v1/api-keys", {"name": "x", "role": "owner"}, format="json").json()
    assert response.status_code == 403 == 403 and api["detail"] in response.content.decode()
    response = admin_page.post("/app/settings/api-keys/", {"name": "x", "role": "viewer", "scopes": ["write"]})
    assert response.status_code == 400 and "Scopes exceed the key&#x27;s role" in response.content.decode()


def test_members_and_keys_need_an_admin(member_page, outsider_page, org):
    assert member_page.get("/app/settings/api-keys/").status_code == 403
    assert member_page.get("/app/settings/members/").status_code == 403
    assert member_page.post("/app/settings/api-keys/", {"name": "x"}).status_code == 403
    key = ApiKey.objects.filter(organization=org).first()
    assert outsider_page.post(f"/app/settings/api-keys/{key.pk}/revoke/").status_code == 404
    key.refresh_from_db()
    assert key.revoked_at is None


def test_admin_cannot_revoke_an_owner_key_from_the_dashboard(admin_page, owner):
    key = ApiKey.objects.get(name="owner key", organization=owner.organization)
    assert admin_page.post(f"/app/settings/api-keys/{key.pk}/revoke/").status_code == 403
    key.refresh_from_db()
    assert key.revoked_at is None


def test_admin_changes_roles_but_only_owners_touch_owners(admin_page, owner_page, owner, member, org):
    member_ship = Membership.objects.get(user=member.user, organization=org)
    owner_ship = Membership.objects.get(user=owner.user, organization=org)
    assert admin_page.post("/app/settings/members/", {"membership": member_ship.pk, "role": "viewer"}).status_code == 302
    member_ship.refresh_from_db()
    assert member_ship.role == "viewer"
    assert admin_page.post("/app/settings/members/", {"membership": member_ship.pk, "role": "owner"}).status_code == 403
    assert admin_page.post("/app/settings/members/", {"membership": owner_ship.pk, "action": "remove"}).status_code == 403
    last = owner_page.post("/app/settings/members/", {"membership": owner_ship.pk, "role": "admin"})
    assert last.status_code == 409 and "at least one owner" in last.content.decode()
    assert owner_page.post("/app/settings/members/", {"membership": member_ship.pk, "action": "remove"}).status_code == 302
    assert not Membership.objects.filter(pk=member_ship.pk).exists()
    foreign = MembershipFactory(organization=OrganizationFactory())
    assert owner_page.post("/app/settings/members/", {"membership": foreign.pk, "role": "viewer"}).status_code == 404
    assert owner_page.post("/app/settings/members/", {"membership": "nope", "role": "viewer"}).status_code == 404


def test_admin_adds_a_new_person_who_then_signs_in(admin_page, org):
    response = admin_page.post(
        "/app/settings/members/",
        {"action": "add", "email": " New.Person@Example.test ", "role": "member", "password": "a-long-initial-pass-42"},
    )
    assert response.status_code == 302
    added = Membership.objects.select_related("user").get(organization=org, user__email="new.person@example.test")
    assert added.role == "member"
    assert "Added new.person@example.test as member" in admin_page.get("/app/settings/members/").content.decode()
    browser = Client()
    signed = browser.post("/app/login/", {"email": "new.person@example.test", "password": "a-long-initial-pass-42"})
    assert signed.status_code == 302 and browser.get("/app/repositories/").status_code == 200


def test_adding_an_existing_account_keeps_its_password_and_refuses_twice(admin_page, outsider, org):
    outsider.user.set_password("their-own-secret-77")
    outsider.user.save()
    form = {"action": "add", "email": outsider.user.email.upper(), "role": "viewer", "password": "an-attempt-to-reset-1"}
    assert admin_page.post("/app/settings/members/", form).status_code == 302
    outsider.user.refresh_from_db()
    assert outsider.user.check_password("their-own-secret-77") and not outsider.user.check_password("an-attempt-to-reset-1")
    assert Membership.objects.get(organization=org, user=outsider.user).role == "viewer"
    again = admin_page.post("/app/settings/members/", form)
    assert again.status_code == 409 and "is already a member" in again.content.decode()
    assert Membership.objects.filter(user=outsider.user).count() == 2  # theirs and ours, nothing more


@pytest.mark.parametrize(
    ("form", "status", "wording"),
    [
        ({"email": "nobody@example.test", "role": "member"}, 400, "Required for a person without an account."),
        ({"email": "nobody@example.test", "role": "member", "password": "short"}, 400, "This password is too short"),
        ({"email": "not-an-email", "role": "member", "password": "a-long-initial-pass-42"}, 400, "Enter a valid email address."),
        ({"email": "nobody@example.test", "role": "boss", "password": "a-long-initial-pass-42"}, 400, "is not a valid choice"),
        ({"email": "nobody@example.test", "role": "owner", "password": "a-long-initial-pass-42"}, 403, "Only owners can grant"),
    ],
)
def test_adding_a_member_refuses_bad_input_without_writing(admin_page, org, form, status, wording):
    from accounts.models import User

    users, members = User.objects.count(), Membership.objects.count()
    response = admin_page.post("/app/settings/members/", {"action": "add", **form})
    assert response.status_code == status and wording in response.content.decode()
    assert 'value="nobody@example.test"' in response.content.decode() or form["email"] != "nobody@example.test"
    assert (User.objects.count(), Membership.objects.count()) == (users, members)


def test_owners_add_owners_and_members_cannot_add_anyone(owner_page, member_page, org):
    form = {"action": "add", "email": "co-owner@example.test", "role": "owner", "password": "a-long-initial-pass-42"}
    assert member_page.post("/app/settings/members/", form).status_code == 403
    assert not Membership.objects.filter(user__email="co-owner@example.test").exists()
    assert owner_page.post("/app/settings/members/", form).status_code == 302
    assert Membership.objects.get(organization=org, user__email="co-owner@example.test").role == "owner"


def test_webhook_create_test_delivery_redeliver_rotate(admin_page, org, receiver, allow_private_targets, q_sync):
    response = admin_page.post(
        "/app/settings/webhooks/", {"name": "ci", "url": receiver.url, "events": ["analysis.completed"], "is_active": "on"}
    )
    endpoint = WebhookEndpoint.objects.get(organization=org, name="ci")
    assert response.status_code == 302 and response["Location"] == f"/app/settings/webhooks/{endpoint.pk}/"
    page = admin_page.get(response["Location"]).content.decode()
    assert re.search(r'id="new-secret">[^<]+<', page)
    assert admin_page.post(f"/app/settings/webhooks/{endpoint.pk}/test/").status_code == 302
    [request] = receiver.wait_for(1)
    assert b"webhook.test" in request.body
    page = admin_page.get(f"/app/settings/webhooks/{endpoint.pk}/").content.decode()
    assert "Test event sent: answered 200." in page and "webhook.test" in page and "status-succeeded" in page
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert admin_page.post(f"/app/settings/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/redeliver/").status_code == 302
    assert WebhookDelivery.objects.filter(endpoint=endpoint, redelivery_of=delivery).exists()
    hint = endpoint.secret_hint
    admin_page.post(f"/app/settings/webhooks/{endpoint.pk}/rotate/", {"grace_hours": "24"})
    endpoint.refresh_from_db()
    assert endpoint.secret_hint != hint or endpoint.previous_secret_encrypted


def test_webhook_edit_validation_and_roles(admin_page, member_page, outsider_page, org, receiver, allow_private_targets):
    bad = admin_page.post("/app/settings/webhooks/", {"name": "x", "url": "not a url", "events": ["analysis.completed"]})
    assert bad.status_code == 400 and "Enter a valid URL." in bad.content.decode()
    assert member_page.post("/app/settings/webhooks/", {"name": "x"}).status_code == 403
    assert member_page.get("/app/settings/webhooks/").status_code == 200  # everyone reads
    endpoint, _ = webhook_endpoint_create(
        organization=org, created_by=None, name="a", url=receiver.url, events=["analysis.completed"]
    )
    ok = admin_page.post(
        f"/app/settings/webhooks/{endpoint.pk}/", {"name": "b", "url": receiver.url + "?b", "events": ["analysis.failed"]}
    )
    endpoint.refresh_from_db()
    assert ok.status_code == 302 and endpoint.name == "b" and endpoint.events == ["analysis.failed"] and not endpoint.is_active
    assert outsider_page.get(f"/app/settings/webhooks/{endpoint.pk}/").status_code == 404
    assert outsider_page.post(f"/app/settings/webhooks/{endpoint.pk}/delete/").status_code == 404
    assert admin_page.post(f"/app/settings/webhooks/{endpoint.pk}/delete/").status_code == 302
    assert not WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_billing_page_shows_plan_usage_and_limits(owner_page, admin_page, member_page, org):
    html = owner_page.get("/app/settings/billing/").content.decode()
    assert "Analyses this hour" in html and "Concurrent analyses" in html and "Repositories" in html
    assert "not configured" in html  # no Stripe key in tests: no checkout button
    assert admin_page.get("/app/settings/billing/").status_code == 200
    assert admin_page.post("/app/settings/billing/", {"action": "portal"}).status_code == 403  # owners bill
    assert member_page.get("/app/settings/billing/").status_code == 403


def test_billing_checkout_without_stripe_is_the_api_error(owner_page, owner):
    # The success and cancel URLs are this page on the host the browser used.
    response = owner_page.post("/app/settings/billing/", {"action": "checkout", "plan": "pro"}, HTTP_HOST="127.0.0.1")
    api = owner.client.post(
        "/api/v1/billing/checkout",
        {"plan": "pro", "success_url": "http://127.0.0.1/ok", "cancel_url": "http://127.0.0.1/no"},
        format="json",
    )
    assert response.status_code == api.status_code == 503
    assert api.json()["detail"] in response.content.decode()


def test_billing_checkout_and_portal_go_through_stripe(owner_page, admin_page, org, fake_stripe):
    from tests.billing.stripe_stub import PRICE_PRO, form_params

    html = owner_page.get("/app/settings/billing/").content.decode()
    assert "Go to checkout" in html and "Open the billing portal" in html
    assert "Only owners can change the plan" in admin_page.get("/app/settings/billing/").content.decode()
    assert admin_page.post("/app/settings/billing/", {"action": "checkout", "plan": "pro"}).status_code == 403
    assert fake_stripe.requests == []  # refused before Stripe is called

    early = owner_page.post("/app/settings/billing/", {"action": "portal"}, HTTP_HOST="127.0.0.1")
    assert early.status_code == 409 and "start with a checkout" in early.content.decode()

    response = owner_page.post("/app/settings/billing/", {"action": "checkout", "plan": "pro"}, HTTP_HOST="127.0.0.1")
    [call] = fake_stripe.requests_to("POST", "/v1/checkout/sessions")
    params = form_params(call.body)
    assert response.status_code == 302 and response["Location"].startswith("https://checkout.stripe.com/")
    assert params["line_items[0][price]"] == PRICE_PRO and params["line_items[0][quantity]"] == "2"  # a seat per member
    assert params["success_url"] == "http://127.0.0.1/app/settings/billing/?checkout=success"
    assert params["cancel_url"] == "http://127.0.0.1/app/settings/billing/"
    org.refresh_from_db()
    assert org.stripe_customer_id

    portal = owner_page.post("/app/settings/billing/", {"action": "portal"}, HTTP_HOST="127.0.0.1")
    [call] = fake_stripe.requests_to("POST", "/v1/billing_portal/sessions")
    assert portal.status_code == 302 and portal["Location"].startswith("https://billing.stripe.com/p/session/")
    assert form_params(call.body) == {"customer": org.stripe_customer_id, "return_url": "http://127.0.0.1/app/settings/billing/"}
    back = owner_page.get("/app/settings/billing/?checkout=success").content.decode()
    assert "Checkout finished" in back


def test_billing_errors_keep_the_api_wording(owner_page, fake_stripe, settings):
    free = owner_page.post("/app/settings/billing/", {"action": "checkout", "plan": "free"}, HTTP_HOST="127.0.0.1")
    assert free.status_code == 400 and "&quot;free&quot; is not a valid choice" in free.content.decode()  # the serializer's words
    foreign = owner_page.post("/app/settings/billing/", {"action": "checkout", "plan": "pro"}, HTTP_HOST="evil.example.com")
    assert foreign.status_code in (400, 404)  # Django refuses the host itself, or the service refuses the URL
    settings.STRIPE_PRICE_PRO = ""
    unpriced = owner_page.post("/app/settings/billing/", {"action": "checkout", "plan": "pro"}, HTTP_HOST="127.0.0.1")
    assert unpriced.status_code == 503 and "No Stripe price is configured for the Pro plan" in unpriced.content.decode()
    assert fake_stripe.requests_to("POST", "/v1/checkout/sessions") == []


def test_github_page_lists_installations_of_the_org_only(member_page, org, other_org):
    from github_app.models import GithubInstallation, GithubRepository

    mine = GithubInstallation.objects.create(organization=org, installation_id=11, account_login="acme")
    GithubRepository.objects.create(organization=org, installation=mine, github_id=5, full_name="acme/api")
    theirs = GithubInstallation.objects.create(organization=other_org, installation_id=12, account_login="globex")
    html = member_page.get("/app/settings/github/").content.decode()
    assert "acme/api" in html and "globex" not in html
    gh_repo = GithubRepository.objects.get(full_name="acme/api")
    response = member_page.post(
        f"/app/settings/github/repos/{gh_repo.pk}/gate/",
        {"gate_enabled": "on", "max_new_critical": "0", "min_health_score": "70"},
    )
    gh_repo.refresh_from_db()
    assert response.status_code == 302 and gh_repo.min_health_score == 70 and gh_repo.max_new_high is None
    assert member_page.post(f"/app/settings/github/installations/{theirs.pk}/repos/", {"repo_ids": "5"}).status_code == 404


def test_code_search_and_ask_without_an_llm(viewer_page, viewer, indexed, django_assert_max_num_queries):
    html = viewer_page.get("/app/code/?query=session+store").content.decode()
    api = viewer.client.post("/api/v1/code/search", {"query": "session store"}, format="json").json()
    assert api["results"] and all(f"{r['file']}:{r['start_line']}" in html for r in api["results"])
    assert "chunks embedded" in html
    viewer_page.get("/app/code/?query=warm+up")
    with django_assert_max_num_queries(20):
        viewer_page.get("/app/code/?query=cookie+signature")
    ask = viewer_page.post("/app/code/", {"question": "How are cookies signed?"})
    api_ask = viewer.client.post("/api/v1/code/ask", {"question": "How are cookies signed?"}, format="json")
    assert ask.status_code == api_ask.status_code
    assert api_ask.json()["detail"] in ask.content.decode()


def test_code_search_for_another_orgs_repository_is_404(viewer_page, other_org):
    from tests.factories import RepositoryFactory

    foreign = RepositoryFactory(organization=other_org)
    assert viewer_page.get(f"/app/code/?query=x&repository_id={foreign.pk}").status_code == 404


def test_every_settings_page_is_titled(owner_page):
    for url, title in (
        ("/app/settings/api-keys/", "API keys"),
        ("/app/settings/members/", "Members"),
        ("/app/settings/webhooks/", "Webhooks"),
        ("/app/settings/billing/", "Billing"),
        ("/app/settings/github/", "GitHub"),
        ("/app/code/", "Code search"),
        ("/app/fixes/", "Fix proposals"),
    ):
        assert f"<title>{title} · Repotoire</title>" in owner_page.get(url).content.decode(), url


def test_csrf_is_enforced_on_dashboard_forms(admin_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user.user)
    assert client.post("/app/settings/api-keys/", {"name": "x"}).status_code == 403
    assert not ApiKey.objects.filter(name="x").exists()


def test_settings_pages_render_in_a_fixed_number_of_queries(owner_page, owner, org, django_assert_max_num_queries):
    from accounts import services as account_services

    urls = (
        "/app/settings/api-keys/",
        "/app/settings/members/",
        "/app/settings/webhooks/",
        "/app/settings/github/",
        "/app/settings/billing/",
    )
    counts = {}
    for url in urls:
        owner_page.get(url)  # the first sight of a page may create rows (the billing account) or fill caches
        with django_assert_max_num_queries(13) as few:
            owner_page.get(url)
        counts[url] = len(few.captured_queries)
    for i in range(8):
        account_services.apikey_create(organization=org, created_by=owner.user, name=f"k{i}", role="viewer")
        MembershipFactory(organization=org, role="viewer")
    for url in urls:
        with django_assert_max_num_queries(counts[url]):
            owner_page.get(url)


def test_webhook_page_with_deliveries_in_a_fixed_number_of_queries(
    admin_page, org, receiver, allow_private_targets, django_assert_max_num_queries
):
    from django.utils import timezone

    from webhooks.models import WebhookDeliveryAttempt

    endpoint, _ = webhook_endpoint_create(
        organization=org, created_by=None, name="a", url=receiver.url, events=["analysis.completed"]
    )

    def deliveries(n: int) -> None:
        for _ in range(n):
            delivery = WebhookDelivery.objects.create(
                organization=org, endpoint=endpoint, event_id=uuid.uuid4(), event_type="analysis.completed", body="{}"
            )
            WebhookDeliveryAttempt.objects.create(
                delivery=delivery, number=1, started_at=timezone.now(), response_status_code=500
            )

    deliveries(1)
    url = f"/app/settings/webhooks/{endpoint.pk}/"
    admin_page.get(url)
    with django_assert_max_num_queries(12) as few:
        admin_page.get(url)
    deliveries(10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert admin_page.get(url).content.decode().count("Redeliver") == 11
