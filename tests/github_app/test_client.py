"""The GitHub client: app JWT, installation token cache and refresh, rate-limit retries, and
opening pull requests through the git data API."""

from __future__ import annotations

import base64
import json
import time
from datetime import timedelta

import jwt
import pytest
from django.utils import timezone

from github_app import services
from github_app.client import GithubClient, GithubError, app_jwt
from github_app.models import GithubInstallation, GithubRepository
from repotoire.api.exceptions import Conflict, NotFound
from tests.github_app.conftest import APP_ID, link_installation
from tests.stubs.http import StubResponse

pytestmark = pytest.mark.django_db


def test_app_jwt_is_rs256_issued_a_minute_ago_and_lives_at_most_ten_minutes(app_keys, settings):
    private, public = app_keys
    settings.GITHUB_APP_ID, settings.GITHUB_APP_PRIVATE_KEY = APP_ID, private
    now = time.time()
    token = app_jwt(now=now)
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    claims = jwt.decode(token, public, algorithms=["RS256"], options={"verify_exp": False, "verify_iat": False})
    assert claims["iss"] == APP_ID
    assert claims["iat"] == int(now) - 60
    assert 0 < claims["exp"] - int(now) <= 600


def test_installation_token_is_cached_encrypted_and_reused(github, org, remote):
    installation = link_installation(org, github, str(remote), enable=False)
    first = services.installation_token(installation)
    second = services.installation_token(GithubInstallation.objects.get())
    assert first == second
    assert len(github.calls("POST", r"/access_tokens$")) == 1
    stored = GithubInstallation.objects.get()
    assert stored.token_encrypted and first not in stored.token_encrypted


def test_installation_token_is_refreshed_after_expiry(github, org, remote):
    installation = link_installation(org, github, str(remote), enable=False)
    old = services.installation_token(installation)
    GithubInstallation.objects.update(token_expires_at=timezone.now() - timedelta(seconds=1))
    new = services.installation_token(GithubInstallation.objects.get())
    assert new != old
    assert len(github.calls("POST", r"/access_tokens$")) == 2
    with services.installation_client(GithubInstallation.objects.get()) as gh:
        assert gh.get("/repos/acme-gh/api")["full_name"] == "acme-gh/api"


def test_token_about_to_expire_is_refreshed_early(github, org, remote):
    installation = link_installation(org, github, str(remote), enable=False)
    services.installation_token(installation)
    GithubInstallation.objects.update(token_expires_at=timezone.now() + timedelta(minutes=2))
    services.installation_token(GithubInstallation.objects.get())
    assert len(github.calls("POST", r"/access_tokens$")) == 2


def test_secondary_rate_limit_is_retried_after_retry_after(github, org, remote, settings):
    installation = link_installation(org, github, str(remote), enable=False)
    limited = StubResponse(
        403,
        {"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."},
        {"Retry-After": "30"},
    )
    github.fail_next("GET", "/repos/acme-gh/api", limited)
    sleeps: list[float] = []
    import github_app.client as client_module

    real_sleep = client_module.time.sleep
    client_module.time.sleep = lambda s: sleeps.append(s) or real_sleep(0)
    try:
        with services.installation_client(installation) as gh:
            data = gh.get("/repos/acme-gh/api")
    finally:
        client_module.time.sleep = real_sleep
    assert data["full_name"] == "acme-gh/api"
    assert len(github.calls("GET", r"^/repos/acme-gh/api$")) == 2
    # Retry-After said 30 s; the tests cap the wait with GITHUB_RATE_LIMIT_MAX_WAIT_SECONDS.
    assert sleeps == [settings.GITHUB_RATE_LIMIT_MAX_WAIT_SECONDS]


def test_primary_rate_limit_exhausted_waits_for_reset_then_retries(github, org, remote):
    installation = link_installation(org, github, str(remote), enable=False)
    reset = str(int(time.time()) + 5)
    github.fail_next(
        "GET",
        "/repos/acme-gh/api",
        StubResponse(403, {"message": "API rate limit exceeded"}, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}),
    )
    with services.installation_client(installation) as gh:
        assert gh.get("/repos/acme-gh/api")["id"]
    assert len(github.calls("GET", r"^/repos/acme-gh/api$")) == 2


def test_rate_limit_retries_are_bounded(github, org, remote, settings):
    settings.GITHUB_RATE_LIMIT_RETRIES = 2
    installation = link_installation(org, github, str(remote), enable=False)
    for _ in range(3):
        github.fail_next("GET", "/repos/acme-gh/api", StubResponse(429, {"message": "Too many"}, {"Retry-After": "1"}))
    with services.installation_client(installation) as gh, pytest.raises(GithubError) as info:
        gh.get("/repos/acme-gh/api")
    assert info.value.status == 429
    assert len(github.calls("GET", r"^/repos/acme-gh/api$")) == 3


def test_plain_403_is_not_retried(github, org, remote):
    installation = link_installation(org, github, str(remote), enable=False)
    github.fail_next("GET", "/repos/acme-gh/api", StubResponse(403, {"message": "Resource not accessible by integration"}))
    with services.installation_client(installation) as gh, pytest.raises(GithubError) as info:
        gh.get("/repos/acme-gh/api")
    assert info.value.status == 403
    assert len(github.calls("GET", r"^/repos/acme-gh/api$")) == 1


