"""The HTML and Markdown reports as the platform renders them: the repository's name, branch and
commit instead of the server's checkout path, each finding's triage status and whether the run
found it first."""

from __future__ import annotations

from analysis.models import AnalysisRun
from findings.models import Finding
from findings.services import finding_triage
from tests.analysis.conftest import commit_files, git
from tests.analysis.test_analysis_api import make_repo, trigger
from tests.engine.test_reports import html_data


def test_the_html_report_names_the_repository_and_shows_triage_and_new(
    member, org, sample_repo, settings, q_sync, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    repo = make_repo(org, sample_repo, name="acme-shop")
    with django_capture_on_commit_callbacks(execute=True):
        trigger(member.client, repo)
    injection = Finding.objects.get(repository=repo, detector="code-injection")
    finding_triage(finding=injection, actor=member.user, status="false_positive", reason="test input only")
    commit_files(sample_repo, {"pkg/more.py": '"""More."""\n\n\ndef g(x):\n    """G."""\n    return eval(x)\n'}, "more")
    with django_capture_on_commit_callbacks(execute=True):
        second_id = trigger(member.client, repo, branch="main").json()["id"]
    second = AnalysisRun.objects.get(pk=second_id)
    assert second.status == "completed"

    with django_assert_max_num_queries(12):
        # every confidence: calibration on hand labels puts eval() of a parameter (a hotspot) below
        # the default floor, and this test is about triage status and "new", not the floor
        response = member.client.get(f"/api/v1/analysis/{second.pk}/report?format=html&min_confidence=0")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Repotoire report: acme-shop</h1>" in page
    assert f"<p>Branch main</p><p>Commit {git(sample_repo, 'rev-parse', 'HEAD')}</p>" in page
    assert str(settings.REPOTOIRE_WORKSPACE_DIR) not in page and str(sample_repo) not in page
    items = {(i["det"], i["path"]): i for i in html_data(page)["findings"]}
    old = items[("code-injection", "app.py")]
    assert old["status"] == "false_positive" and "new" not in old
    fresh = items[("code-injection", "pkg/more.py")]
    assert fresh["status"] == "open" and fresh["new"] == 1
    assert {path for (_, path), i in items.items() if i.get("new")} == {"pkg/more.py"}
    assert 'id="f-status"' in page and 'id="f-fresh"' in page

    markdown = member.client.get(f"/api/v1/analysis/{second.pk}/report?format=markdown&min_confidence=0").content.decode()
    assert markdown.startswith("# Repotoire report: acme-shop\n")
    assert str(settings.REPOTOIRE_WORKSPACE_DIR) not in markdown
