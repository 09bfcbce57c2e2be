"""Repository pages (list, add, page, settings, delete, analyse) and the analysis run page."""

from __future__ import annotations

import re

import pytest

from analysis.models import AnalysisRun, Repository
from tests.factories import RepositoryFactory
from tests.findings.factories import AnalysisRunFactory
from tests.fixes.conftest import APP_PY, make_git_repo

pytestmark = pytest.mark.django_db


def _runs(repo, scores):
    return [AnalysisRunFactory(repository=repo, health_score=s, grade="B", pillar_scores={"security": s}) for s in scores]


def test_list_shows_grade_score_sparkline_and_last_status(member_page, org):
    repo = RepositoryFactory(organization=org, name="acme/api", last_score=81.5, last_grade="B")
    _runs(repo, [70, 75, 81.5])
    html = member_page.get("/app/repositories/").content.decode()
    assert "acme/api" in html and "81.5" in html and "grade-B" in html
    assert "<polyline" in html and "Score trend: 70, 75, 82" in html
    assert "status-completed" in html
    assert '<td class="hide-narrow">python</td>' in html


def test_list_shows_the_languages_of_the_latest_analysis(member_page, org):
    repo = RepositoryFactory(organization=org, name="poly")
    AnalysisRunFactory(repository=repo, health_score=70, metrics={"languages": {"go": {"files": 2}, "python": {"files": 1}}})
    assert "go, python" in member_page.get("/app/repositories/").content.decode()


def test_list_renders_in_a_fixed_number_of_queries(member_page, org, django_assert_max_num_queries):
    for i in range(3):
        _runs(RepositoryFactory(organization=org, name=f"r{i}"), [60, 70])
    member_page.get("/app/repositories/")  # the first page of a session records the organisation in it
    with django_assert_max_num_queries(7) as few:
        member_page.get("/app/repositories/")
    for i in range(3, 15):
        _runs(RepositoryFactory(organization=org, name=f"r{i}"), [60, 70, 80])
    with django_assert_max_num_queries(len(few.captured_queries)):
        member_page.get("/app/repositories/")


def test_add_repository_uses_the_api_validation_and_wording(member_page, member, org):
    response = member_page.post("/app/repositories/add/", {"name": "bad", "clone_url": "ftp://example.test/x"})
    assert response.status_code == 400
    api = member.client.post("/api/v1/repositories", {"name": "bad", "clone_url": "ftp://example.test/x"}, format="json")
    assert api.json()["detail"] in response.content.decode()
    ok = member_page.post("/app/repositories/add/", {"name": "acme/web", "clone_url": "https://example.test/acme/web.git"})
    repo = Repository.objects.get(organization=org, name="acme/web")
    assert ok.status_code == 302 and ok["Location"] == f"/app/repositories/{repo.pk}/"
    dup = member_page.post("/app/repositories/add/", {"name": "acme/web", "clone_url": "https://example.test/acme/web.git"})
    assert dup.status_code == 409
    assert "A repository named &#x27;acme/web&#x27; already exists" in dup.content.decode()


