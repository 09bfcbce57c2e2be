from __future__ import annotations

import pytest
from rest_framework.test import APIClient

SEED_PATHS = [
    "/api/v1/analysis/trigger",
    "/api/v1/analysis/{id}/status",
    "/api/v1/analysis/{id}/progress",
    "/api/v1/analysis/history",
    "/api/v1/analysis/concurrency",
    "/api/v1/findings",
    "/api/v1/findings/summary",
    "/api/v1/findings/by-detector",
    "/api/v1/findings/{id}",
    "/api/v1/fixes",
    "/api/v1/fixes/{id}",
    "/api/v1/fixes/{id}/approve",
    "/api/v1/fixes/{id}/reject",
    "/api/v1/fixes/{id}/apply",
    "/api/v1/fixes/{id}/preview",
    "/api/v1/code/search",
    "/api/v1/code/ask",
    "/api/v1/code/embeddings/status",
    "/api/v1/billing/subscription",
    "/api/v1/billing/checkout",
    "/api/v1/billing/portal",
    "/api/v1/billing/plans",
    "/api/v1/customer-webhooks",
    "/api/v1/customer-webhooks/{id}",
    "/api/v1/customer-webhooks/{id}/test",
    "/api/v1/github/installations",
    "/api/v1/github/installations/{id}/repos",
    "/api/v1/github/repos/{id}/quality-gates",
]


@pytest.fixture(scope="module")
def schema():
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    generated = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(generated)
    return generated


def _normalise(path: str) -> str:
    import re

    return re.sub(r"\{[^}]+\}", "{id}", path)


def test_schema_lists_the_seed_paths_implemented(schema):
    paths = {_normalise(p) for p in schema["paths"]}
    missing = [p for p in SEED_PATHS if p not in paths]
    assert not missing, missing
    assert "/api/v1/me" in paths and "/api/v1/api-keys" in paths


def test_schema_declares_both_auth_schemes_and_the_error_envelope(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["ApiKeyAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": schemes["ApiKeyAuth"]["description"],
    }
    assert schemes["ClerkJWT"]["scheme"] == "bearer"
    assert set(schema["components"]["schemas"]["ErrorEnvelope"]["required"]) == {"error", "detail", "error_code"}
    me = schema["paths"]["/api/v1/me"]["get"]
    assert me["responses"]["401"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorEnvelope")
    assert "X-RateLimit-Remaining" in me["responses"]["200"]["headers"]


@pytest.mark.django_db
def test_docs_are_served_without_a_cdn():
    client = APIClient()
    docs = client.get("/docs")
    assert docs.status_code == 200 and b"cdn.jsdelivr" not in docs.content and b"unpkg" not in docs.content
    assert client.get("/redoc").status_code == 200
    openapi = client.get("/openapi.json")
    assert openapi.status_code == 200 and openapi.json()["openapi"].startswith("3.")


def test_liveness_needs_no_database():
    response = APIClient().get("/health")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readiness_checks_database_cache_and_queue():
    body = APIClient().get("/health/ready").json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "queue"}


@pytest.mark.django_db
def test_readiness_is_503_with_the_envelope_when_the_cache_is_down(settings):
    settings.CACHES = {"default": {"BACKEND": "repotoire.cache.PostgresCache", "LOCATION": "no_such_cache_table"}}
    response = APIClient().get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["error_code"] == "SERVICE_UNAVAILABLE" and body["checks"]["cache"]["status"] == "error"
    assert body["checks"]["database"]["status"] == "ok"
