"""Sign in/out, createuser, the organisation switcher, roles and tenancy of the dashboard."""

from __future__ import annotations

import re

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import Membership, User
from analysis.models import Repository
from tests.factories import MembershipFactory, OrganizationFactory, RepositoryFactory

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_the_sign_in_page_with_next():
    response = Client().get("/app/repositories/")
    assert response.status_code == 302
    assert response["Location"] == "/app/login/?next=%2Fapp%2Frepositories%2F"


def test_anonymous_unknown_dashboard_url_also_goes_to_sign_in():
    assert Client().get("/app/nope/").status_code == 302


def test_createuser_then_sign_in_with_email_and_password(org, monkeypatch, capsys):
    monkeypatch.setenv("REPOTOIRE_USER_PASSWORD", "correct horse battery staple")
    call_command("createuser", "--email", "Ada@Example.test", "--org", org.slug, "--role", "admin")
    user = User.objects.get(email="ada@example.test")
    assert Membership.objects.get(user=user, organization=org).role == "admin"
    assert not user.is_staff
    client = Client()
    bad = client.post("/app/login/", {"email": "ada@example.test", "password": "wrong"})
    assert bad.status_code == 400
    assert "Invalid email (or username) or password" in bad.content.decode()
    ok = client.post(
        "/app/login/", {"email": "ADA@example.test", "password": "correct horse battery staple", "next": "/app/findings/"}
    )
    assert ok.status_code == 302 and ok["Location"] == "/app/findings/"
    page = client.get("/app/repositories/")
    assert page.status_code == 200
    assert "<title>Repositories · Repotoire</title>" in page.content.decode()


def test_the_demo_login_make_run_prints_signs_in_to_the_dashboard(capsys):
    """The staff login `make run` prints has a username and no email: it must open /app/ too."""
    call_command("ensure_demo")
    out = capsys.readouterr().out
    assert "/app/" in out
    password = re.search(r"password: (\S+)", out).group(1)
    client = Client()
    assert client.post("/app/login/", {"email": "demo", "password": "wrong"}).status_code == 400
    signed = client.post("/app/login/", {"email": "demo", "password": password})
    assert signed.status_code == 302 and signed["Location"] == "/app/"
    page = client.get("/app/repositories/")
    assert page.status_code == 200 and "Demo" in page.content.decode()


def test_createuser_refuses_a_weak_password_and_creates_the_org_when_missing(monkeypatch):
    monkeypatch.setenv("REPOTOIRE_USER_PASSWORD", "123")
    with pytest.raises(CommandError, match="password"):
        call_command("createuser", "--email", "x@example.test", "--org", "newco")
    assert not User.objects.filter(email="x@example.test").exists()


def test_sign_in_refuses_an_outside_next_url(org, monkeypatch):
    monkeypatch.setenv("REPOTOIRE_USER_PASSWORD", "correct horse battery staple")
    call_command("createuser", "--email", "b@example.test", "--org", org.slug, "--staff")
    response = Client().post(
        "/app/login/", {"email": "b@example.test", "password": "correct horse battery staple", "next": "https://evil.test/"}
    )
    assert response["Location"] == "/app/"
    assert User.objects.get(email="b@example.test").is_staff


def test_sign_out_needs_post_and_ends_the_session(member_page):
    assert member_page.get("/app/logout/").status_code == 405
    assert member_page.post("/app/logout/").status_code == 302
    assert member_page.get("/app/repositories/").status_code == 302


def test_logout_without_csrf_token_is_refused(member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member.user)
    assert client.post("/app/logout/").status_code == 403


