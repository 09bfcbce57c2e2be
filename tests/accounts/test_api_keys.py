from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiKey, Organization
from accounts.services import hash_api_key

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_admin_creates_key_shown_once(admin_user):
    response = admin_user.client.post("/api/v1/api-keys", {"name": "ci", "role": "member"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    raw = body["key"]
    assert raw.startswith(body["prefix"]) and body["scopes"] == ["read", "write"]
    stored = ApiKey.objects.get(pk=body["id"])
    assert stored.key_hash == hash_api_key(raw) and raw not in stored.key_hash
    listed = admin_user.client.get("/api/v1/api-keys").json()["results"]
    assert body["id"] in {k["id"] for k in listed}
    assert all("key" not in k and "key_hash" not in k for k in listed)
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw)
    me = client.get("/api/v1/me").json()
    assert me["role"] == "member" and me["api_key_id"] == body["id"]


@pytest.mark.parametrize("persona", ["member", "viewer"])
def test_non_admins_cannot_manage_keys(persona, request):
    p = request.getfixturevalue(persona)
    assert p.client.get("/api/v1/api-keys").status_code == 403
    response = p.client.post("/api/v1/api-keys", {"name": "x"}, format="json")
    assert response.status_code == 403 and response.json()["error_code"] == "FORBIDDEN"


def test_admin_cannot_mint_an_owner_key(admin_user):
    response = admin_user.client.post("/api/v1/api-keys", {"name": "x", "role": "owner"}, format="json")
    assert response.status_code == 403


def test_scopes_cannot_exceed_role(owner):
    response = owner.client.post("/api/v1/api-keys", {"name": "x", "role": "viewer", "scopes": ["read", "write"]}, format="json")
    assert response.status_code == 400 and "scopes" in response.json()["fields"]


def test_past_expiry_is_rejected(owner):
    past = (timezone.now() - timedelta(days=1)).isoformat()
    response = owner.client.post("/api/v1/api-keys", {"name": "x", "expires_at": past}, format="json")
    assert response.status_code == 400 and "expires_at" in response.json()["fields"]


def test_revoked_key_stops_working(owner, member):
    key_id = ApiKey.objects.get(key_hash=hash_api_key(member.key)).pk
    assert owner.client.delete(f"/api/v1/api-keys/{key_id}").status_code == 204
    assert member.client.get("/api/v1/me").status_code == 401
    assert ApiKey.objects.get(pk=key_id).revoked_at is not None


def test_viewer_reads_but_cannot_write(viewer):
    assert viewer.client.get("/api/v1/me").status_code == 200
    assert viewer.client.post("/api/v1/api-keys", {"name": "x"}, format="json").status_code == 403


def test_createapikey_prints_only_the_key(capsys):
    call_command("createapikey", "--org", "newco", "--plan", "pro", "--role", "admin", "--name", "ci")
    out = capsys.readouterr().out.strip()
    assert "\n" not in out and out.startswith("rpt_")
    org = Organization.objects.get(slug="newco")
    assert org.plan == "pro"
    key = ApiKey.objects.get(key_hash=hash_api_key(out))
    assert key.organization == org and key.role == "admin" and key.name == "ci"


def test_createapikey_reuses_an_existing_org(org, capsys):
    call_command("createapikey", "--org", org.slug)
    assert Organization.objects.filter(slug=org.slug).count() == 1
    assert ApiKey.objects.filter(organization=org, key_hash=hash_api_key(capsys.readouterr().out.strip())).exists()


def test_production_refuses_to_start_without_secrets():
    env = {
        "PATH": "/usr/bin:/bin",
        "REPOTOIRE_ENV": "production",
        "DJANGO_SETTINGS_MODULE": "repotoire.settings",
        "DATABASE_URL": "postgres://x@127.0.0.1:1/x",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "Refusing to start in production without: SECRET_KEY" in result.stderr
    assert "ENCRYPTION_KEY" in result.stderr


def test_admin_cannot_revoke_an_owner_key(owner, admin_user):
    key_id = ApiKey.objects.get(key_hash=hash_api_key(owner.key)).pk
    response = admin_user.client.delete(f"/api/v1/api-keys/{key_id}")
    assert response.status_code == 403 and response.json()["error_code"] == "FORBIDDEN"
    assert ApiKey.objects.get(pk=key_id).revoked_at is None
    assert owner.client.get("/api/v1/me").status_code == 200


def test_admin_revokes_a_member_key_and_owner_an_admin_key(owner, admin_user, member):
    member_key = ApiKey.objects.get(key_hash=hash_api_key(member.key)).pk
    admin_key = ApiKey.objects.get(key_hash=hash_api_key(admin_user.key)).pk
    assert admin_user.client.delete(f"/api/v1/api-keys/{member_key}").status_code == 204
    assert owner.client.delete(f"/api/v1/api-keys/{admin_key}").status_code == 204
