"""Through the whole stack: a real git repository analysed by the engine (django-q2 sync path),
then the findings API across two commits: one problem fixed, one added, triage kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis import services as analysis_services
from tests.analysis.conftest import APP_PY, HELPERS_PY, commit_files, git

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
URL = "/api/v1/findings"

# APP_PY without its eval(input()) (code-injection fixed); the bare except and the unused import stay.
APP_PY_FIXED = APP_PY.replace(
    '    """Evaluate what the user types."""\n    value = eval(input())\n',
    '    """Parse and add one."""\n    value = parse("1")\n',
).replace("from pkg.helpers import add\n", "from pkg.helpers import add\nfrom pkg.more import parse\n")
MORE_PY = '''"""Parsing."""


def parse(text):
    """Parse an int."""
    try:
        return int(text)
    except:
        return 0
'''


@pytest.fixture
def repo_path(tmp_path: Path, settings) -> Path:
    settings.REPOTOIRE_WORKSPACE_DIR = tmp_path / "workspaces"
    settings.REPOTOIRE_ALLOW_LOCAL_REPOS = True
    settings.REPOTOIRE_LOCAL_REPO_ROOTS = [str(tmp_path)]
    path = tmp_path / "sample"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    commit_files(path, {"app.py": APP_PY, "pkg/__init__.py": "", "pkg/helpers.py": HELPERS_PY}, "initial")
    return path


def analyse(client, repo, django_capture_on_commit_callbacks) -> str:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/analysis/trigger", {"repository_id": str(repo.pk)}, format="json")
    assert response.status_code == 202, response.json()
    run_id = response.json()["id"]
    assert client.get(f"/api/v1/analysis/{run_id}/status").json()["status"] == "completed"
    return run_id


def test_two_commits_fix_one_add_one_and_keep_triage(org, member, repo_path, q_sync, django_capture_on_commit_callbacks):
    repo = analysis_services.repository_create(organization=org, name="sample", clone_url=str(repo_path))
    run1 = analyse(member.client, repo, django_capture_on_commit_callbacks)

    first = {f["detector"]: f for f in member.client.get(URL, {"repository_id": repo.pk}).json()["results"]}
    assert set(first) == {"code-injection", "bare-or-swallowed-except", "unused-import"}
    assert first["code-injection"]["path"] == "app.py"
    injection_line = first["code-injection"]["line"]
    unused = first["unused-import"]
    response = member.client.patch(
        f"{URL}/{unused['id']}", {"status": "acknowledged", "reason": "cleanup next sprint"}, format="json"
    )
    assert response.status_code == 200

    assert "eval(" not in APP_PY_FIXED and "parse(" in APP_PY_FIXED
    commit_files(repo_path, {"app.py": APP_PY_FIXED, "pkg/more.py": MORE_PY}, "fix eval, add parser")
    run2 = analyse(member.client, repo, django_capture_on_commit_callbacks)

    current = member.client.get(URL, {"repository_id": repo.pk}).json()["results"]
    by_path = {(f["detector"], f["path"]): f for f in current}
    assert set(by_path) == {
        ("bare-or-swallowed-except", "app.py"),
        ("bare-or-swallowed-except", "pkg/more.py"),
        ("unused-import", "app.py"),
    }
    assert by_path[("unused-import", "app.py")]["id"] == unused["id"]
    assert by_path[("unused-import", "app.py")]["status"] == "acknowledged"
    assert by_path[("bare-or-swallowed-except", "app.py")]["id"] == first["bare-or-swallowed-except"]["id"]
    new = member.client.get(URL, {"repository_id": repo.pk, "new_since": run1}).json()["results"]
    assert [(f["detector"], f["path"]) for f in new] == [("bare-or-swallowed-except", "pkg/more.py")]

    fixed = member.client.get(URL, {"repository_id": repo.pk, "fixed_in": run2}).json()["results"]
    assert [(f["id"], f["status"]) for f in fixed] == [(first["code-injection"]["id"], "fixed")]

    old = {f["detector"]: f for f in member.client.get(URL, {"analysis_id": run1}).json()["results"]}
    assert set(old) == set(first) and old["code-injection"]["line"] == injection_line

    summary = member.client.get(URL + "/summary", {"repository_id": repo.pk}).json()
    assert summary["analysis_ids"] == [run2] and summary["total"] == 3 and summary["resolved"] == 1
    assert summary["by_status"] == {"open": 2, "acknowledged": 1, "accepted": 0, "false_positive": 0, "fixed": 0}
    assert sum(summary["by_severity"].values()) == 3

    rows = {r["detector"]: r for r in member.client.get(URL + "/by-detector", {"repository_id": repo.pk}).json()}
    assert rows["bare-or-swallowed-except"]["count"] == 2 and rows["bare-or-swallowed-except"]["name"]

    detail = member.client.get(f"{URL}/{first['code-injection']['id']}").json()
    assert [o["analysis_id"] for o in detail["occurrences"]] == [run1]
    assert [(e["from_status"], e["to_status"]) for e in detail["triage_history"]] == [("open", "fixed")]