def test_tokens_never_appear_in_logs(github, org, remote, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    installation = link_installation(org, github, str(remote), enable=False)
    token = services.installation_token(installation)
    with GithubClient(token=token) as gh:
        gh.get("/repos/acme-gh/api")
    assert token not in caplog.text


def test_clone_auth_header_carries_the_installation_token_for_https_repos(github, org, remote):
    link_installation(org, github, str(remote))
    repo = GithubRepository.objects.select_related("repository").get()
    assert services.github_clone_auth_headers(repository=repo.repository) == []  # a local path in tests
    repo.repository.clone_url = "https://github.com/acme-gh/api.git"
    repo.repository.save()
    (header,) = services.github_clone_auth_headers(repository=repo.repository)
    scheme, _, credentials = header.removeprefix("Authorization: ").partition(" ")
    user, _, token = base64.b64decode(credentials).decode().partition(":")
    assert (scheme, user) == ("Basic", "x-access-token")
    assert token == services.installation_token(repo.installation) and token.startswith("ghs_")
    # the repository's URL is unchanged: the analysis clone cache is keyed by it
    repo.repository.refresh_from_db()
    assert repo.repository.clone_url == "https://github.com/acme-gh/api.git"


# --- opening pull requests ------------------------------------------------------------------------------
def _base_commit(github, content: bytes = b"print('hi')\n") -> str:
    tree = github._store("tree", {"base_tree": None, "tree": [{"path": "app.py"}]})
    sha = github._store("commit", {"message": "base", "tree": tree, "parents": []})
    github.refs[("acme-gh/api", "main")] = sha
    github.contents[("acme-gh/api", "app.py")] = content
    return sha


def test_open_pull_request_with_files_creates_blob_tree_commit_ref_and_pull(github, org, remote):
    link_installation(org, github, str(remote))
    base_sha = _base_commit(github)
    repository = GithubRepository.objects.get().repository
    out = services.github_open_pull_request(
        repository=repository,
        branch="repotoire/fix-1",
        base="main",
        title="Fix eval",
        body="Why",
        files={"app.py": "print('fixed')\n"},
        commit_message="Fix eval use",
    )
    commit = github.objects[out["commit_sha"]]
    assert commit["parents"] == [base_sha] and commit["message"] == "Fix eval use"
    tree = github.objects[commit["tree"]]
    assert github.objects[tree["tree"][0]["sha"]]["content"] == "print('fixed')\n"
    assert github.refs[("acme-gh/api", "repotoire/fix-1")] == out["commit_sha"]
    assert out["branch"] == "repotoire/fix-1"
    assert out["pull_request_url"].endswith("/acme-gh/api/pull/1")
    assert json.loads(github.calls("POST", r"/pulls$")[0].body)["base"] == "main"


def test_open_pull_request_applies_a_unified_diff_to_the_base_files(github, org, remote):
    link_installation(org, github, str(remote))
    _base_commit(github, b"a = 1\nb = eval('2')\nc = 3\n")
    patch = "--- a/app.py\n+++ b/app.py\n@@ -1,3 +1,3 @@\n a = 1\n-b = eval('2')\n+b = 2\n c = 3\n"
    out = services.github_open_pull_request(
        repository=GithubRepository.objects.get().repository,
        branch="fix-2",
        base="main",
        title="t",
        body="b",
        patch=patch,
        commit_message="m",
    )
    tree = github.objects[github.objects[out["commit_sha"]]["tree"]]
    assert github.objects[tree["tree"][0]["sha"]]["content"] == "a = 1\nb = 2\nc = 3\n"


def test_open_pull_request_with_a_patch_that_does_not_apply_is_409(github, org, remote):
    link_installation(org, github, str(remote))
    _base_commit(github, b"something else\n")
    patch = "--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-b = eval('2')\n+b = 2\n"
    with pytest.raises(Conflict):
        services.github_open_pull_request(
            repository=GithubRepository.objects.get().repository,
            branch="x",
            base="main",
            title="t",
            body="b",
            patch=patch,
            commit_message="m",
        )


def test_open_pull_request_again_moves_the_branch_and_reuses_the_open_pull(github, org, remote):
    link_installation(org, github, str(remote))
    _base_commit(github)
    repository = GithubRepository.objects.get().repository
    kwargs = {"repository": repository, "branch": "fix-3", "base": "main", "title": "t", "body": "b", "commit_message": "m"}
    first = services.github_open_pull_request(files={"app.py": "one\n"}, **kwargs)
    second = services.github_open_pull_request(files={"app.py": "two\n"}, **kwargs)
    assert second["commit_sha"] != first["commit_sha"]
    assert github.refs[("acme-gh/api", "fix-3")] == second["commit_sha"]
    assert second["pull_request_url"] == first["pull_request_url"]
    assert len(github.pulls) == 1


def test_open_pull_request_for_a_repository_not_on_github_is_404(github, org):
    from tests.factories import RepositoryFactory

    with pytest.raises(NotFound):
        services.github_open_pull_request(
            repository=RepositoryFactory(organization=org),
            branch="b",
            base="main",
            title="t",
            body="b",
            files={"a.py": "x"},
            commit_message="m",
        )


def test_installation_token_of_a_removed_installation_is_refused(github, org, remote):
    from repotoire.api.exceptions import ServiceUnavailable

    installation = link_installation(org, github, str(remote), enable=False)
    GithubInstallation.objects.update(deleted_at=timezone.now())
    with pytest.raises(ServiceUnavailable):
        services.installation_token(GithubInstallation.objects.get(pk=installation.pk))
    assert not github.calls("POST", r"/access_tokens$")[1:]
