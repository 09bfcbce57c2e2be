"""Customer webhooks on fix transitions (fix.proposed, fix.applied) and the Django admin."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from fixes.models import FixStatus
from tests.factories import UserFactory
from tests.fixes.conftest import make_proposal
from tests.stubs.http import StubResponse, StubServer

pytestmark = pytest.mark.django_db


def test_proposed_and_applied_fixes_are_announced_to_customer_webhooks(
    member, owner, org, analysed, generate, settings, django_capture_on_commit_callbacks
):
    from tests.webhooks.helpers import assert_documented_shape
    from webhooks.models import WebhookDelivery
    from webhooks.services import webhook_endpoint_create

    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    with StubServer(lambda request: StubResponse(200, b"ok")) as receiver:
        webhook_endpoint_create(
            organization=org,
            created_by=owner.user,
            name="fixes",
            url=f"{receiver.url}/hook",
            events=["fix.proposed", "fix.applied"],
        )
        proposal = generate(member.client, analysed.finding("unused-import"))
        member.client.post(f"/api/v1/fixes/{proposal.pk}/approve")
        with django_capture_on_commit_callbacks(execute=True):
            assert member.client.post(f"/api/v1/fixes/{proposal.pk}/apply").status_code == 200
    deliveries = {d.event_type: json.loads(d.body)["data"] for d in WebhookDelivery.objects.filter(organization=org)}
    assert set(deliveries) == {"fix.proposed", "fix.applied"}
    proposed, applied = deliveries["fix.proposed"], deliveries["fix.applied"]
    assert proposed["fix_id"] == str(proposal.pk) and proposed["finding_id"] == str(proposal.finding_id)
    assert proposed["repository"] == {"id": str(analysed.repo.pk), "name": "acme/shop"} and proposed["provenance"] == "rule"
    proposal.refresh_from_db()
    assert applied["branch"] == proposal.branch_name and applied["commit_sha"] == proposal.apply_result["commit_sha"]
    assert applied["pull_request_url"] is None
    assert_documented_shape("fix.proposed", proposed)
    assert_documented_shape("fix.applied", applied)


@pytest.fixture
def staff_client() -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_admin_lists_proposals_and_shows_the_audit_trail_read_only(finding_for_admin, staff_client, member):
    from django.db import transaction

    from fixes.services import states

    proposal = make_proposal(finding_for_admin, FixStatus.PENDING)
    with transaction.atomic():
        states._transition(states._lock(proposal), FixStatus.REJECTED, actor=member.user, reason="not now")
    changelist = staff_client.get("/admin/fixes/fixproposal/", {"status__exact": "rejected"})
    assert changelist.status_code == 200
    assert [p.pk for p in changelist.context["cl"].result_list] == [proposal.pk]
    detail = staff_client.get(f"/admin/fixes/fixproposal/{proposal.pk}/change/")
    assert detail.status_code == 200
    assert b"not now" in detail.content and b"rejected" in detail.content
    assert staff_client.get("/admin/fixes/fixproposal/add/").status_code == 403


@pytest.fixture
def finding_for_admin(org):
    from findings.models import Finding
    from tests.findings.factories import AnalysisRunFactory, RepositoryFactory, engine_finding, record

    repo = RepositoryFactory(organization=org)
    record(AnalysisRunFactory(repository=repo), [engine_finding("unused-import", "app.py", 3, severity="low")])
    return Finding.objects.get(repository=repo)
