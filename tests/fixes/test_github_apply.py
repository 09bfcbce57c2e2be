"""Applying an approved fix to a GitHub repository through the GitHub App's real service,
against the GitHub stand-in of the github_app tests (app JWT, installation token, git data API)."""

from __future__ import annotations

import json

import pytest

from fixes.fixers import unified_diff
from fixes.models import FixStatus
from tests.findings.factories import AnalysisRunFactory, engine_finding, record
from tests.fixes.conftest import APP_PY, make_proposal
from tests.github_app.conftest import app_keys, github, link_installation, remote  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def test_apply_opens_a_pull_request_with_the_fix_on_github(github, org, remote, member):  # noqa: F811
    from findings.models import Finding
    from github_app.models import GithubRepository

    link_installation(org, github, str(remote))
    repository = GithubRepository.objects.get().repository
    repository.default_branch = "main"
    repository.save(update_fields=["default_branch"])
    tree = github._store("tree", {"base_tree": None, "tree": [{"path": "app.py"}]})
    github.refs[("acme-gh/api", "main")] = github._store("commit", {"message": "base", "tree": tree, "parents": []})
    github.contents[("acme-gh/api", "app.py")] = APP_PY.encode()
    record(AnalysisRunFactory(repository=repository), [engine_finding("unused-import", "app.py", 3, severity="low")])
    fixed = APP_PY.replace("import os\n", "")
    proposal = make_proposal(
        Finding.objects.get(repository=repository), FixStatus.APPROVED, diff=unified_diff("app.py", APP_PY, fixed)
    )

    response = member.client.post(f"/api/v1/fixes/{proposal.pk}/apply")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "applied", (body["error_code"], body["error"])
    result = body["apply_result"]
    assert result["branch"] == f"repotoire/fix-{proposal.pk.hex[:8]}"
    assert result["pull_request_url"].endswith("/acme-gh/api/pull/1")
    commit = github.objects[result["commit_sha"]]
    blob = github.objects[github.objects[commit["tree"]]["tree"][0]["sha"]]
    assert blob["content"] == fixed
    assert github.refs[("acme-gh/api", result["branch"])] == result["commit_sha"]
    pull = json.loads(github.calls("POST", r"/pulls$")[0].body)
    assert pull["head"] == result["branch"] and pull["base"] == "main" and "Repotoire-Fix" in pull["body"]
