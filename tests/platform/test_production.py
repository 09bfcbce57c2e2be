"""Production settings: `check --deploy` is clean, HTTPS behind a proxy, request ids in responses,
error bodies and logs (plain and JSON)."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from rest_framework.test import APIClient

from repotoire.logs import JsonFormatter, RequestIdFilter
from tests.asgi import ROOT

PRODUCTION_ENV = {
    "REPOTOIRE_ENV": "production",
    "SECRET_KEY": "k" * 20 + "-production-test-secret-key-of-sufficient-length-0123456789",
    "ALLOWED_HOSTS": "repotoire.example.com",
    "ENCRYPTION_KEY": Fernet.generate_key().decode(),
    "PUBLIC_BASE_URL": "https://repotoire.example.com",
}


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **PRODUCTION_ENV, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_in_production():
    result = _manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_flags_a_production_without_https_redirect():
    """The check is real: turning a protection off makes it fail."""
    result = _manage("check", "--deploy", "--fail-level", "WARNING", SECURE_SSL_REDIRECT="false")
    assert result.returncode != 0
    assert "security.W008" in result.stdout + result.stderr


def test_production_settings_trust_the_proxy_header_only_when_named():
    script = (
        "from django.conf import settings as s; import json; print(json.dumps([getattr(s, 'SECURE_PROXY_SSL_HEADER', None), "
        "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_TRUSTED_ORIGINS]))"
    )
    plain = json.loads(_manage("shell", "-c", script).stdout.splitlines()[-1])
    assert plain == [None, True, 31536000, True, ["https://repotoire.example.com"]]
    proxied = json.loads(_manage("shell", "-c", script, SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto").stdout.splitlines()[-1])
    assert proxied[0] == ["HTTP_X_FORWARDED_PROTO", "https"]


@pytest.mark.django_db
def test_https_redirect_behind_a_proxy_spares_health_probes(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_REDIRECT_EXEMPT = [r"^health"]
    client = APIClient()
    redirected = client.get("/api/v1/billing/plans")
    assert redirected.status_code == 301
    assert redirected["Location"].startswith("https://")
    assert client.get("/api/v1/billing/plans", HTTP_X_FORWARDED_PROTO="https").status_code == 200
    assert client.get("/health").status_code == 200


@pytest.mark.django_db
def test_every_response_carries_a_request_id_and_a_sane_incoming_one_is_kept():
    client = APIClient()
    generated = client.get("/health")["X-Request-ID"]
    assert len(generated) == 32
    assert client.get("/health", HTTP_X_REQUEST_ID="lb-1234.abc")["X-Request-ID"] == "lb-1234.abc"
    forged = client.get("/health", HTTP_X_REQUEST_ID='x" onload=1 ' + "y" * 300)["X-Request-ID"]
    assert forged != "lb-1234.abc" and len(forged) == 32
    assert client.get("/nowhere")["X-Request-ID"]  # errors too


@pytest.mark.django_db
@pytest.mark.urls("tests.platform.urls")
@pytest.mark.parametrize("fmt", ["json", "plain"])
def test_a_500_names_its_request_id_in_the_body_and_in_the_log_line(fmt):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter("%(levelname)s [%(request_id)s] %(message)s"))
    errors = logging.getLogger("repotoire.errors")
    errors.addHandler(handler)
    try:
        response = APIClient(raise_request_exception=False).get("/test/plain-crash", HTTP_X_REQUEST_ID="req-42")
    finally:
        errors.removeHandler(handler)
    assert response.status_code == 500
    assert response.json()["request_id"] == "req-42"
    assert response["X-Request-ID"] == "req-42"
    line = stream.getvalue().splitlines()[0]
    if fmt == "json":
        entry = json.loads(line)
        assert entry["request_id"] == "req-42"
        assert entry["level"] == "ERROR"
        assert "Traceback" in entry["exception"]
    else:
        assert "[req-42]" in line


@pytest.mark.django_db
def test_client_errors_keep_the_plain_envelope(anon):
    # The id is on the header of a 4xx; its body stays the documented three keys.
    assert set(anon.get("/api/v1/me").json()) == {"error", "detail", "error_code"}


@pytest.mark.django_db
def test_the_access_line_names_the_request_id_status_and_path():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    access = logging.getLogger("repotoire.access")
    access.addHandler(handler)
    try:
        response = APIClient().get("/api/v1/me?x=1", HTTP_X_REQUEST_ID="req-7")
    finally:
        access.removeHandler(handler)
    entry = json.loads(stream.getvalue().splitlines()[0])
    assert response.status_code == 401
    assert entry["request_id"] == "req-7"
    assert entry["message"].startswith("GET /api/v1/me 401 ")  # the query string is never logged
