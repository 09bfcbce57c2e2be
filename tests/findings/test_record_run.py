"""findings_record_run: identity by fingerprint and the lifecycle across runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from findings.models import Finding, FindingOccurrence, FindingStatus, FindingTriageEvent
from findings.services import (
    finding_triage,
    findings_effective_for_score,
    findings_reopen_expired,
    findings_suppressed_fingerprints,
)
from tests.findings.factories import AnalysisRunFactory, RepositoryFactory, engine_finding, record

pytestmark = pytest.mark.django_db


@pytest.fixture
def repo(org):
    return RepositoryFactory(organization=org)


def new_run(repo):
    return AnalysisRunFactory(repository=repo)


def test_first_run_creates_findings_with_first_seen_run(repo):
    run = new_run(repo)
    counts = record(run, [engine_finding(line=3), engine_finding("eval-used", severity="critical")])
    assert counts["new"] == 2 and counts["fixed"] == 0 and counts["reopened"] == 0 and counts["total"] == 2
    assert counts["by_severity"] == {"info": 0, "low": 0, "medium": 0, "high": 1, "critical": 1}
    f = Finding.objects.get(detector="sql-injection")
    assert f.first_seen_run == run and f.last_seen_run == run and f.status == FindingStatus.OPEN
    assert f.organization_id == repo.organization_id and f.severity_rank == 3 and f.line == 3
    assert FindingOccurrence.objects.filter(run=run).count() == 2


def test_finding_seen_again_keeps_id_and_triage_and_moves(repo, member):
    r1 = new_run(repo)
    record(r1, [engine_finding(line=10)])
    f = Finding.objects.get()
    finding_triage(finding=f, actor=member.user, status=FindingStatus.ACKNOWLEDGED, reason="on it")

    r2 = new_run(repo)
    counts = record(r2, [engine_finding(line=42, message="moved down")])
    assert counts == {"new": 0, "fixed": 0, "reopened": 0, "total": 1, "by_severity": counts["by_severity"]}
    again = Finding.objects.get()
    assert again.id == f.id
    assert again.status == FindingStatus.ACKNOWLEDGED and again.triage_reason == "on it" and again.triaged_by == member.user
    assert again.line == 42 and again.message == "moved down"
    assert again.first_seen_run == r1 and again.last_seen_run == r2
    assert list(FindingOccurrence.objects.filter(finding=f).order_by("id").values_list("run", "line")) == [
        (r1.id, 10),
        (r2.id, 42),
    ]


def test_finding_not_seen_becomes_fixed_in_that_run(repo):
    r1 = new_run(repo)
    record(r1, [engine_finding(), engine_finding("eval-used")])
    r2 = new_run(repo)
    counts = record(r2, [engine_finding()])
    assert counts["fixed"] == 1 and counts["new"] == 0
    gone = Finding.objects.get(detector="eval-used")
    assert gone.status == FindingStatus.FIXED and gone.fixed_in_run == r2 and gone.last_seen_run == r1
    event = FindingTriageEvent.objects.get(finding=gone)
    assert (event.from_status, event.to_status, event.actor, event.run) == ("open", "fixed", None, r2)


def test_fixed_finding_seen_again_reopens(repo):
    r1, r2, r3 = new_run(repo), new_run(repo), new_run(repo)
    record(r1, [engine_finding()])
    record(r2, [])
    counts = record(r3, [engine_finding(line=77)])
    assert counts["reopened"] == 1 and counts["new"] == 0
    f = Finding.objects.get()
    assert f.status == FindingStatus.OPEN and f.reopened_count == 1 and f.reopened_at is not None
    assert f.fixed_in_run is None and f.last_seen_run == r3 and f.line == 77


def test_accepted_with_past_expiry_reopens_when_seen(repo, member):
    record(new_run(repo), [engine_finding()])
    f = Finding.objects.get()
    finding_triage(finding=f, actor=member.user, status="accepted", reason="later", expires_at=timezone.now() + timedelta(days=1))
    counts = record(
        new_run(repo),
        [engine_finding()],
    )
    assert counts["reopened"] == 0 and Finding.objects.get().status == FindingStatus.ACCEPTED

    Finding.objects.filter(pk=f.pk).update(triage_expires_at=timezone.now() - timedelta(minutes=1))
    counts = record(new_run(repo), [engine_finding()])
    f.refresh_from_db()
    assert counts["reopened"] == 1
    assert f.status == FindingStatus.OPEN and f.triage_expires_at is None and f.reopened_count == 1


def test_accepted_and_false_positive_stay_triaged_when_not_seen(repo, member):
    record(new_run(repo), [engine_finding(), engine_finding("eval-used")])
    a, b = Finding.objects.order_by("detector")
    finding_triage(finding=a, actor=member.user, status="false_positive", reason="test code")
    finding_triage(finding=b, actor=member.user, status="accepted", reason="legacy")
    counts = record(new_run(repo), [])
    assert counts["fixed"] == 0
    assert set(Finding.objects.values_list("status", flat=True)) == {"false_positive", "accepted"}


def test_duplicate_fingerprints_in_one_run_are_one_finding(repo):
    counts = record(new_run(repo), [engine_finding(line=1), engine_finding(line=2)])
    assert counts["new"] == 1 and Finding.objects.count() == 1 and Finding.objects.get().line == 1


def test_same_fingerprint_in_another_repository_is_another_finding(org, repo):
    other = RepositoryFactory(organization=org)
    record(new_run(repo), [engine_finding()])
    record(new_run(other), [engine_finding()])
    assert Finding.objects.count() == 2
    record(new_run(other), [])
    assert Finding.objects.get(repository=repo).status == FindingStatus.OPEN


def test_recording_the_same_run_twice_is_harmless(repo):
    run = new_run(repo)
    record(run, [engine_finding()])
    counts = record(run, [engine_finding(line=5)])
    assert counts["new"] == 0 and Finding.objects.count() == 1
    assert list(FindingOccurrence.objects.values_list("line", flat=True)) == [5]


def test_suppressed_fingerprints_exclude_expired_acceptances(repo, member):
    findings = [engine_finding(), engine_finding("eval-used"), engine_finding("bare-except"), engine_finding("todo-comment")]
    record(new_run(repo), findings)
    by_detector = {f.detector: f for f in Finding.objects.all()}
    finding_triage(finding=by_detector["sql-injection"], actor=member.user, status="accepted")
    finding_triage(finding=by_detector["eval-used"], actor=member.user, status="false_positive")
    finding_triage(finding=by_detector["bare-except"], actor=member.user, status="acknowledged")
    finding_triage(
        finding=by_detector["todo-comment"], actor=member.user, status="accepted", expires_at=timezone.now() + timedelta(hours=1)
    )
    Finding.objects.filter(detector="todo-comment").update(triage_expires_at=timezone.now() - timedelta(seconds=1))
    suppressed = findings_suppressed_fingerprints(repo)
    assert suppressed == {by_detector["sql-injection"].fingerprint, by_detector["eval-used"].fingerprint}
    effective = findings_effective_for_score(repository=repo, findings=findings)
    assert [f.detector for f in effective] == ["bare-except", "todo-comment"]


def test_reopen_expired_acceptances_between_runs(repo, member):
    record(new_run(repo), [engine_finding(), engine_finding("eval-used")])
    a, b = Finding.objects.order_by("detector")
    finding_triage(finding=a, actor=member.user, status="accepted", expires_at=timezone.now() + timedelta(hours=1))
    finding_triage(finding=b, actor=member.user, status="accepted", expires_at=timezone.now() + timedelta(hours=1))
    assert findings_reopen_expired() == 0
    assert findings_reopen_expired(now=timezone.now() + timedelta(hours=2)) == 2
    assert set(Finding.objects.values_list("status", "reopened_count")) == {("open", 1)}


def test_record_run_emits_new_and_resolved_webhooks_after_commit(org, repo, django_capture_on_commit_callbacks):
    import json

    from webhooks.models import WebhookDelivery
    from webhooks.services import webhook_endpoint_create

    webhook_endpoint_create(
        organization=org, created_by=None, name="ci", url="https://93.184.216.34/hook", events=["finding.new", "finding.resolved"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        record(new_run(repo), [engine_finding(), engine_finding("eval-used", severity="critical")])
    delivery = WebhookDelivery.objects.get()
    body = json.loads(delivery.body)
    assert body["type"] == "finding.new" and body["data"]["count"] == 2 and not body["data"]["truncated"]
    assert [f["detector"] for f in body["data"]["findings"]] == ["eval-used", "sql-injection"]
    assert body["data"]["repository"] == {"id": str(repo.id), "name": repo.name}

    run = new_run(repo)
    with django_capture_on_commit_callbacks(execute=True):
        record(run, [engine_finding()])
    resolved = json.loads(WebhookDelivery.objects.get(event_type="finding.resolved").body)["data"]
    assert resolved["count"] == 1 and resolved["findings"][0]["status"] == "fixed"
    assert f"fixed_in={run.id}" in resolved["findings_url"]


def test_a_run_with_many_new_findings_sends_one_capped_delivery(org, repo, django_capture_on_commit_callbacks):
    import json

    from findings.services import WEBHOOK_FINDINGS_CAP
    from webhooks.models import WebhookDelivery
    from webhooks.services import webhook_endpoint_create

    webhook_endpoint_create(
        organization=org, created_by=None, name="ci", url="https://93.184.216.34/hook", events=["finding.new"]
    )
    many = [engine_finding("magic-number", "a.py", i, symbol=f"s{i}") for i in range(WEBHOOK_FINDINGS_CAP + 20)]
    with django_capture_on_commit_callbacks(execute=True):
        record(new_run(repo), many)
    data = json.loads(WebhookDelivery.objects.get().body)["data"]
    assert data["count"] == WEBHOOK_FINDINGS_CAP + 20 and data["truncated"] is True
    assert len(data["findings"]) == WEBHOOK_FINDINGS_CAP and "first_seen_in=" in data["findings_url"]


def test_presence_follows_the_latest_run_for_every_status(repo, member):
    record(new_run(repo), [engine_finding(), engine_finding("eval-used"), engine_finding("bare-except")])
    fp = Finding.objects.get(detector="eval-used")
    finding_triage(finding=fp, actor=member.user, status="false_positive")
    record(new_run(repo), [engine_finding()])
    assert dict(Finding.objects.values_list("detector", "is_present")) == {
        "sql-injection": True,
        "eval-used": False,
        "bare-except": False,
    }
    record(new_run(repo), [engine_finding("eval-used")])
    assert Finding.objects.get(pk=fp.pk).is_present and Finding.objects.get(pk=fp.pk).status == "false_positive"
