"""Every error, on DRF and plain Django paths, has the envelope {error, detail, error_code}."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.platform.urls")]


def assert_envelope(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error_code"] == code
    assert body["error"] == code.lower() or code == "PLAN_LIMIT_EXCEEDED"
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def test_validation_error_lists_fields(admin_user):
    body = assert_envelope(admin_user.client.post("/api/v1/api-keys", {"role": "nope"}, format="json"), 400, "VALIDATION_ERROR")
    assert set(body["fields"]) == {"name", "role"}


def test_malformed_json_is_a_validation_error(admin_user):
    response = admin_user.client.post("/api/v1/api-keys", data="{not json", content_type="application/json")
    assert_envelope(response, 400, "VALIDATION_ERROR")


def test_missing_credentials_is_401(anon):
    response = anon.get("/api/v1/me")
    assert_envelope(response, 401, "UNAUTHORIZED")
    assert "WWW-Authenticate" in response


def test_insufficient_scope_is_403(member):
    assert_envelope(member.client.get("/test/admin-only"), 403, "FORBIDDEN")


def test_unknown_api_url_is_404(owner):
    assert_envelope(owner.client.get("/api/v1/definitely-not-here"), 404, "NOT_FOUND")


def test_unknown_plain_url_is_404_without_html():
    response = APIClient().get("/nothing/here")
    assert_envelope(response, 404, "NOT_FOUND")
    assert b"<html" not in response.content.lower()


def test_wrong_method_is_405(owner):
    response = owner.client.delete("/api/v1/me")
    assert_envelope(response, 405, "METHOD_NOT_ALLOWED")


def test_plain_view_wrong_method_is_405():
    response = APIClient().post("/health")
    assert_envelope(response, 405, "METHOD_NOT_ALLOWED")


def test_domain_conflict_is_409(owner):
    body = assert_envelope(owner.client.post("/test/conflict"), 409, "CONFLICT")
    assert "already running" in body["detail"]


def test_plan_limit_is_402(owner):
    assert_envelope(owner.client.post("/test/plan"), 402, "PLAN_LIMIT_EXCEEDED")


def test_drf_crash_is_500_without_internals(owner):
    client = owner.client
    client.raise_request_exception = False
    body = assert_envelope(client.get("/test/crash"), 500, "INTERNAL_ERROR")
    assert "hunter2" not in str(body) and "Traceback" not in str(body)


def test_plain_view_crash_is_500_without_internals():
    client = APIClient(raise_request_exception=False)
    body = assert_envelope(client.get("/test/plain-crash"), 500, "INTERNAL_ERROR")
    assert "secret internals" not in str(body)


def test_rate_limit_is_429_with_retry_after(org, owner, settings):
    org.plan = "free"
    org.save()
    for _ in range(60):
        assert owner.client.get("/api/v1/me").status_code == 200
    response = owner.client.get("/api/v1/me")
    body = assert_envelope(response, 429, "RATE_LIMIT_EXCEEDED")
    assert body["retry_after"] >= 1
    assert int(response["Retry-After"]) == body["retry_after"]


def test_plain_view_http404_is_404_not_500():
    response = APIClient(raise_request_exception=False).get("/test/plain-404")
    assert_envelope(response, 404, "NOT_FOUND")
