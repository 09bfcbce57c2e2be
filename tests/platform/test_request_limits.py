"""Request bodies: over REPOTOIRE_MAX_REQUEST_BYTES is a 413 PAYLOAD_TOO_LARGE in the envelope
(not Django's 500 at 2.5 MB), and a chunked body (no Content-Length) is read, with the same limit,
under the real ASGI server."""

from __future__ import annotations

import json

import httpx
import pytest
from django.test import override_settings

from accounts.models import ApiKey
from tests.asgi import asgi_server
from tests.platform.test_errors import assert_envelope


@pytest.mark.django_db
def test_a_body_between_djangos_old_limit_and_ours_is_parsed(admin_user):
    # 3 MB: over Django's default DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), under the 5 MiB default.
    body = json.dumps({"name": "a" * 3_000_000})
    response = admin_user.client.post("/api/v1/api-keys", data=body, content_type="application/json")
    assert_envelope(response, 400, "VALIDATION_ERROR")
    assert "name" in response.json()["fields"]


@pytest.mark.django_db
def test_a_body_over_the_limit_is_413_in_the_envelope(admin_user):
    before = ApiKey.objects.count()
    with override_settings(REPOTOIRE_MAX_REQUEST_BYTES=1000, DATA_UPLOAD_MAX_MEMORY_SIZE=1000):
        body = json.dumps({"name": "a" * 2000})
        response = admin_user.client.post("/api/v1/api-keys", data=body, content_type="application/json")
    assert_envelope(response, 413, "PAYLOAD_TOO_LARGE")
    assert ApiKey.objects.count() == before


def _chunks(data: bytes, size: int = 1000):
    for i in range(0, len(data), size):
        yield data[i : i + size]


@pytest.mark.django_db(transaction=True)
def test_live_server_limits_declared_and_chunked_bodies_and_reads_chunked_ones(tmp_path, admin_user):
    limit = 50_000
    headers = {"X-API-Key": admin_user.key, "Content-Type": "application/json"}
    with asgi_server(tmp_path, REPOTOIRE_MAX_REQUEST_BYTES=str(limit)) as base, httpx.Client(base_url=base, timeout=30) as client:
        big = json.dumps({"name": "a" * (limit * 2)}).encode()
        declared = client.post("/api/v1/api-keys", content=big, headers=headers)
        assert declared.status_code == 413, declared.text
        assert declared.json()["error_code"] == "PAYLOAD_TOO_LARGE"

        # A generator body goes out with Transfer-Encoding: chunked and no Content-Length.
        small = json.dumps({"name": "sent in chunks", "role": "viewer"}).encode()
        created = client.post("/api/v1/api-keys", content=_chunks(small, 7), headers=headers)
        assert "content-length" not in created.request.headers
        assert created.request.headers["transfer-encoding"] == "chunked"
        assert created.status_code == 201, created.text
        assert created.json()["name"] == "sent in chunks" and created.json()["role"] == "viewer"

        chunked_big = client.post("/api/v1/api-keys", content=_chunks(big), headers=headers)
        assert chunked_big.status_code == 413, chunked_big.text
        assert chunked_big.json()["error_code"] == "PAYLOAD_TOO_LARGE"

        # Just under the limit, declared: read and validated as usual.
        near = json.dumps({"name": "a" * (limit - 100)}).encode()
        validated = client.post("/api/v1/api-keys", content=near, headers=headers)
        assert validated.status_code == 400 and validated.json()["error_code"] == "VALIDATION_ERROR"
    assert (
        list(ApiKey.objects.filter(organization=admin_user.organization).values_list("name", flat=True)).count("sent in chunks")
        == 1
    )
