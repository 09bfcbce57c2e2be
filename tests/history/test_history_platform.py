"""Git history through the platform: a local repository with a scripted history analysed by the
real worker (django-q2 sync path), the commits stored pseudonymised, the next run mining only
new commits, and the hotspots / coupling / ownership API."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest

from analysis import services as analysis_services
from analysis.models import AnalysisRun
from history import services
from history.models import HistoryCommit, HistorySnapshot, OrganizationHistorySettings, RepositoryHistory
from tests.gitrepo import commit_as, git

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
DAY = 86_400
ALICE = ("Alice", "alice@example.test")
BOB = ("Bob", "bob@example.test")


def func(name: str, n: int) -> str:
    body = "".join(f"    x{i} = {i}\n" for i in range(n))
    return f"def {name}(a):\n{body}    if a:\n        return 1\n    for _ in range(a):\n        pass\n    return 0\n"


@pytest.fixture
def repo_path(tmp_path: Path, settings) -> Path:
    settings.REPOTOIRE_WORKSPACE_DIR = tmp_path / "workspaces"
    settings.REPOTOIRE_ALLOW_LOCAL_REPOS = True
    settings.REPOTOIRE_LOCAL_REPO_ROOTS = [str(tmp_path)]
    settings.REPOTOIRE_POST_ANALYSIS_HOOKS = {}
    path = tmp_path / "sample"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    start = int(time.time()) - 60 * DAY  # inside the default 12-month horizon
    files = {
        "pkg/__init__.py": "",
        "pkg/core.py": func("core", 1),
        "pkg/side.py": func("side", 1),
        "pkg/calm.py": func("calm", 1),
    }
    commit_as(path, files, "initial", author=ALICE[0], email=ALICE[1], date=f"@{start} +0000")
    for i in range(2, 7):
        who = ALICE if i % 2 else BOB
        commit_as(
            path,
            {"pkg/core.py": func("core", i), "pkg/side.py": func("side", i)},
            f"core + side {i}",
            author=who[0],
            email=who[1],
            date=f"@{start + i * DAY} +0000",
        )
    return path


def analyse(client, repo, django_capture_on_commit_callbacks) -> str:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/analysis/trigger", {"repository_id": str(repo.pk)}, format="json")
    assert response.status_code == 202, response.json()
    run_id = response.json()["id"]
    assert client.get(f"/api/v1/analysis/{run_id}/status").json()["status"] == "completed"
    return run_id


def test_history_is_stored_pseudonymised_mined_incrementally_and_served(
    org, member, outsider, repo_path, q_sync, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    repo = analysis_services.repository_create(organization=org, name="sample", clone_url=str(repo_path))
    run1 = analyse(member.client, repo, django_capture_on_commit_callbacks)

    non_merge = git(repo_path, "rev-list", "--no-merges", "HEAD").split()
    stored = HistoryCommit.objects.filter(repository=repo)
    assert set(stored.values_list("sha", flat=True)) == set(non_merge)
    keys = set(stored.values_list("author_key", flat=True))
    assert len(keys) == 2 and all(re.fullmatch(r"[0-9a-f]{32}", k) for k in keys)  # no e-mail stored
    assert set(stored.values_list("author_name", flat=True)) == {"Alice", "Bob"}
    state = RepositoryHistory.objects.get(repository=repo)
    assert state.head_sha == non_merge[0] and state.commits_stored == len(non_merge)
    metrics = AnalysisRun.objects.get(pk=run1).metrics["history"]
    assert metrics["incremental"] is False and metrics["mined_commits"] == len(non_merge)

    with django_assert_max_num_queries(12):
        response = member.client.get(f"/api/v1/repositories/{repo.pk}/hotspots")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["count"] == 3 and body["results"][0]["path"] == "pkg/core.py"
    first = body["results"][0]
    assert first["revisions"] == 6 and first["rank"] == 1 and first["main_author"] in ("Alice", "Bob")
    assert "@" not in response.content.decode()

    coupling = member.client.get(f"/api/v1/repositories/{repo.pk}/coupling", {"hidden": "true"}).json()
    assert [(r["a"], r["b"], r["shared"], r["hidden"]) for r in coupling["results"]] == [("pkg/core.py", "pkg/side.py", 6, True)]
    modules = member.client.get(f"/api/v1/repositories/{repo.pk}/coupling", {"level": "module"}).json()
    assert modules["count"] == 0  # one directory only
    assert member.client.get(f"/api/v1/repositories/{repo.pk}/coupling", {"level": "x"}).status_code == 400
    ownership = member.client.get(f"/api/v1/repositories/{repo.pk}/ownership").json()["results"]
    pkg = next(m for m in ownership if m["module"] == "pkg")
    assert pkg["bus_factor"] >= 1 and {a["name"] for a in pkg["authors"]} == {"Alice", "Bob"}
    assert all(re.fullmatch(r"[0-9a-f]{32}", a["key"]) for a in pkg["authors"])

    assert outsider.client.get(f"/api/v1/repositories/{repo.pk}/hotspots").status_code == 404

    # two new commits: the next run mines only those
    start = int(git(repo_path, "log", "-1", "--format=%at"))
    for i in (7, 8):
        commit_as(
            repo_path,
            {"pkg/calm.py": func("calm", i)},
            f"calm {i}",
            author=BOB[0],
            email=BOB[1],
            date=f"@{start + i * DAY // 8} +0000",
        )
    run2 = analyse(member.client, repo, django_capture_on_commit_callbacks)
    metrics = AnalysisRun.objects.get(pk=run2).metrics["history"]
    assert metrics["incremental"] is True and metrics["mined_commits"] == 2
    assert stored.count() == len(non_merge) + 2
    assert HistorySnapshot.objects.filter(repository=repo).count() == 2
    old = member.client.get(f"/api/v1/repositories/{repo.pk}/hotspots", {"analysis_id": run1}).json()["results"]
    new = member.client.get(f"/api/v1/repositories/{repo.pk}/hotspots").json()["results"]
    calm_old = next(h for h in old if h["path"] == "pkg/calm.py")
    calm_new = next(h for h in new if h["path"] == "pkg/calm.py")
    assert (calm_old["revisions"], calm_new["revisions"]) == (1, 3)


def test_opting_in_stores_emails_and_mines_cold(org, member, repo_path, q_sync, django_capture_on_commit_callbacks):
    repo = analysis_services.repository_create(organization=org, name="sample", clone_url=str(repo_path))
    analyse(member.client, repo, django_capture_on_commit_callbacks)
    services.history_privacy_update(organization=org, show_author_emails=True)
    run = analyse(member.client, repo, django_capture_on_commit_callbacks)
    assert AnalysisRun.objects.get(pk=run).metrics["history"]["incremental"] is False
    keys = set(HistoryCommit.objects.filter(repository=repo).values_list("author_key", flat=True))
    assert keys == {ALICE[1], BOB[1]}
    ownership = member.client.get(f"/api/v1/repositories/{repo.pk}/ownership").json()["results"]
    assert {a["key"] for m in ownership for a in m["authors"]} <= {ALICE[1], BOB[1]}
    assert RepositoryHistory.objects.get(repository=repo).identity == "email"


def test_pseudonyms_differ_between_organisations(org, other_org):
    from tests.factories import RepositoryFactory

    mine = services.history_identity(repository=RepositoryFactory(organization=org))
    theirs = services.history_identity(repository=RepositoryFactory(organization=other_org))
    assert mine("a@example.test") == mine("a@example.test") != theirs("a@example.test")
    assert OrganizationHistorySettings.objects.count() == 2


def test_history_window_setting_reaches_the_fetch(org, member, repo_path, q_sync, django_capture_on_commit_callbacks):
    repo = analysis_services.repository_create(organization=org, name="sample", clone_url=str(repo_path))
    # a one-month horizon leaves the scripted history (60 days old) out of the clone
    services.history_settings_update(repository=repo, months=1)
    assert services.history_window(repository=repo) == (1, 10_000)
    run = analyse(member.client, repo, django_capture_on_commit_callbacks)
    metrics = AnalysisRun.objects.get(pk=run).metrics["history"]
    assert metrics["commits"] == 0
    clone = next(Path(p).parent for p in (Path(repo_path).parent / "workspaces").rglob(".git"))
    assert (
        subprocess.run(["git", "rev-parse", "--is-shallow-repository"], cwd=clone, capture_output=True, text=True).stdout.strip()
        == "true"
    )


def test_history_api_validation_and_empty(org, member, repo_path):
    from tests.factories import AnalysisRunFactory, RepositoryFactory

    repo = RepositoryFactory(organization=org)
    empty = member.client.get(f"/api/v1/repositories/{repo.pk}/hotspots")
    assert empty.status_code == 200 and empty.json()["count"] == 0
    bad = member.client.get(f"/api/v1/repositories/{repo.pk}/coupling", {"analysis_id": "nope"})
    assert bad.status_code == 400 and bad.json()["error_code"] == "VALIDATION_ERROR"
    assert member.client.get(f"/api/v1/repositories/{repo.pk}/coupling", {"min_confidence": 2}).status_code == 400
    other_run = AnalysisRunFactory(repository=RepositoryFactory(organization=org))
    missing = member.client.get(f"/api/v1/repositories/{repo.pk}/ownership", {"analysis_id": str(other_run.pk)})
    assert missing.status_code == 404 and missing.json()["error_code"] == "NOT_FOUND"
    with pytest.raises(Exception, match="months"):
        services.history_settings_update(repository=repo, months=0)


def test_history_window_and_privacy_settings_api(org, owner, member, viewer, outsider):
    from tests.factories import RepositoryFactory

    repo = RepositoryFactory(organization=org)
    url = f"/api/v1/repositories/{repo.pk}/history-settings"
    assert member.client.get(url).json() == {"months": 12, "max_commits": 10_000}
    changed = member.client.patch(url, {"months": 24}, format="json")
    assert changed.status_code == 200 and changed.json() == {"months": 24, "max_commits": 10_000}
    assert services.history_window(repository=repo) == (24, 10_000)
    bad = member.client.patch(url, {"months": 0}, format="json")
    assert bad.status_code == 400 and "months" in bad.json()["fields"]
    assert viewer.client.patch(url, {"months": 6}, format="json").status_code == 403
    assert outsider.client.get(url).status_code == 404
    assert outsider.client.patch(url, {"months": 6}, format="json").status_code == 404
    assert services.history_window(repository=repo) == (24, 10_000)

    privacy = "/api/v1/history/privacy"
    assert member.client.get(privacy).json() == {"show_author_emails": False}
    assert member.client.patch(privacy, {"show_author_emails": True}, format="json").status_code == 403
    assert owner.client.patch(privacy, {"show_author_emails": True}, format="json").json() == {"show_author_emails": True}
    assert OrganizationHistorySettings.objects.get(organization=org).show_author_emails is True
    assert outsider.client.get(privacy).json() == {"show_author_emails": False}  # their own organisation's
    assert owner.client.patch(privacy, {}, format="json").status_code == 400