def test_repository_page_has_trend_pillars_counts_and_recent_runs(member_page, org, world, django_assert_max_num_queries):
    AnalysisRun.objects.filter(pk=world.r1.pk).update(health_score=70, grade="C")
    AnalysisRun.objects.filter(pk=world.r2.pk).update(health_score=82, grade="B", pillar_scores={"security": 91.0})
    member_page.get("/app/repositories/")
    with django_assert_max_num_queries(16):
        response = member_page.get(f"/app/repositories/{world.repo.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert f"<title>{world.repo.name} · Repotoire</title>" in html
    assert 'class="chart"' in html and "Analyse now" in html
    assert "Security</dt><dd>91.0" in html
    assert f"/app/analyses/{world.r2.pk}/" in html
    # counts by severity are the default view of the findings list (repository A: high, info, medium present)
    assert f"?repository_id={world.repo.pk}&severity=high" in html


def test_repository_settings_and_delete_with_confirmation(member_page, org):
    repo = RepositoryFactory(organization=org, name="old")
    response = member_page.post(f"/app/repositories/{repo.pk}/settings/", {"name": "new", "clone_url": repo.clone_url})
    assert response.status_code == 302
    repo.refresh_from_db()
    assert repo.name == "new" and repo.is_active is False  # unchecked box = inactive
    assert member_page.post(f"/app/repositories/{repo.pk}/delete/", {"confirm_name": "wrong"}).status_code == 400
    assert Repository.objects.filter(pk=repo.pk).exists()
    assert member_page.post(f"/app/repositories/{repo.pk}/delete/", {"confirm_name": "new"}).status_code == 302
    assert not Repository.objects.filter(pk=repo.pk).exists()


def test_repository_settings_page_in_a_fixed_number_of_queries(member_page, org, django_assert_max_num_queries):
    repo = RepositoryFactory(organization=org)
    member_page.get(f"/app/repositories/{repo.pk}/settings/")
    with django_assert_max_num_queries(10) as few:
        assert member_page.get(f"/app/repositories/{repo.pk}/settings/").status_code == 200
    for _ in range(5):
        AnalysisRunFactory(repository=repo)
        RepositoryFactory(organization=org)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert member_page.get(f"/app/repositories/{repo.pk}/settings/").status_code == 200


def test_outsider_cannot_see_or_touch_a_repository_or_run(outsider_page, org):
    repo = RepositoryFactory(organization=org)
    run = AnalysisRunFactory(repository=repo)
    for url in (f"/app/repositories/{repo.pk}/", f"/app/repositories/{repo.pk}/settings/", f"/app/analyses/{run.pk}/"):
        assert outsider_page.get(url).status_code == 404, url
    assert outsider_page.post(f"/app/repositories/{repo.pk}/analyse/").status_code == 404
    assert outsider_page.post(f"/app/repositories/{repo.pk}/delete/", {"confirm_name": repo.name}).status_code == 404
    assert Repository.objects.filter(pk=repo.pk).exists()


def test_analyse_now_queues_a_run_and_shows_live_progress(member_page, org):
    repo = RepositoryFactory(organization=org)
    response = member_page.post(f"/app/repositories/{repo.pk}/analyse/")
    run = AnalysisRun.objects.get(repository=repo)
    assert response.status_code == 302 and response["Location"] == f"/app/analyses/{run.pk}/"
    html = member_page.get(response["Location"]).content.decode()
    assert f'data-stream="/api/v1/analysis/{run.pk}/progress"' in html
    assert "progress.js" in html and 'role="progressbar"' in html
    again = member_page.post(f"/app/repositories/{repo.pk}/analyse/")
    assert again.status_code == 409
    assert "An analysis of this repository is already queued" in again.content.decode()
    assert member_page.post(f"/app/analyses/{run.pk}/cancel/").status_code == 302
    run.refresh_from_db()
    assert run.status == "cancelled"


def test_completed_run_page_has_summary_new_fixed_and_reports(member_page, world, django_assert_max_num_queries):
    AnalysisRun.objects.filter(pk=world.r1.pk).update(health_score=70, grade="C")
    AnalysisRun.objects.filter(pk=world.r2.pk).update(health_score=82, grade="B")
    member_page.get("/app/repositories/")
    with django_assert_max_num_queries(10):
        html = member_page.get(f"/app/analyses/{world.r2.pk}/").content.decode()
    assert "1 new" in html and "1 fixed" in html  # bare-except new, eval-used fixed vs run 1
    assert f"/api/v1/analysis/{world.r2.pk}/report?format=sarif" in html
    assert f"/app/analyses/{world.r1.pk}/" in html and "+12.0 vs" in html  # the previous run


def test_analyse_a_local_repository_end_to_end_and_open_its_reports(
    member_page, org, tmp_path, settings, q_sync, django_capture_on_commit_callbacks
):
    settings.REPOTOIRE_WORKSPACE_DIR = tmp_path / "workspaces"
    settings.REPOTOIRE_ALLOW_LOCAL_REPOS = True
    settings.REPOTOIRE_LOCAL_REPO_ROOTS = [str(tmp_path)]
    settings.REPOTOIRE_POST_ANALYSIS_HOOKS = {}
    path = make_git_repo(tmp_path / "shop", {"app.py": APP_PY})
    member_page.post("/app/repositories/add/", {"name": "shop", "clone_url": str(path)})
    repo = Repository.objects.get(organization=org, name="shop")
    with django_capture_on_commit_callbacks(execute=True):
        response = member_page.post(f"/app/repositories/{repo.pk}/analyse/")
    run = AnalysisRun.objects.get(repository=repo)
    assert run.status == "completed", run.error_message
    html = member_page.get(response["Location"]).content.decode()
    assert "progress.js" not in html and f"grade-{run.grade[:1]}" in html
    links = re.findall(r'href="(/api/v1/analysis/[^"]+/report\?format=\w+)"', html)
    assert len(links) == 4
    for link in links:  # the API, authenticated by the dashboard's session in its organisation
        assert member_page.get(link).status_code == 200, link
    findings = member_page.get(f"/app/findings/?repository_id={repo.pk}").content.decode()
    assert "bare-or-swallowed-except" in findings


def test_repository_page_shows_top_hotspots_of_the_latest_history(member_page, org, world):
    from history.models import HistorySnapshot

    empty = member_page.get(f"/app/repositories/{world.repo.pk}/").content.decode()
    assert "No git history yet" in empty
    hot = [
        {
            "path": f"pkg/m{i}.py",
            "rank": i + 1,
            "score": round(1 - i / 20, 2),
            "revisions": 30 - i,
            "complexity": 40,
            "churn": 100,
        }
        for i in range(12)
    ]
    hot[0]["path"] = "pkg/<hot>.py"
    HistorySnapshot.objects.create(run=world.r2, repository=world.repo, organization=org, hotspots=hot)
    html = member_page.get(f"/app/repositories/{world.repo.pk}/").content.decode()
    section = html.split("<h2>Top hotspots</h2>", 1)[1].split("</section>", 1)[0]
    assert "pkg/&lt;hot&gt;.py" in section and "<hot>" not in section
    assert section.count("<tr><td") == 10  # the top ten
    assert f"?repository_id={world.repo.pk}&path=pkg/m1.py" in section
