"""End to end through a real ``manage.py qcluster`` worker on the test database: a signed
pull_request webhook → the queued delivery task → the analysis of the PR head → the post-analysis
hook → the check run and the comment on the GitHub stand-in."""

from __future__ import annotations

import time

import pytest

from analysis.models import AnalysisRun
from github_app.models import CheckStatus, GithubPullRequestCheck
from tests.github_app.conftest import APP_ID, WEBHOOK_SECRET, commit, deliver, git, link_installation, pull_request_event
from tests.github_app.test_pull_requests import DANGER_PY, EVAL_LINE, _added_patch

pytestmark = pytest.mark.slow


@pytest.fixture
def github_worker(transactional_db, github, app_keys, monkeypatch, tmp_path, request):
    """The worker reads the stand-in's URL and the app's credentials from its environment."""
    monkeypatch.setenv("GITHUB_APP_ID", APP_ID)
    monkeypatch.setenv("GITHUB_APP_PRIVATE_KEY", app_keys[0])
    monkeypatch.setenv("GITHUB_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setenv("GITHUB_API_URL", github.server.url)
    monkeypatch.setenv("REPOTOIRE_WORKSPACE_DIR", str(tmp_path / "worker-workspaces"))
    monkeypatch.setenv("REPOTOIRE_ALLOW_LOCAL_REPOS", "1")
    monkeypatch.setenv("REPOTOIRE_CODESEARCH_INDEX_ON_COMPLETE", "0")
    return request.getfixturevalue("qcluster")


def _wait(predicate, timeout: float = 120.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return predicate()


def test_pull_request_webhook_is_analysed_and_reported_by_a_real_worker(github_worker, github, remote, anon):
    from tests.factories import OrganizationFactory

    org = OrganizationFactory(plan="pro")
    link_installation(org, github, str(remote))
    assert _wait(lambda: AnalysisRun.objects.filter(status="completed").exists()), list(
        AnalysisRun.objects.values_list("status", "error_message")
    )

    base_sha = git(remote, "rev-parse", "main")
    git(remote, "checkout", "-q", "-b", "feature")
    head_sha = commit(remote, {"pkg/danger.py": DANGER_PY}, "danger")
    git(remote, "checkout", "-q", "main")
    github.pull_files[("acme-gh/api", 12)] = [{"filename": "pkg/danger.py", "status": "added", "patch": _added_patch(DANGER_PY)}]
    response = deliver(anon, "pull_request", pull_request_event("opened", number=12, head_sha=head_sha, base_sha=base_sha))
    assert response.status_code == 202

    # The check row is stored first, then GitHub is told: wait for both.
    assert _wait(lambda: GithubPullRequestCheck.objects.filter(status=CheckStatus.COMPLETED).exists())
    assert _wait(lambda: github.comments and all("conclusion" in r for r in github.check_runs.values()))
    check = GithubPullRequestCheck.objects.get()
    assert check.conclusion == "failure" and not check.error, check.error
    (run,) = github.check_runs.values()
    assert run["conclusion"] == "failure"
    assert ("pkg/danger.py", EVAL_LINE) in {(a["path"], a["start_line"]) for a in run["annotations"]}
    assert len(github.comments) == 1
