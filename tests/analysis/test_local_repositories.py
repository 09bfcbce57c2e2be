"""Local directories as repositories: only under REPOTOIRE_LOCAL_REPO_ROOTS (required when local
repositories are on), never inside the workspace where every organisation's clones live."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from analysis import services
from analysis.models import AnalysisRun, Repository
from tests.analysis.conftest import commit_files, git

REPO_ROOT = Path(__file__).resolve().parents[2]


def _post(client, url: str, name: str = "local"):
    return client.post("/api/v1/repositories", {"name": name, "clone_url": url}, format="json")


@pytest.mark.django_db
def test_another_organisations_workspace_clone_cannot_be_registered(
    member, outsider, org, sample_repo, q_sync, settings, django_capture_on_commit_callbacks
):
    theirs = services.repository_create(organization=outsider.organization, name="theirs", clone_url=str(sample_repo))
    with django_capture_on_commit_callbacks(execute=True):
        outsider.client.post("/api/v1/analysis/trigger", {"repository_id": str(theirs.pk)}, format="json")
    clone = services.repository_clone_dir(theirs)
    assert (clone / "app.py").is_file()  # the other organisation's checkout exists...

    workspace = Path(settings.REPOTOIRE_WORKSPACE_DIR)
    for url in (str(clone), f"file://{clone}", str(workspace), str(workspace / str(theirs.pk))):
        response = _post(member.client, url)
        assert response.status_code == 400, url  # ... and no other organisation may read it
        assert response.json()["error_code"] == "VALIDATION_ERROR"
        assert "outside the directories allowed" in response.json()["detail"]
    # a directory that contains the workspace would expose it just as well
    settings.REPOTOIRE_WORKSPACE_DIR = sample_repo / "nested-workspace"
    assert _post(member.client, str(sample_repo)).status_code == 400


@pytest.mark.django_db
def test_local_repositories_need_roots(member, sample_repo, settings):
    settings.REPOTOIRE_LOCAL_REPO_ROOTS = []
    response = _post(member.client, str(sample_repo))
    assert response.status_code == 400
    assert "REPOTOIRE_LOCAL_REPO_ROOTS" in response.json()["detail"]


@pytest.mark.django_db
def test_a_registered_path_is_checked_again_when_the_run_starts(
    member, org, sample_repo, tmp_path, q_sync, settings, django_capture_on_commit_callbacks
):
    repo = services.repository_create(organization=org, name="local", clone_url=str(sample_repo))
    settings.REPOTOIRE_LOCAL_REPO_ROOTS = [str(tmp_path / "elsewhere")]
    # and a row written before the rule (or by hand) pointing into the workspace
    inside = Path(settings.REPOTOIRE_WORKSPACE_DIR) / "x"
    inside.mkdir(parents=True)
    git(inside, "init", "-q", "-b", "main")
    commit_files(inside, {"m.py": "x = 1\n"}, "c")
    sneaky = Repository.objects.create(organization=org, name="sneaky", clone_url=str(inside), provider="local")
    for target in (repo, sneaky):
        with django_capture_on_commit_callbacks(execute=True):
            run_id = member.client.post("/api/v1/analysis/trigger", {"repository_id": str(target.pk)}, format="json").json()["id"]
        run = AnalysisRun.objects.get(pk=run_id)
        assert run.status == "failed", target.name
        assert run.error_code == "CLONE_FAILED"
        assert "outside the directories allowed" in run.error_message


@pytest.mark.parametrize("roots", ["", " "])
def test_enabling_local_repositories_without_roots_is_a_startup_error(roots):
    env = {**os.environ, "REPOTOIRE_ALLOW_LOCAL_REPOS": "true", "REPOTOIRE_LOCAL_REPO_ROOTS": roots}
    done = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    assert "REPOTOIRE_LOCAL_REPO_ROOTS is empty" in done.stderr
