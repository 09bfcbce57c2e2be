"""Installations, repositories and quality gates API; the install URL and the setup flow."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from analysis.models import AnalysisRun, Repository
from github_app.models import GithubInstallation, GithubRepository
from tests.github_app.conftest import INSTALLATION_ID, REPO_GITHUB_ID, link_installation
from tests.github_app.github_stub import FakeRepo

pytestmark = pytest.mark.django_db


def _install_state(client) -> str:
    response = client.get("/api/v1/github/install-url")
    assert response.status_code == 200, response.content
    return response.json()["state"]


# --- install URL and setup ------------------------------------------------------------------------
def test_install_url_points_at_the_app_with_a_signed_state(admin_user, settings):
    settings.GITHUB_APP_SLUG = "repotoire-test"
    body = admin_user.client.get("/api/v1/github/install-url").json()
    url = urlsplit(body["url"])
    assert url.path == "/apps/repotoire-test/installations/new"
    assert parse_qs(url.query)["state"] == [body["state"]]
    assert body["expires_in"] == settings.GITHUB_SETUP_STATE_MAX_AGE


def test_install_url_needs_admin_and_authentication(member, anon):
    assert member.client.get("/api/v1/github/install-url").status_code == 403
    response = anon.get("/api/v1/github/install-url")
    assert response.status_code == 401 and response.json()["error_code"] == "UNAUTHORIZED"


def _setup_repo(github, remote_path: str = "/nonexistent") -> None:
    github.add_installation(INSTALLATION_ID)
    github.add_repo(FakeRepo(id=REPO_GITHUB_ID, full_name="acme-gh/api", clone_url=remote_path, installation_id=INSTALLATION_ID))


def test_setup_links_the_installation_to_the_state_org_and_syncs_repositories(github, admin_user, anon, org):
    _setup_repo(github)
    state = _install_state(admin_user.client)
    response = anon.get("/api/v1/github/setup", {"installation_id": INSTALLATION_ID, "state": state, "setup_action": "install"})
    assert response.status_code == 200, response.content
    installation = GithubInstallation.objects.get(installation_id=INSTALLATION_ID)
    assert installation.organization == org and installation.linked_at is not None
    repo = GithubRepository.objects.get()
    assert (repo.organization, repo.full_name, repo.default_branch, repo.enabled) == (org, "acme-gh/api", "main", False)
    # GitHub was asked as the app (JWT verified by the stand-in), then as the installation.
    assert github.calls("GET", r"^/app/installations/9001$")
    assert github.calls("GET", r"^/installation/repositories$")


def test_setup_state_is_single_use(github, admin_user, anon):
    _setup_repo(github)
    state = _install_state(admin_user.client)
    assert anon.get("/api/v1/github/setup", {"installation_id": INSTALLATION_ID, "state": state}).status_code == 200
    again = anon.get("/api/v1/github/setup", {"installation_id": INSTALLATION_ID, "state": state})
    assert again.status_code == 400


def test_setup_request_links_nothing_keeps_the_state_and_says_what_next(github, admin_user, anon, org):
    """setup_action=request: the GitHub user could only ask an owner; GitHub sends no installation."""
    _setup_repo(github)
    state = _install_state(admin_user.client)
    response = anon.get("/api/v1/github/setup", {"state": state, "setup_action": "request"})
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "requested" and "install-url" in response.json()["detail"]
    assert not GithubInstallation.objects.exists()
    assert not github.calls("GET", r"^/app/installations/")
    # the state was not spent: once approved, the same state completes the installation
    done = anon.get("/api/v1/github/setup", {"installation_id": INSTALLATION_ID, "state": state, "setup_action": "install"})
    assert done.status_code == 200
    assert GithubInstallation.objects.get(installation_id=INSTALLATION_ID).organization == org


def test_setup_request_with_a_bad_state_and_install_without_id_are_400(github, admin_user, anon):
    state = _install_state(admin_user.client)
    bad = anon.get("/api/v1/github/setup", {"state": state[:-2] + "xx", "setup_action": "request"})
    assert bad.status_code == 400 and bad.json()["fields"] == {"state": ["Invalid"]}
    missing = anon.get("/api/v1/github/setup", {"state": state, "setup_action": "install"})
    assert missing.status_code == 400 and list(missing.json()["fields"]) == ["installation_id"]


def test_expired_setup_state_is_refused(github, admin_user, anon, settings):
    _setup_repo(github)
    state = _install_state(admin_user.client)
    settings.GITHUB_SETUP_STATE_MAX_AGE = -1
    response = anon.get("/api/v1/github/setup", {"installation_id": INSTALLATION_ID, "state": state})
    assert response.status_code == 400
    assert "expired" in response.json()["detail"]
    assert not GithubInstallation.objects.exists()


def test_tampered_setup_state_is_refused(github, admin_user, anon):
    _setup_repo(github)
    state = _install_state(admin_user.client)
    response = anon.get("/api/v1/github/setup", {"installation_id": INSTALLATION_ID, "state": state[:-2] + "xx"})
    assert response.status_code == 400
    assert not GithubInstallation.objects.exists()


def test_setup_state_of_another_org_cannot_take_over_a_linked_installation(github, admin_user, outsider, anon, org):
    _setup_repo(github)
    state = _install_state(admin_user.client)
    assert anon.get("/api/v1/github/setup", {"installation_id": INSTALLATION_ID, "state": state}).status_code == 200
    their_state = _install_state(outsider.client)
    response = anon.get("/api/v1/github/setup", {"installation_id": INSTALLATION_ID, "state": their_state})
    assert response.status_code == 409
    assert GithubInstallation.objects.get().organization == org


def test_setup_of_an_installation_github_does_not_know_is_refused(github, admin_user, anon):
    state = _install_state(admin_user.client)
    response = anon.get("/api/v1/github/setup", {"installation_id": 123, "state": state})
    assert response.status_code == 400
    assert not GithubInstallation.objects.exists()


# --- installations and repositories --------------------------------------------------------------
def test_installations_list_shows_only_the_callers_org(github, org, other_org, member, remote):
    link_installation(org, github, str(remote), enable=False)
    GithubInstallation.objects.create(organization=other_org, installation_id=1234, account_login="globex")
    GithubInstallation.objects.create(organization=None, installation_id=5678, account_login="unlinked")
    rows = member.client.get("/api/v1/github/installations").json()["results"]
    assert [(r["installation_id"], r["repository_count"]) for r in rows] == [(INSTALLATION_ID, 1)]


def test_installation_repos_lists_granted_repositories(github, org, member, remote):
    installation = link_installation(org, github, str(remote), enable=False)
    body = member.client.get(f"/api/v1/github/installations/{installation.pk}/repos").json()
    assert [(r["github_id"], r["enabled"], r["quality_gate"]["max_new_critical"]) for r in body["results"]] == [
        (REPO_GITHUB_ID, False, 0)
    ]


def test_enabling_a_repo_links_a_repository_and_queues_a_first_analysis(
    github, org, member, remote, django_capture_on_commit_callbacks
):
    installation = link_installation(org, github, str(remote), enable=False)
    with django_capture_on_commit_callbacks(execute=True):
        response = member.client.post(
            f"/api/v1/github/installations/{installation.pk}/repos",
            {"repo_ids": [REPO_GITHUB_ID], "enabled": True},
            format="json",
        )
    assert response.status_code == 200, response.content
    repo = GithubRepository.objects.get()
    assert repo.enabled and response.json()[0]["repository_id"] == str(repo.repository_id)
    linked = Repository.objects.get(pk=repo.repository_id)
    assert (linked.organization, linked.name, linked.clone_url, linked.default_branch) == (
        org,
        "acme-gh/api",
        str(remote),
        "main",
    )
    from github_app import services

    services.github_dispatch_pending(github_repository_id=repo.pk)
    run = AnalysisRun.objects.get()
    assert (run.repository_id, run.trigger, run.branch) == (linked.pk, "push", "main")


def test_disabling_a_repo_deactivates_its_repository(github, org, member, remote):
    installation = link_installation(org, github, str(remote))
    response = member.client.post(
        f"/api/v1/github/installations/{installation.pk}/repos", {"repo_ids": [REPO_GITHUB_ID], "enabled": False}, format="json"
    )
    assert response.status_code == 200
    repo = GithubRepository.objects.get()
    assert not repo.enabled and not repo.repository.is_active


def test_enabling_unknown_repo_ids_is_400(github, org, member, remote):
    installation = link_installation(org, github, str(remote), enable=False)
    response = member.client.post(
        f"/api/v1/github/installations/{installation.pk}/repos", {"repo_ids": [1], "enabled": True}, format="json"
    )
    assert response.status_code == 400 and "repo_ids" in response.json()["fields"]


def test_viewer_cannot_enable_repos(github, org, viewer, remote):
    installation = link_installation(org, github, str(remote), enable=False)
    response = viewer.client.post(
        f"/api/v1/github/installations/{installation.pk}/repos", {"repo_ids": [REPO_GITHUB_ID], "enabled": True}, format="json"
    )
    assert response.status_code == 403


def test_outsider_gets_404_on_installation_repos_and_quality_gates(github, org, outsider, remote):
    installation = link_installation(org, github, str(remote), enable=False)
    repo = GithubRepository.objects.get()
    assert outsider.client.get(f"/api/v1/github/installations/{installation.pk}/repos").status_code == 404
    response = outsider.client.post(
        f"/api/v1/github/installations/{installation.pk}/repos", {"repo_ids": [REPO_GITHUB_ID], "enabled": True}, format="json"
    )
    assert response.status_code == 404
    response = outsider.client.patch(f"/api/v1/github/repos/{repo.pk}/quality-gates", {"max_new_high": 1}, format="json")
    assert response.status_code == 404 and response.json()["error_code"] == "NOT_FOUND"
    assert not GithubRepository.objects.get().enabled


def test_anonymous_gets_401_on_github_routes(github, org, anon, remote):
    installation = link_installation(org, github, str(remote), enable=False)
    repo = GithubRepository.objects.get()
    for method, url in [
        ("get", "/api/v1/github/installations"),
        ("get", f"/api/v1/github/installations/{installation.pk}/repos"),
        ("post", f"/api/v1/github/installations/{installation.pk}/repos"),
        ("patch", f"/api/v1/github/repos/{repo.pk}/quality-gates"),
    ]:
        response = getattr(anon, method)(url)
        assert response.status_code == 401, (method, url)


def test_quality_gate_update_changes_only_given_fields(github, org, member, remote):
    link_installation(org, github, str(remote), enable=False)
    repo = GithubRepository.objects.get()
    response = member.client.patch(
        f"/api/v1/github/repos/{repo.pk}/quality-gates",
        {
            "min_health_score": 70,
            "max_new_high": 2,
            "fail_on_new_security": True,
            "max_new_critical": None,
            "gate_min_confidence": 0.8,
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    gate = response.json()["quality_gate"]
    assert gate == {
        "gate_enabled": True,
        "min_health_score": 70.0,
        "max_new_critical": None,
        "max_new_high": 2,
        "max_new_findings": None,
        "fail_on_new_security": True,
        "fail_on_new_import_cycle": False,
        "fail_on_hotspot_complexity": False,
        "max_score_drop": None,
        "gate_min_confidence": 0.8,
    }
    bad = member.client.patch(f"/api/v1/github/repos/{repo.pk}/quality-gates", {"gate_min_confidence": 1.5}, format="json")
    assert bad.status_code == 400 and "gate_min_confidence" in bad.json()["fields"]


def test_quality_gate_update_validates_ranges(github, org, member, remote):
    link_installation(org, github, str(remote), enable=False)
    repo = GithubRepository.objects.get()
    response = member.client.patch(f"/api/v1/github/repos/{repo.pk}/quality-gates", {"min_health_score": 140}, format="json")
    assert response.status_code == 400 and "min_health_score" in response.json()["fields"]


def test_viewer_cannot_change_a_quality_gate(github, org, viewer, remote):
    link_installation(org, github, str(remote), enable=False)
    repo = GithubRepository.objects.get()
    response = viewer.client.patch(f"/api/v1/github/repos/{repo.pk}/quality-gates", {"max_new_high": 1}, format="json")
    assert response.status_code == 403


def test_installations_list_query_count_is_pinned(github, org, member, django_assert_max_num_queries):
    for i in range(5):
        GithubInstallation.objects.create(organization=org, installation_id=800 + i, account_login=f"a{i}")
    with django_assert_max_num_queries(8):
        response = member.client.get("/api/v1/github/installations")
    assert response.json()["count"] == 5


@pytest.fixture
def oauth(github, settings):
    settings.GITHUB_CLIENT_ID, settings.GITHUB_CLIENT_SECRET = "Iv1.test", "oauth-secret"
    settings.GITHUB_WEB_URL = github.server.url
    return github


def test_with_oauth_the_installing_user_must_have_access_to_the_installation(oauth, admin_user, anon, org):
    _setup_repo(oauth)
    oauth.user_installations["octocat"] = [INSTALLATION_ID]
    oauth.oauth_codes["code-1"] = "octocat"
    state = _install_state(admin_user.client)
    response = anon.get("/api/v1/github/setup", {"installation_id": INSTALLATION_ID, "state": state, "code": "code-1"})
    assert response.status_code == 200, response.content
    assert GithubInstallation.objects.get().organization == org


def test_with_oauth_a_user_without_access_cannot_claim_an_unlinked_installation(oauth, outsider, anon):
    _setup_repo(oauth)
    oauth.user_installations["mallory"] = []
    oauth.oauth_codes["code-2"] = "mallory"
    state = _install_state(outsider.client)
    response = anon.get("/api/v1/github/setup", {"installation_id": INSTALLATION_ID, "state": state, "code": "code-2"})
    assert response.status_code == 400 and "installation_id" in response.json()["fields"]
    assert not GithubInstallation.objects.filter(organization__isnull=False).exists()


def test_with_oauth_the_code_is_required(oauth, admin_user, anon):
    _setup_repo(oauth)
    state = _install_state(admin_user.client)
    response = anon.get("/api/v1/github/setup", {"installation_id": INSTALLATION_ID, "state": state})
    assert response.status_code == 400 and "code" in response.json()["fields"]
