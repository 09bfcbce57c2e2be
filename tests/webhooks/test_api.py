"""The customer webhooks API: secrets shown once and encrypted, roles, tenancy, test, deliveries,
redelivery and rotation."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from tests.webhooks.helpers import create_endpoint
from webhooks import crypto, services
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

URL = "/api/v1/customer-webhooks"

pytestmark = pytest.mark.usefixtures("allow_private_targets")


def payload(url, **extra):
    return {"name": "CI", "url": url, "events": ["analysis.completed", "finding.new"], **extra}


def test_create_shows_the_secret_once_and_stores_it_encrypted(owner, receiver):
    response = owner.client.post(URL, payload(receiver.url), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    secret = body["secret"]
    assert secret.startswith("whsec_") and len(secret) > 40
    assert body["secret_hint"] == secret[:10]
    assert body["events"] == ["analysis.completed", "finding.new"]

    detail = owner.client.get(f"{URL}/{body['id']}").json()
    listing = owner.client.get(URL).json()
    assert "secret" not in detail and secret not in json.dumps(detail)
    assert secret not in json.dumps(listing)

    with connection.cursor() as cursor:
        cursor.execute("SELECT secret_encrypted FROM webhooks_webhookendpoint WHERE id = %s", [body["id"]])
        [raw] = cursor.fetchone()
    assert secret not in raw
    assert crypto.decrypt(raw) == secret


def test_create_validates_events(owner, receiver):
    response = owner.client.post(URL, payload(receiver.url, events=["analysis.completed", "repo.exploded"]), format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["error_code"] == "VALIDATION_ERROR"
    assert any(key.startswith("events") for key in body["fields"])
    assert owner.client.post(URL, payload(receiver.url, events=[]), format="json").status_code == 400


def test_create_checks_the_repository_belongs_to_the_org(owner, receiver):
    import uuid

    response = owner.client.post(URL, payload(receiver.url, repository_id=str(uuid.uuid4())), format="json")
    assert response.status_code == 400
    assert "repository_id" in response.json()["fields"]


def test_plan_without_the_feature_gets_402(owner, receiver, monkeypatch):
    from dataclasses import replace

    from billing.plans import PLANS

    monkeypatch.setitem(PLANS, "pro", replace(PLANS["pro"], features=frozenset()))
    response = owner.client.post(URL, payload(receiver.url), format="json")
    assert response.status_code == 402
    assert response.json()["error_code"] == "PLAN_LIMIT_EXCEEDED"


def test_viewer_and_member_can_read_but_not_write(org, viewer, member, receiver):
    endpoint, _ = create_endpoint(org, receiver.url)
    for persona in (viewer, member):
        client = persona.client
        assert client.get(URL).status_code == 200
        assert client.get(f"{URL}/{endpoint.pk}").status_code == 200
        assert client.get(f"{URL}/{endpoint.pk}/deliveries").status_code == 200
        assert client.post(URL, payload(receiver.url), format="json").status_code == 403
        assert client.patch(f"{URL}/{endpoint.pk}", {"name": "x"}, format="json").status_code == 403
        assert client.delete(f"{URL}/{endpoint.pk}").status_code == 403
        assert client.post(f"{URL}/{endpoint.pk}/test").status_code == 403
        assert client.post(f"{URL}/{endpoint.pk}/rotate-secret", {}, format="json").status_code == 403
    assert receiver.requests == []
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).name == "ci"


def test_admin_can_manage(admin_user, receiver):
    response = admin_user.client.post(URL, payload(receiver.url), format="json")
    assert response.status_code == 201


def test_outsider_gets_404_on_every_route(org, outsider, receiver):
    endpoint, _ = create_endpoint(org, receiver.url)
    [delivery_id] = services.webhook_emit(organization=org, event_type="analysis.completed", data={})
    client = outsider.client
    assert client.get(URL).json()["results"] == []
    assert client.get(f"{URL}/{endpoint.pk}").status_code == 404
    assert client.patch(f"{URL}/{endpoint.pk}", {"name": "pwned"}, format="json").status_code == 404
    assert client.delete(f"{URL}/{endpoint.pk}").status_code == 404
    assert client.post(f"{URL}/{endpoint.pk}/test").status_code == 404
    assert client.get(f"{URL}/{endpoint.pk}/deliveries").status_code == 404
    assert client.post(f"{URL}/{endpoint.pk}/deliveries/{delivery_id}/redeliver").status_code == 404
    response = client.post(f"{URL}/{endpoint.pk}/rotate-secret", {}, format="json")
    assert response.status_code == 404
    assert response.json()["error_code"] == "NOT_FOUND"
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).name == "ci"
    assert receiver.requests == []


def test_outsider_cannot_redeliver_through_their_own_webhook(org, outsider, receiver):
    create_endpoint(org, receiver.url)
    [delivery_id] = services.webhook_emit(organization=org, event_type="analysis.completed", data={"secret": "org data"})
    their_endpoint, _ = create_endpoint(outsider.organization, receiver.url)
    response = outsider.client.post(f"{URL}/{their_endpoint.pk}/deliveries/{delivery_id}/redeliver")
    assert response.status_code == 404
    assert WebhookDelivery.objects.filter(endpoint=their_endpoint).count() == 0


def test_anonymous_gets_401(org, anon, receiver):
    endpoint, _ = create_endpoint(org, receiver.url)
    assert anon.get(URL).status_code == 401
    assert anon.get(f"{URL}/{endpoint.pk}").status_code == 401
    assert anon.post(URL, payload(receiver.url), format="json").status_code == 401
    assert anon.post(f"{URL}/{endpoint.pk}/test").status_code == 401
    assert anon.get(f"{URL}/{endpoint.pk}/deliveries").json()["error_code"] == "UNAUTHORIZED"


def test_test_action_delivers_now_and_returns_the_delivery(owner, receiver, verify_signature):
    created = owner.client.post(URL, payload(receiver.url), format="json").json()
    response = owner.client.post(f"{URL}/{created['id']}/test")
    assert response.status_code == 200
    body = response.json()
    assert body["event_type"] == "webhook.test"
    assert body["status"] == "succeeded"
    assert body["response_status_code"] == 200
    assert len(body["attempt_log"]) == 1
    [request] = receiver.requests
    assert request.headers["repotoire-event"] == "webhook.test"
    assert request.headers["repotoire-delivery"] == body["id"]
    assert verify_signature(created["secret"], request.headers["repotoire-signature"], request.body)


def test_test_action_reports_a_failing_receiver(owner, receiver):
    receiver.reply(500)
    created = owner.client.post(URL, payload(receiver.url), format="json").json()
    body = owner.client.post(f"{URL}/{created['id']}/test").json()
    assert body["status"] == "failed"
    assert body["response_status_code"] == 500
    assert body["next_retry_at"] is None


def test_deliveries_list_shows_attempts_and_is_paginated(org, owner, receiver, django_assert_max_num_queries):
    receiver.reply(500)
    endpoint, _ = create_endpoint(org, receiver.url)
    ids = [services.webhook_emit(organization=org, event_type="analysis.completed", data={"n": n})[0] for n in range(3)]
    services.delivery_attempt(delivery_id=ids[0])

    with django_assert_max_num_queries(8):
        response = owner.client.get(f"{URL}/{endpoint.pk}/deliveries?page_size=2")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"]

    failed = owner.client.get(f"{URL}/{endpoint.pk}/deliveries?status=pending").json()["results"]
    first = next(d for d in failed if d["id"] == str(ids[0]))
    assert first["attempts"] == 1
    assert first["response_status_code"] == 500
    assert first["error"] == "HTTP 500"
    assert first["next_retry_at"] is not None
    assert first["payload"]["data"] == {"n": 0}
    assert first["attempt_log"][0]["response_status_code"] == 500


def test_deliveries_list_query_count_does_not_grow_with_rows(org, owner, receiver, django_assert_max_num_queries):
    endpoint, _ = create_endpoint(org, receiver.url)
    for n in range(15):
        [delivery_id] = services.webhook_emit(organization=org, event_type="analysis.completed", data={"n": n})
        services.delivery_attempt(delivery_id=delivery_id)
    with django_assert_max_num_queries(8):
        assert len(owner.client.get(f"{URL}/{endpoint.pk}/deliveries").json()["results"]) == 15


def test_redeliver_sends_the_same_event_as_a_new_delivery(
    org, owner, receiver, q_sync, django_capture_on_commit_callbacks, verify_signature
):
    endpoint, secret = create_endpoint(org, receiver.url)
    [original_id] = services.webhook_emit(organization=org, event_type="analysis.completed", data={"analysis_id": "r1"})
    services.delivery_attempt(delivery_id=original_id)
    original = WebhookDelivery.objects.get(pk=original_id)

    with django_capture_on_commit_callbacks(execute=True):
        response = owner.client.post(f"{URL}/{endpoint.pk}/deliveries/{original_id}/redeliver")
    assert response.status_code == 202
    copy = WebhookDelivery.objects.get(pk=response.json()["id"])
    assert copy.pk != original.pk
    assert copy.redelivery_of_id == original.pk
    assert copy.status == DeliveryStatus.SUCCEEDED

    first, second = receiver.requests
    assert first.body == second.body
    assert json.loads(second.body)["id"] == str(original.event_id)
    assert second.headers["repotoire-delivery"] == str(copy.pk) != first.headers["repotoire-delivery"]
    assert verify_signature(secret, second.headers["repotoire-signature"], second.body)


def test_redeliver_on_a_disabled_webhook_is_a_conflict(org, owner, receiver):
    endpoint, _ = create_endpoint(org, receiver.url)
    [delivery_id] = services.webhook_emit(organization=org, event_type="analysis.completed", data={})
    services.webhook_endpoint_update(endpoint=endpoint, is_active=False)
    response = owner.client.post(f"{URL}/{endpoint.pk}/deliveries/{delivery_id}/redeliver")
    assert response.status_code == 409
    assert response.json()["error_code"] == "CONFLICT"


def test_redeliver_unknown_delivery_is_404(org, owner, receiver):
    import uuid

    endpoint, _ = create_endpoint(org, receiver.url)
    response = owner.client.post(f"{URL}/{endpoint.pk}/deliveries/{uuid.uuid4()}/redeliver")
    assert response.status_code == 404


def test_rotate_secret_returns_a_new_secret_and_signs_with_both(owner, receiver, verify_signature):
    created = owner.client.post(URL, payload(receiver.url), format="json").json()
    response = owner.client.post(f"{URL}/{created['id']}/rotate-secret", {"grace_hours": 2}, format="json")
    assert response.status_code == 200
    rotated = response.json()
    assert rotated["secret"] != created["secret"]
    assert rotated["secret_rotation_ends_at"]
    assert owner.client.get(f"{URL}/{created['id']}").json()["secret_rotation_ends_at"] == rotated["secret_rotation_ends_at"]

    owner.client.post(f"{URL}/{created['id']}/test")
    [request] = receiver.requests
    header = request.headers["repotoire-signature"]
    assert header.count("v1=") == 2
    assert verify_signature(rotated["secret"], header, request.body)
    assert verify_signature(created["secret"], header, request.body)


def test_rotate_secret_validates_grace(owner, receiver):
    created = owner.client.post(URL, payload(receiver.url), format="json").json()
    response = owner.client.post(f"{URL}/{created['id']}/rotate-secret", {"grace_hours": 1000}, format="json")
    assert response.status_code == 400
    assert "grace_hours" in response.json()["fields"]


def test_patch_updates_fields_and_reenabling_clears_the_reason(org, owner, receiver):
    endpoint, _ = create_endpoint(org, receiver.url)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False, disabled_reason="Disabled automatically: …")
    response = owner.client.patch(
        f"{URL}/{endpoint.pk}", {"is_active": True, "events": ["fix.applied"], "name": "Renamed"}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["is_active"] is True
    assert body["disabled_reason"] == ""
    assert body["events"] == ["fix.applied"]
    assert body["name"] == "Renamed"


def test_put_is_not_allowed(org, owner, receiver):
    endpoint, _ = create_endpoint(org, receiver.url)
    assert owner.client.put(f"{URL}/{endpoint.pk}", payload(receiver.url), format="json").status_code == 405


def test_delete_removes_the_webhook_and_its_deliveries(org, owner, receiver):
    endpoint, _ = create_endpoint(org, receiver.url)
    services.webhook_emit(organization=org, event_type="analysis.completed", data={})
    assert owner.client.delete(f"{URL}/{endpoint.pk}").status_code == 204
    assert not WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()
    assert not WebhookDelivery.objects.filter(endpoint_id=endpoint.pk).exists()


def test_list_is_scoped_to_the_org(org, other_org, owner, receiver):
    mine, _ = create_endpoint(org, receiver.url)
    create_endpoint(other_org, receiver.url)
    results = owner.client.get(URL).json()["results"]
    assert [r["id"] for r in results] == [str(mine.pk)]


def test_openapi_documents_every_route_and_the_events(owner):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    expected = {
        "/api/v1/customer-webhooks": {"get", "post"},
        "/api/v1/customer-webhooks/{id}": {"get", "patch", "delete"},
        "/api/v1/customer-webhooks/{id}/test": {"post"},
        "/api/v1/customer-webhooks/{id}/deliveries": {"get"},
        "/api/v1/customer-webhooks/{id}/deliveries/{delivery_id}/redeliver": {"post"},
        "/api/v1/customer-webhooks/{id}/rotate-secret": {"post"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path
    description = paths["/api/v1/customer-webhooks"]["post"]["description"]
    for event_type in services.EVENT_TYPES:
        assert f"`{event_type}`" in description


def test_readme_and_examples_cover_every_event():
    from tests.webhooks.conftest import README
    from webhooks.events import EVENT_EXAMPLES

    assert list(EVENT_EXAMPLES) == services.EVENT_TYPES
    section = README.read_text().split("## Customer webhooks", 1)[1].split("\n## ", 1)[0]
    for event_type, example in EVENT_EXAMPLES.items():
        assert f"| `{event_type}` | `{json.dumps(example)}` |" in section


def test_test_action_works_on_a_disabled_webhook_and_does_not_touch_its_health(org, owner, receiver):
    endpoint, _ = create_endpoint(org, receiver.url)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False, disabled_reason="Disabled automatically")
    receiver.reply(500)
    assert owner.client.post(f"{URL}/{endpoint.pk}/test").json()["status"] == "failed"
    assert owner.client.post(f"{URL}/{endpoint.pk}/test").json()["status"] == "succeeded"
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None
    assert not endpoint.is_active
    assert len(receiver.requests) == 2
