"""Query parameters of the deliveries list are validated: a clear 400, never a 500."""

from __future__ import annotations

import pytest

from tests.webhooks.helpers import create_endpoint

pytestmark = pytest.mark.django_db

URL = "/api/v1/customer-webhooks"
PUBLIC_URL = "https://93.184.216.34/hook"  # an IP literal: vetted without a DNS lookup


@pytest.mark.parametrize(
    "params,field",
    [
        ({"status": "\x00"}, "status"),
        ({"status": "bogus"}, "status"),
        ({"event_type": "analysis.\x00completed"}, "event_type"),
        ({"event_type": "x" * 65}, "event_type"),
    ],
)
def test_bad_deliveries_filter_is_a_validation_error(org, viewer, params, field):
    endpoint, _ = create_endpoint(org, PUBLIC_URL)
    response = viewer.client.get(f"{URL}/{endpoint.pk}/deliveries", params)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error_code"] == "VALIDATION_ERROR"
    assert set(body["fields"]) == {field}


def test_valid_deliveries_filters_are_accepted(org, viewer):
    endpoint, _ = create_endpoint(org, PUBLIC_URL)
    response = viewer.client.get(f"{URL}/{endpoint.pk}/deliveries", {"status": "failed", "event_type": "analysis.completed"})
    assert response.status_code == 200, response.content
    assert response.json()["count"] == 0


def test_bad_deliveries_filter_on_another_orgs_webhook_is_still_404(other_org, viewer):
    endpoint, _ = create_endpoint(other_org, PUBLIC_URL)
    response = viewer.client.get(f"{URL}/{endpoint.pk}/deliveries", {"status": "\x00"})
    assert response.status_code == 404
    assert response.json()["error_code"] == "NOT_FOUND"


def test_deliveries_filters_anonymous_is_401(org, anon):
    endpoint, _ = create_endpoint(org, PUBLIC_URL)
    assert anon.get(f"{URL}/{endpoint.pk}/deliveries", {"status": "failed"}).status_code == 401