def test_other_organisations_repository_is_a_404_page(member_page, other_org):
    foreign = RepositoryFactory(organization=other_org)
    response = member_page.get(f"/app/repositories/{foreign.pk}/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "Repository not found" in response.content.decode()


def test_switching_organisation_scopes_every_page(org, other_org, member):
    mine = RepositoryFactory(organization=org, name="acme-repo")
    theirs = RepositoryFactory(organization=other_org, name="globex-repo")
    MembershipFactory(organization=other_org, user=member.user, role="viewer")
    client = Client()
    client.force_login(member.user)
    first = client.get("/app/repositories/").content.decode()
    assert "acme-repo" in first and "globex-repo" not in first
    assert 'name="organization"' in first  # the switcher shows for people in two organisations
    assert client.post("/app/org/switch/", {"organization": str(other_org.pk)}).status_code == 302
    second = client.get("/app/repositories/").content.decode()
    assert "globex-repo" in second and "acme-repo" not in second
    assert client.get(f"/app/repositories/{mine.pk}/").status_code == 404
    assert client.get(f"/app/repositories/{theirs.pk}/").status_code == 200
    # The role follows the organisation: a viewer there cannot add repositories.
    assert client.get("/app/repositories/add/").status_code == 403
    # The API's session authentication acts in the same organisation (the progress stream uses it).
    assert client.get("/api/v1/me").json()["organization"]["slug"] == other_org.slug


def test_switching_to_an_organisation_you_are_not_in_is_404(member_page, other_org):
    assert member_page.post("/app/org/switch/", {"organization": str(other_org.pk)}).status_code == 404
    assert member_page.post("/app/org/switch/", {"organization": "not-a-uuid"}).status_code == 404


def test_user_without_organisation_gets_a_403_page():
    user = User.objects.create_user(username="lonely", email="lonely@example.test", password="x")
    client = Client()
    client.force_login(user)
    response = client.get("/app/repositories/")
    assert response.status_code == 403
    assert "belongs to no organisation" in response.content.decode()


def test_unknown_dashboard_url_is_an_html_404(member_page):
    response = member_page.get("/app/does-not-exist/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_viewer_reads_but_cannot_write(viewer_page, org):
    repo = RepositoryFactory(organization=org)
    assert viewer_page.get("/app/repositories/").status_code == 200
    assert viewer_page.get(f"/app/repositories/{repo.pk}/").status_code == 200
    assert viewer_page.post("/app/repositories/add/", {"name": "x", "clone_url": "https://example.test/x.git"}).status_code == 403
    assert viewer_page.post(f"/app/repositories/{repo.pk}/analyse/").status_code == 403
    assert Repository.objects.filter(organization=org).count() == 1


def test_organisation_in_two_memberships_lists_both_in_switcher_by_name(member):
    other = OrganizationFactory(name="Zeta")
    MembershipFactory(organization=other, user=member.user, role="owner")
    client = Client()
    client.force_login(member.user)
    html = client.get("/app/repositories/").content.decode()
    assert html.index(">Acme<") < html.index(">Zeta<")


def test_pages_carry_a_strict_script_policy_and_no_inline_script(member_page, org):
    for url in ("/app/repositories/", "/app/findings/", "/app/settings/"):
        response = member_page.get(url)
        assert "script-src 'self'" in response["Content-Security-Policy"], url
        html = response.content.decode()
        assert "<script>" not in html and " onchange=" not in html and " onclick=" not in html, url
    assert "script-src 'self'" in Client().get("/app/login/")["Content-Security-Policy"]


def test_clerk_session_cookie_signs_the_browser_in_with_the_api_verification(settings):
    import time

    import jwt
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    settings.CLERK_JWKS_URL, settings.CLERK_JWT_KEY = "", public.decode()
    settings.CLERK_ISSUER, settings.CLERK_AUTHORIZED_PARTIES = "https://clerk.example.test", ["https://app.example.test"]
    now = int(time.time())
    claims = {
        "sub": "user_9",
        "iss": "https://clerk.example.test",
        "azp": "https://app.example.test",
        "nbf": now - 1,
        "exp": now + 300,
        "o": {"id": "org_9", "rol": "admin", "slg": "clerk-co"},
    }
    forged = Client()
    forged.cookies["__session"] = jwt.encode(claims, other, algorithm="RS256")
    assert forged.get("/app/repositories/").status_code == 302  # wrong signature: sign in by hand
    client = Client()
    client.cookies["__session"] = jwt.encode(claims, key, algorithm="RS256")
    page = client.get("/app/repositories/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "clerk-co" in html and 'title="Your role">admin<' in html
    assert User.objects.get(clerk_user_id="user_9").memberships.get().organization.clerk_org_id == "org_9"
