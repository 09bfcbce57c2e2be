"""The webhook receiver: signatures, dedupe, every event answered 2xx, installation lifecycle,
push handling."""

from __future__ import annotations

import pytest

from analysis.models import AnalysisRun, Repository
from analysis.services import analysis_trigger
from github_app.models import DeliveryStatus, GithubInstallation, GithubRepository, GithubWebhookDelivery
from tests.github_app.conftest import (
    INSTALLATION_ID,
    REPO_GITHUB_ID,
    deliver,
    installation_event,
    link_installation,
    push_event,
    repo_json,
    sign,
)

pytestmark = pytest.mark.django_db


def test_bad_signature_is_401_with_the_envelope_and_nothing_stored(github, anon):
    response = deliver(anon, "ping", {"zen": "Keep it simple."}, signature=sign(b"another body"))
    assert response.status_code == 401
    assert response.json()["error_code"] == "UNAUTHORIZED"
    assert not GithubWebhookDelivery.objects.exists()


def test_missing_signature_is_401(github, anon):
    response = deliver(anon, "ping", {"zen": "x"}, signature=None)
    assert response.status_code == 401
    assert not GithubWebhookDelivery.objects.exists()


def test_signature_with_another_secret_is_401(github, anon):
    import json

    body = json.dumps({"zen": "x"}).encode()
    response = deliver(anon, "ping", {"zen": "x"}, signature=sign(body, "not-the-secret"))
    assert response.status_code == 401


def test_no_webhook_secret_configured_fails_closed_with_503(github, anon, settings):
    settings.GITHUB_WEBHOOK_SECRET = ""
    response = deliver(anon, "ping", {"zen": "x"})
    assert response.status_code == 503
    assert response.json()["error_code"] == "SERVICE_UNAVAILABLE"
    assert not GithubWebhookDelivery.objects.exists()


def test_duplicate_delivery_is_acknowledged_and_processed_once(github, anon, q_sync, django_capture_on_commit_callbacks):
    payload = installation_event("created", repos=[repo_json()])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = deliver(anon, "installation", payload, delivery="d-1")
    with django_capture_on_commit_callbacks(execute=True) as again:
        second = deliver(anon, "installation", payload, delivery="d-1")
    assert first.status_code == 202 and first.json()["status"] == "accepted"
    assert second.status_code == 200 and second.json()["status"] == "duplicate"
    assert len(callbacks) == 1 and len(again) == 0
    assert GithubWebhookDelivery.objects.filter(delivery_id="d-1").count() == 1
    assert GithubWebhookDelivery.objects.get().status == DeliveryStatus.PROCESSED


