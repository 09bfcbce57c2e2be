"""Inputs found by fuzzing the OpenAPI schema: each one is a clear 4xx in the envelope, never a 500."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.platform.test_errors import assert_envelope

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("header", [" ", "\t", "   "])
def test_blank_authorization_header_is_401_not_500(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/me")
    assert_envelope(response, 401, "UNAUTHORIZED")
    assert "WWW-Authenticate" in response


def test_blank_authorization_header_does_not_hide_a_valid_api_key(owner):
    owner.client.credentials(HTTP_X_API_KEY=owner.key, HTTP_AUTHORIZATION=" ")
    assert owner.client.get("/api/v1/me").status_code == 200


def test_deeply_nested_json_body_is_a_validation_error(admin_user):
    from accounts.models import ApiKey

    before = ApiKey.objects.count()
    body = "[" * 100_000 + "]" * 100_000
    response = admin_user.client.post("/api/v1/api-keys", data=body, content_type="application/json")
    assert_envelope(response, 400, "VALIDATION_ERROR")
    assert ApiKey.objects.count() == before


def test_deeply_nested_json_inside_an_object_is_a_validation_error(owner):
    body = '{"ids": ' + "[" * 50_000 + "]" * 50_000 + ', "status": "open"}'
    response = owner.client.post("/api/v1/findings/triage", data=body, content_type="application/json")
    assert_envelope(response, 400, "VALIDATION_ERROR")


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5"])
@pytest.mark.parametrize("url", ["/api/v1/findings", "/api/v1/api-keys", "/api/v1/customer-webhooks"])
def test_invalid_page_number_is_a_validation_error_naming_the_field(owner, url, page):
    body = assert_envelope(owner.client.get(url, {"page": page}), 400, "VALIDATION_ERROR")
    assert set(body["fields"]) == {"page"}


def test_page_past_the_end_is_404(owner):
    assert_envelope(owner.client.get("/api/v1/api-keys", {"page": 5}), 404, "NOT_FOUND")


def test_last_page_by_name_is_still_accepted(owner):
    assert owner.client.get("/api/v1/api-keys", {"page": "last"}).status_code == 200


def test_collection_reads_document_their_404():
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    for path in ("/api/v1/findings", "/api/v1/api-keys", "/api/v1/customer-webhooks", "/api/v1/findings/summary"):
        assert "404" in paths[path]["get"]["responses"], path


def test_schema_agrees_with_the_trend_and_progress_answers_and_documents_409_413_503():
    from drf_spectacular.generators import SchemaGenerator

    generated = SchemaGenerator().get_schema(request=None, public=True)
    paths = generated["paths"]
    trend = paths["/api/v1/repositories/{id}/trend"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert trend["type"] == "array"  # the bare list the view returns, not a page
    stream = paths["/api/v1/analysis/{id}/progress"]["get"]["responses"]["200"]["content"]["text/event-stream"]
    assert stream["schema"]["type"] == "string"
    assert stream["x-sse-events"]["progress"] == {"$ref": "#/components/schemas/AnalysisProgressEventOutput"}
    assert "AnalysisProgressEventOutput" in generated["components"]["schemas"]
    assert "409" in paths["/api/v1/analysis/trigger"]["post"]["responses"]
    assert "409" in paths["/api/v1/analysis/{id}/report"]["get"]["responses"]
    for item in paths.values():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                assert "503" in operation["responses"], (method, operation["operationId"])
                if "requestBody" in operation:
                    assert "413" in operation["responses"], operation["operationId"]
