"""Django admin: findings list with filters, bulk triage actions that record history."""

from __future__ import annotations

import pytest
from django.test import Client

from findings.models import Finding, FindingTriageEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client() -> Client:
    user = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    client.user = user
    return client


def test_changelist_filters_by_repository_severity_status_and_detector(world, staff_client):
    url = "/admin/findings/finding/"
    response = staff_client.get(url, {"severity": "high", "status": "open", "detector": "sql-injection"})
    assert response.status_code == 200
    titles = [str(r) for r in response.context["cl"].result_list]
    assert len(titles) == 2  # ours and the other organisation's
    response = staff_client.get(url, {"repository__id__exact": str(world.repo_b.id)})
    assert [f.detector for f in response.context["cl"].result_list] == ["magic-number"]


def test_bulk_action_triages_across_organisations_and_records_history(world, staff_client):
    ids = [str(world.finding("sql-injection").id), str(world.foreign.id)]
    response = staff_client.post(
        "/admin/findings/finding/", {"action": "triage_false_positive", "_selected_action": ids}, follow=True
    )
    assert response.status_code == 200
    assert set(Finding.objects.filter(id__in=ids).values_list("status", flat=True)) == {"false_positive"}
    events = FindingTriageEvent.objects.filter(finding_id__in=ids, source="admin")
    assert events.count() == 2 and {e.actor_id for e in events} == {staff_client.user.pk}


def test_bulk_action_on_a_fixed_finding_reports_an_error(world, staff_client):
    fixed = world.finding("eval-used")
    response = staff_client.post(
        "/admin/findings/finding/", {"action": "triage_acknowledged", "_selected_action": [str(fixed.id)]}, follow=True
    )
    assert "cannot be triaged" in response.content.decode()
    assert Finding.objects.get(pk=fixed.pk).status == "fixed"


def test_finding_change_page_is_read_only_with_history(world, staff_client):
    f = world.finding("eval-used")
    response = staff_client.get(f"/admin/findings/finding/{f.id}/change/")
    assert response.status_code == 200 and "No longer detected" in response.content.decode()
    assert not Finding.objects.filter(pk=f.pk).exclude(status="fixed").exists()