@pytest.mark.parametrize("event", ["star", "issues", "workflow_run", "check_suite", "deployment_status", "security_advisory"])
def test_unhandled_events_are_acknowledged_and_ignored(github, anon, event, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = deliver(anon, event, {"action": "created", "installation": {"id": INSTALLATION_ID}})
    assert response.status_code == 202
    assert response.json()["status"] == "ignored"
    assert GithubWebhookDelivery.objects.get().status == DeliveryStatus.IGNORED
    assert callbacks == []


def test_ping_is_processed(github, anon, q_sync, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(anon, "ping", {"zen": "Design for failure.", "hook_id": 1})
    assert response.status_code == 202
    assert GithubWebhookDelivery.objects.get().status == DeliveryStatus.PROCESSED


def test_body_that_is_not_json_is_400_never_500(github, anon):
    body = b"not json"
    response = anon.post(
        "/api/v1/github/webhook",
        data=body,
        content_type="application/json",
        HTTP_X_GITHUB_EVENT="ping",
        HTTP_X_GITHUB_DELIVERY="d-x",
        HTTP_X_HUB_SIGNATURE_256=sign(body),
    )
    assert response.status_code == 400


def test_installation_created_records_installation_and_repositories_unlinked(
    github, anon, q_sync, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        deliver(anon, "installation", installation_event("created", repos=[repo_json(), repo_json(555002, "acme-gh/web")]))
    installation = GithubInstallation.objects.get(installation_id=INSTALLATION_ID)
    assert installation.organization is None
    assert installation.account_login == "acme-gh"
    assert sorted(installation.repositories.values_list("full_name", flat=True)) == ["acme-gh/api", "acme-gh/web"]


def test_installation_deleted_disables_its_repositories(github, anon, org, remote, q_sync, django_capture_on_commit_callbacks):
    link_installation(org, github, str(remote))
    repo = GithubRepository.objects.get()
    assert repo.enabled and repo.repository.is_active
    with django_capture_on_commit_callbacks(execute=True):
        deliver(anon, "installation", installation_event("deleted"))
    repo.refresh_from_db()
    installation = GithubInstallation.objects.get()
    assert installation.deleted_at is not None and installation.token_encrypted == ""
    assert not repo.enabled and repo.removed_at is not None
    assert not Repository.objects.get(pk=repo.repository_id).is_active


def test_suspend_and_unsuspend(github, anon, org, remote, django_capture_on_commit_callbacks, q_sync):
    link_installation(org, github, str(remote), enable=False)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(anon, "installation", installation_event("suspend"))
    assert GithubInstallation.objects.get().suspended_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        deliver(anon, "installation", installation_event("unsuspend"))
    assert GithubInstallation.objects.get().suspended_at is None


def test_installation_repositories_added_and_removed(github, anon, org, remote, q_sync, django_capture_on_commit_callbacks):
    link_installation(org, github, str(remote))
    payload = {
        "action": "removed",
        "installation": {"id": INSTALLATION_ID, "account": {"login": "acme-gh", "type": "Organization"}},
        "repository_selection": "selected",
        "repositories_added": [{k: v for k, v in repo_json(555009, "acme-gh/new").items() if k != "default_branch"}],
        "repositories_removed": [{"id": REPO_GITHUB_ID, "full_name": "acme-gh/api", "name": "api", "private": True}],
    }
    with django_capture_on_commit_callbacks(execute=True):
        deliver(anon, "installation_repositories", payload)
    removed = GithubRepository.objects.get(github_id=REPO_GITHUB_ID)
    added = GithubRepository.objects.get(github_id=555009)
    assert removed.removed_at is not None and not removed.enabled
    assert added.organization == org and not added.enabled


def test_push_to_a_non_default_branch_is_ignored(github, anon, org, remote, django_capture_on_commit_callbacks, q_sync):
    link_installation(org, github, str(remote))
    AnalysisRun.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        deliver(anon, "push", push_event(ref="refs/heads/feature", after="a" * 40))
    assert not AnalysisRun.objects.exists()
    assert GithubWebhookDelivery.objects.get().status == DeliveryStatus.IGNORED


def test_push_to_a_repository_that_is_not_enabled_is_ignored(
    github, anon, org, remote, django_capture_on_commit_callbacks, q_sync
):
    link_installation(org, github, str(remote), enable=False)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(anon, "push", push_event(ref="refs/heads/main", after="a" * 40))
    assert not AnalysisRun.objects.exists()


def test_push_to_the_default_branch_queues_an_analysis_of_that_commit(
    github, anon, org, remote, django_capture_on_commit_callbacks
):
    link_installation(org, github, str(remote))
    AnalysisRun.objects.all().delete()
    GithubRepository.objects.update(pending_push_sha="")
    sha = "b" * 40
    with django_capture_on_commit_callbacks(execute=True):
        deliver(anon, "push", push_event(ref="refs/heads/main", after=sha))
    # Without a worker the run stays queued: the push became exactly one run of that commit.
    from github_app import services

    services.github_delivery_process(delivery_pk=GithubWebhookDelivery.objects.get().pk)
    run = AnalysisRun.objects.get()
    assert (run.trigger, run.commit_sha, run.branch) == ("push", sha, "main")


def test_pushes_while_the_repository_is_busy_coalesce_into_one_analysis_of_the_latest(github, org, remote):
    from github_app import services
    from github_app.services import dispatch

    link_installation(org, github, str(remote))
    GithubRepository.objects.update(pending_push_sha="")
    repo = GithubRepository.objects.get()
    analysis_trigger(organization=org, repository_id=repo.repository_id)  # occupies the repository
    for sha in ("1" * 40, "2" * 40, "3" * 40):
        dispatch._on_push(push_event(ref="refs/heads/main", after=sha))
    assert AnalysisRun.objects.count() == 1
    repo.refresh_from_db()
    assert repo.pending_push_sha == "3" * 40
    AnalysisRun.objects.update(status="completed")
    services.github_dispatch_pending(github_repository_id=repo.pk)
    latest = AnalysisRun.objects.filter(trigger="push").get()
    assert latest.commit_sha == "3" * 40
    repo.refresh_from_db()
    assert repo.pending_push_sha == ""


def test_payload_larger_than_django_upload_limit_is_accepted(github, anon, settings, django_capture_on_commit_callbacks):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    payload = push_event(ref="refs/heads/main", after="c" * 40)
    payload["commits"] = [{"id": "c" * 40, "message": "x" * 500} for _ in range(10)]
    response = deliver(anon, "push", payload)
    assert response.status_code == 202
    assert GithubWebhookDelivery.objects.get().event == "push"
