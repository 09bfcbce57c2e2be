"""Property-based fuzzing of the finished API routes against our own OpenAPI schema.

Schemathesis generates valid and invalid requests from the generated schema and sends them
in-process to the WSGI application (no server, the test database): every answer must be a
documented, non-5xx response, and every error must be the envelope. Bounded and derandomised
so a run is repeatable (REPOTOIRE_FUZZ_EXAMPLES=200 for a deeper local run); the routes of
apps still in progress are left out.
"""

from __future__ import annotations

import os
import socket

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

ROUTES = r"^/api/v1/(findings|customer-webhooks|api-keys|billing/|me$)"
# Each sends an HTTP request to a stored webhook URL: not traffic a unit test should make.
SENDS_REQUESTS = r"/(test|redeliver)$"
ENVELOPE_KEYS = {"error", "detail", "error_code"}


def _schema() -> schemathesis.schemas.BaseSchema:
    loaded = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
    loaded.app = get_wsgi_application()
    return loaded.include(path_regex=ROUTES).exclude(path_regex=SENDS_REQUESTS)


schema = _schema()


@pytest.fixture
def fuzz_org(db):
    from tests.factories import OrganizationFactory

    # Enterprise: the highest API rate limit, so the examples are not answered with 429.
    return OrganizationFactory(name="Fuzz", slug="fuzz", plan="enterprise")


@pytest.fixture
def fuzz_owner(fuzz_org, monkeypatch):
    from tests.conftest import make_persona

    def offline_getaddrinfo(host, *args, **kwargs):
        # Webhook URLs are vetted by resolving their host; generated host names must not leave
        # the machine as DNS queries.
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", offline_getaddrinfo)
    # Like Django's test client: the WSGI handler must not close the test transaction's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield make_persona(fuzz_org, "owner")
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("REPOTOIRE_FUZZ_EXAMPLES", "8")),
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_generated_requests_without_server_errors(case, fuzz_owner):
    response = case.call(headers={"X-API-Key": fuzz_owner.key})
    # 5xx only where the schema documents it (503: billing not configured); never a crash.
    assert response.status_code != 500, (case.method, case.formatted_path, case.query, case.body, response.text[:500])
    if response.status_code >= 400:
        body = response.json()
        assert ENVELOPE_KEYS <= set(body), (case.method, case.formatted_path, response.text[:500])
        if response.status_code == 400 and body["error_code"] == "VALIDATION_ERROR":
            assert isinstance(body.get("fields", {}), dict)
    case.validate_response(response, checks=[status_code_conformance, content_type_conformance, response_schema_conformance])
