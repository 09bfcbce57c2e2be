"""GET/PATCH /findings/{id} and POST /findings/triage: history, permissions, transitions, tenancy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from findings.models import Finding, FindingStatus, FindingTriageEvent

pytestmark = pytest.mark.django_db
URL = "/api/v1/findings"


def test_detail_has_snippet_metadata_and_occurrence_history(world, viewer):
    f = world.finding("sql-injection")
    body = viewer.client.get(f"{URL}/{f.id}").json()
    assert body["id"] == str(f.id) and body["snippet"] == f.snippet and body["metadata"] == {}
    assert body["severity"] == "high" and body["line"] == 20 and body["effort_minutes"] == 5
    assert [(o["analysis_id"], o["line"]) for o in body["occurrences"]] == [(str(world.r2.id), 20), (str(world.r1.id), 10)]
    assert body["first_seen_analysis_id"] == str(world.r1.id) and body["last_seen_analysis_id"] == str(world.r2.id)


def test_detail_has_lifecycle_history(world, viewer):
    body = viewer.client.get(f"{URL}/{world.finding('eval-used').id}").json()
    assert [(e["from_status"], e["to_status"], e["source"], e["actor"]) for e in body["triage_history"]] == [
        ("open", "fixed", "analysis", None)
    ]


def test_outsider_gets_404_for_finding(world, outsider):
    f = world.finding("sql-injection")
    assert outsider.client.get(f"{URL}/{f.id}").status_code == 404
    response = outsider.client.patch(f"{URL}/{f.id}", {"status": "acknowledged"}, format="json")
    assert response.status_code == 404 and response.json()["error_code"] == "NOT_FOUND"
    assert Finding.objects.get(pk=f.pk).status == FindingStatus.OPEN


def test_member_triages_a_finding_and_who_and_when_are_recorded(world, member):
    f = world.finding("sql-injection")
    response = member.client.patch(f"{URL}/{f.id}", {"status": "acknowledged", "reason": "ticket SEC-12"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "acknowledged" and body["triage_reason"] == "ticket SEC-12"
    assert body["triaged_by"] == member.user.username and body["triaged_at"]
    assert body["triage_history"][0] == {
        **body["triage_history"][0],
        "from_status": "open",
        "to_status": "acknowledged",
        "actor": member.user.username,
        "source": "api",
        "reason": "ticket SEC-12",
    }


def test_viewer_cannot_triage(world, viewer):
    f = world.finding("sql-injection")
    response = viewer.client.patch(f"{URL}/{f.id}", {"status": "acknowledged"}, format="json")
    assert response.status_code == 403 and response.json()["error_code"] == "FORBIDDEN"
    response = viewer.client.post(f"{URL}/triage", {"ids": [str(f.id)], "status": "acknowledged"}, format="json")
    assert response.status_code == 403
    assert Finding.objects.get(pk=f.pk).status == FindingStatus.OPEN


def test_setting_fixed_by_hand_is_400(world, member):
    f = world.finding("sql-injection")
    response = member.client.patch(f"{URL}/{f.id}", {"status": "fixed"}, format="json")
    assert response.status_code == 400 and "status" in response.json()["fields"]
    assert not FindingTriageEvent.objects.filter(finding=f).exists()


def test_triaging_a_fixed_finding_is_400(world, member):
    response = member.client.patch(f"{URL}/{world.finding('eval-used').id}", {"status": "accepted"}, format="json")
    assert response.status_code == 400 and response.json()["error_code"] == "VALIDATION_ERROR"


def test_accept_with_expiry_then_reopen_by_hand(world, member):
    f = world.finding("sql-injection")
    expires = (timezone.now() + timedelta(days=30)).isoformat()
    body = member.client.patch(
        f"{URL}/{f.id}", {"status": "accepted", "reason": "legacy", "expires_at": expires}, format="json"
    ).json()
    assert body["status"] == "accepted" and body["triage_expires_at"]
    body = member.client.patch(f"{URL}/{f.id}", {"status": "open", "reason": "back on the list"}, format="json").json()
    assert body["status"] == "open" and body["triage_expires_at"] is None
    assert [e["to_status"] for e in body["triage_history"]] == ["open", "accepted"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"status": "acknowledged", "expires_at": "2099-01-01T00:00:00Z"}, "expires_at"),
        ({"status": "accepted", "expires_at": "2000-01-01T00:00:00Z"}, "expires_at"),
        ({"status": "wontfix"}, "status"),
        ({}, "status"),
    ],
)
def test_invalid_triage_payloads_are_400(world, member, payload, field):
    response = member.client.patch(f"{URL}/{world.finding('sql-injection').id}", payload, format="json")
    assert response.status_code == 400 and field in response.json()["fields"]


def test_bulk_triage_updates_all(world, member):
    ids = [str(world.finding(d).id) for d in ("sql-injection", "todo-comment", "bare-except")]
    response = member.client.post(f"{URL}/triage", {"ids": ids, "status": "false_positive", "reason": "generated"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["updated"] == 3
    assert set(Finding.objects.filter(id__in=ids).values_list("status", "triaged_by")) == {("false_positive", member.user.pk)}
    assert FindingTriageEvent.objects.filter(finding_id__in=ids, to_status="false_positive", actor=member.user).count() == 3


def test_bulk_triage_with_another_orgs_id_is_404_and_changes_nothing(world, member):
    ids = [str(world.finding("sql-injection").id), str(world.foreign.id)]
    response = member.client.post(f"{URL}/triage", {"ids": ids, "status": "acknowledged"}, format="json")
    assert response.status_code == 404
    assert set(Finding.objects.filter(id__in=ids).values_list("status", flat=True)) == {"open"}


def test_bulk_triage_with_a_fixed_finding_is_400_and_changes_nothing(world, member):
    ids = [str(world.finding("sql-injection").id), str(world.finding("eval-used").id)]
    response = member.client.post(f"{URL}/triage", {"ids": ids, "status": "acknowledged"}, format="json")
    assert response.status_code == 400
    assert Finding.objects.get(pk=ids[0]).status == FindingStatus.OPEN


def test_bulk_triage_accepts_at_most_100_ids(world, member):
    import uuid

    response = member.client.post(
        f"{URL}/triage", {"ids": [str(uuid.uuid4()) for _ in range(101)], "status": "acknowledged"}, format="json"
    )
    assert response.status_code == 400 and "ids" in response.json()["fields"]


def test_triaged_finding_is_still_listed_with_its_status(world, member, viewer):
    f = world.finding("sql-injection")
    member.client.patch(f"{URL}/{f.id}", {"status": "false_positive"}, format="json")
    listed = {x["id"]: x["status"] for x in viewer.client.get(URL).json()["results"]}
    assert listed[str(f.id)] == "false_positive"


def test_detail_query_count_is_fixed(world, viewer, django_assert_max_num_queries):
    f = world.finding("sql-injection")
    # credential + rate limit (3), finding, occurrences with runs, triage events with actors
    with django_assert_max_num_queries(6):
        assert viewer.client.get(f"{URL}/{f.id}").status_code == 200
