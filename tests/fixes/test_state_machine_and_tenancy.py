"""The proposal state machine (every transition outside the allowed list is a 409 CONFLICT, at
the service and at the API) and tenancy (outsider 404, anonymous 401, viewer 403 on writes)."""

from __future__ import annotations

import itertools

import pytest
from django.db import transaction

from fixes.models import ALLOWED_TRANSITIONS, FixProposal, FixStatus
from fixes.services import states
from repotoire.api.exceptions import Conflict
from tests.findings.factories import AnalysisRunFactory, RepositoryFactory, engine_finding, record
from tests.fixes.conftest import make_proposal

pytestmark = pytest.mark.django_db

ACTIONS = {"approve": FixStatus.APPROVED, "reject": FixStatus.REJECTED, "reopen": FixStatus.PENDING, "apply": FixStatus.APPLIED}


@pytest.fixture
def finding(org):
    from findings.models import Finding

    repo = RepositoryFactory(organization=org)
    record(AnalysisRunFactory(repository=repo), [engine_finding("unused-import", "app.py", 3, severity="low")])
    return Finding.objects.get(repository=repo)


@pytest.mark.parametrize(
    ("current", "target"),
    [pair for pair in itertools.product(FixStatus.values, FixStatus.values) if pair not in ALLOWED_TRANSITIONS],
)
def test_every_forbidden_transition_is_a_conflict(finding, current, target):
    proposal = make_proposal(finding, current)
    with pytest.raises(Conflict), transaction.atomic():
        states._transition(states._lock(proposal), target)
    proposal.refresh_from_db()
    assert proposal.status == current
    assert not proposal.events.exists()


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED_TRANSITIONS))
def test_every_allowed_transition_is_recorded_in_the_audit_trail(finding, member, current, target):
    proposal = make_proposal(finding, current)
    with transaction.atomic():
        states._transition(states._lock(proposal), target, actor=member.user, reason="because")
    proposal.refresh_from_db()
    assert proposal.status == target
    event = proposal.events.get()
    assert (event.from_status, event.to_status, event.actor, event.reason) == (current, target, member.user, "because")


@pytest.mark.parametrize(
    ("current", "action"),
    [
        (status, action)
        for status, (action, target) in itertools.product(FixStatus.values, ACTIONS.items())
        if (status, target) not in ALLOWED_TRANSITIONS
    ],
)
def test_forbidden_actions_through_the_api_are_409_with_the_envelope(finding, member, current, action):
    proposal = make_proposal(finding, current)
    response = member.client.post(f"/api/v1/fixes/{proposal.pk}/{action}", {}, format="json")
    assert response.status_code == 409, response.json()
    body = response.json()
    assert body["error"] == "conflict" and body["error_code"] == "CONFLICT" and current in body["detail"]
    assert FixProposal.objects.get(pk=proposal.pk).status == current


def test_preview_of_a_proposal_still_generating_is_409(finding, member):
    proposal = make_proposal(finding, FixStatus.GENERATING, diff="")
    assert member.client.post(f"/api/v1/fixes/{proposal.pk}/preview").status_code == 409


# --- tenancy -------------------------------------------------------------------------------------
def test_outsider_gets_404_for_another_orgs_proposal_and_its_actions(finding, outsider):
    proposal = make_proposal(finding, FixStatus.PENDING)
    assert outsider.client.get(f"/api/v1/fixes/{proposal.pk}").status_code == 404
    for action in ("approve", "reject", "reopen", "apply", "preview"):
        response = outsider.client.post(f"/api/v1/fixes/{proposal.pk}/{action}", {}, format="json")
        assert response.status_code == 404, action
        assert response.json()["error_code"] == "NOT_FOUND"
    assert outsider.client.get("/api/v1/fixes").json()["count"] == 0
    proposal.refresh_from_db()
    assert proposal.status == FixStatus.PENDING


def test_outsider_gets_404_requesting_a_fix_for_another_orgs_finding(finding, outsider):
    response = outsider.client.post(f"/api/v1/findings/{finding.pk}/fix")
    assert response.status_code == 404 and response.json()["error_code"] == "NOT_FOUND"
    assert not FixProposal.objects.exists()


def test_anonymous_gets_401(finding, anon):
    proposal = make_proposal(finding, FixStatus.PENDING)
    for method, url in [
        ("get", "/api/v1/fixes"),
        ("get", f"/api/v1/fixes/{proposal.pk}"),
        ("post", f"/api/v1/fixes/{proposal.pk}/approve"),
        ("post", f"/api/v1/findings/{finding.pk}/fix"),
    ]:
        response = getattr(anon, method)(url)
        assert response.status_code == 401, url
        assert response.json()["error_code"] == "UNAUTHORIZED"


def test_viewer_reads_but_gets_403_on_approve_and_other_writes(finding, viewer):
    proposal = make_proposal(finding, FixStatus.PENDING)
    assert viewer.client.get(f"/api/v1/fixes/{proposal.pk}").status_code == 200
    for url in [
        f"/api/v1/fixes/{proposal.pk}/approve",
        f"/api/v1/fixes/{proposal.pk}/reject",
        f"/api/v1/findings/{finding.pk}/fix",
    ]:
        response = viewer.client.post(url, {}, format="json")
        assert response.status_code == 403, url
        assert response.json()["error_code"] == "FORBIDDEN"
    proposal.refresh_from_db()
    assert proposal.status == FixStatus.PENDING


def test_unknown_finding_is_404(member):
    response = member.client.post("/api/v1/findings/00000000-0000-0000-0000-000000000000/fix")
    assert response.status_code == 404
