"""Triggering, status, history, concurrency, cancel and reports through the API; tasks run through
django-q2's synchronous path (``q_sync``) on real git repositories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django_q.models import OrmQ

from analysis import hooks, services
from analysis.engine.pipeline import analyze
from analysis.hooks import PostAnalysisHook
from analysis.models import AnalysisFacts, AnalysisRun, Repository
from analysis.services import SEVERITIES
from tests.analysis.conftest import commit_files
from tests.factories import AnalysisRunFactory, RepositoryFactory

pytestmark = pytest.mark.django_db


FIXED_APP_PY = '''"""Fixed."""

from pkg.helpers import add


def run():
    """Add one."""
    return add(1, 1)
'''


def make_repo(org, path: Path, name: str = "sample") -> Repository:
    return services.repository_create(organization=org, name=name, clone_url=str(path))


def trigger(client, repo, **extra):
    return client.post("/api/v1/analysis/trigger", {"repository_id": str(repo.pk), **extra}, format="json")


def test_trigger_runs_the_analysis_and_status_shows_score_and_counts(
    member, org, sample_repo, q_sync, django_capture_on_commit_callbacks
):
    repo = make_repo(org, sample_repo)
    with django_capture_on_commit_callbacks(execute=True):
        response = trigger(member.client, repo)
    assert response.status_code == 202, response.json()
    assert response.json()["status"] == "queued"
    run_id = response.json()["id"]

    status = member.client.get(f"/api/v1/analysis/{run_id}/status").json()
    assert status["status"] == "completed", status
    assert member.client.get(f"/api/v1/analysis/{run_id}").json() == status
    assert status["progress_percent"] == 100
    assert status["files_analyzed"] == 3
    assert status["lines_analyzed"] > 0
    counts = status["findings_counts"]
    # severities are the engine's calibration; the platform's part is counting them
    assert counts["total"] == 3
    assert sum(counts[s] for s in SEVERITIES) == 3
    assert counts["critical"] + counts["high"] >= 1  # eval(input())
    # the score and grade are the engine's for the same tree (its calibration is the engine's tests' business)
    engine = analyze(sample_repo, workers=1)
    assert status["health_score"] == engine.score.overall and status["grade"] == engine.score.grade
    assert set(status["pillar_scores"]) >= {"security", "reliability", "maintainability", "architecture"}
    assert status["commit_sha"] == commit_sha_of(sample_repo)
    assert status["error"] is None
    assert status["duration_seconds"] >= 0

    repo.refresh_from_db()
    assert repo.last_score == status["health_score"]
    assert repo.last_grade == status["grade"]
    assert repo.last_commit_sha == status["commit_sha"]


def commit_sha_of(path: Path) -> str:
    from tests.analysis.conftest import git

    return git(path, "rev-parse", "HEAD")


@pytest.mark.parametrize(
    "fmt, marker", [("json", '"schema_version"'), ("sarif", '"version": "2.1.0"'), ("markdown", "#"), ("html", "<html")]
)
def test_report_formats_of_a_completed_run(member, org, sample_repo, q_sync, django_capture_on_commit_callbacks, fmt, marker):
    repo = make_repo(org, sample_repo)
    with django_capture_on_commit_callbacks(execute=True):
        run_id = trigger(member.client, repo).json()["id"]
    response = member.client.get(f"/api/v1/analysis/{run_id}/report?format={fmt}")
    assert response.status_code == 200
    body = response.content.decode()
    assert marker.replace(" ", "") in body.replace(" ", "")
    if fmt == "json":
        data = json.loads(body)
        assert {f["detector"] for f in data["findings"]} >= {"code-injection", "bare-or-swallowed-except", "unused-import"}
    if fmt == "sarif":
        assert response["Content-Type"] == "application/sarif+json"
        assert len(json.loads(body)["runs"][0]["results"]) == 3
    if fmt == "html":
        assert response["Content-Type"].startswith("text/html")


def test_report_of_unfinished_run_is_409_and_unknown_format_is_400(member, org):
    run = AnalysisRunFactory(repository=RepositoryFactory(organization=org), status="running")
    assert member.client.get(f"/api/v1/analysis/{run.pk}/report").status_code == 409
    response = member.client.get(f"/api/v1/analysis/{run.pk}/report?format=pdf")
    assert response.status_code == 400
    assert "format" in response.json()["fields"]


def test_trigger_is_409_while_a_run_is_queued_or_running(member, org):
    repo = RepositoryFactory(organization=org)
    first = trigger(member.client, repo)
    assert first.status_code == 202
    second = trigger(member.client, repo)
    assert second.status_code == 409
    assert second.json()["error_code"] == "CONFLICT"
    assert second.json()["analysis_id"] == first.json()["id"]
    AnalysisRun.objects.filter(pk=first.json()["id"]).update(status="running")
    assert trigger(member.client, repo).status_code == 409
    AnalysisRun.objects.filter(pk=first.json()["id"]).update(status="completed")
    assert trigger(member.client, repo).status_code == 202


def test_one_active_run_per_repository_is_a_database_constraint(org):
    from django.db import IntegrityError, transaction

    repo = RepositoryFactory(organization=org)
    AnalysisRunFactory(repository=repo, status="running")
    with pytest.raises(IntegrityError), transaction.atomic():
        AnalysisRunFactory(repository=repo, status="queued")


def test_trigger_is_429_after_the_hourly_quota_and_refusals_do_not_spend_it(member, org):
    org.plan = "free"  # 2 analyses per hour
    org.save()
    repos = [RepositoryFactory(organization=org) for _ in range(3)]
    assert trigger(member.client, repos[0]).status_code == 202
    assert trigger(member.client, repos[0]).status_code == 409  # refused before counting
    assert trigger(member.client, repos[1]).status_code == 202
    response = trigger(member.client, repos[2])
    assert response.status_code == 429
    assert response.json()["error_code"] == "RATE_LIMIT_EXCEEDED"
    assert int(response["Retry-After"]) >= 1
    assert response.json()["retry_after"] >= 1
    assert not AnalysisRun.objects.filter(repository=repos[2]).exists()


def test_trigger_validates_input(member, org):
    repo = RepositoryFactory(organization=org)
    assert member.client.post("/api/v1/analysis/trigger", {"repository_id": "nope"}, format="json").status_code == 400
    response = trigger(member.client, repo, commit_sha="not-a-sha")
    assert response.status_code == 400
    assert "commit_sha" in response.json()["fields"]
    response = trigger(member.client, repo, branch="../../etc")
    assert response.status_code == 400
    assert "branch" in response.json()["fields"]


def test_trigger_on_inactive_repository_is_409(member, org):
    repo = RepositoryFactory(organization=org, is_active=False)
    assert trigger(member.client, repo).status_code == 409


def test_viewer_cannot_trigger(viewer, org):
    assert trigger(viewer.client, RepositoryFactory(organization=org)).status_code == 403


def test_concurrency_limit_keeps_a_run_queued_until_a_slot_frees(
    member, org, q_sync, django_capture_on_commit_callbacks, tmp_path
):
    org.plan = "free"  # 1 concurrent analysis
    org.save()
    busy = RepositoryFactory(organization=org)
    running = AnalysisRunFactory(repository=busy, status="running")
    paths = []
    for name in ("one", "two"):
        path = tmp_path / name
        path.mkdir()
        from tests.analysis.conftest import git

        git(path, "init", "-q", "-b", "main")
        commit_files(path, {"m.py": "def f():\n    return 1\n"}, "c")
        paths.append(path)
    waiting = make_repo(org, paths[0], "waiting")

    with django_capture_on_commit_callbacks(execute=True):
        run_id = trigger(member.client, waiting).json()["id"]
    assert AnalysisRun.objects.get(pk=run_id).status == "queued"
    assert member.client.get("/api/v1/analysis/concurrency").json() == {"current": 1, "limit": 1, "queued": 1, "plan": "free"}
    # a worker that picks it up anyway (stale queue message) finds no slot: it stays queued
    assert services.analysis_execute(run_id=run_id) is None
    assert AnalysisRun.objects.get(pk=run_id).status == "queued"

    with django_capture_on_commit_callbacks(execute=True):
        response = member.client.post(f"/api/v1/analysis/{running.pk}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert AnalysisRun.objects.get(pk=run_id).status == "completed"


def test_queued_runs_wait_in_the_broker_when_the_org_is_busy(member, org):
    org.plan = "free"
    org.save()
    AnalysisRunFactory(repository=RepositoryFactory(organization=org), status="running")
    before = OrmQ.objects.count()
    assert services.analysis_start_next_queued(organization=org) == []
    AnalysisRunFactory(repository=RepositoryFactory(organization=org), status="queued")
    assert services.analysis_start_next_queued(organization=org) == []
    assert OrmQ.objects.count() == before


def test_start_next_enqueues_oldest_queued_runs_up_to_the_free_slots(org):
    # pro: 3 concurrent
    repos = [RepositoryFactory(organization=org) for _ in range(5)]
    AnalysisRunFactory(repository=repos[0], status="running")
    queued = [AnalysisRunFactory(repository=r) for r in repos[1:]]
    ids = services.analysis_start_next_queued(organization=org)
    assert ids == [str(r.pk) for r in queued[:2]]
    assert OrmQ.objects.count() == 2
    # the two handed over hold their slots until claimed: no duplicate messages
    assert services.analysis_start_next_queued(organization=org) == []
    assert OrmQ.objects.count() == 2


def test_cancel_queued_run_and_cancel_of_finished_run_is_409(member, org):
    run = AnalysisRunFactory(repository=RepositoryFactory(organization=org))
    response = member.client.post(f"/api/v1/analysis/{run.pk}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert member.client.post(f"/api/v1/analysis/{run.pk}/cancel").status_code == 409


def test_history_is_newest_first_and_filters_by_repository_and_status(member, org, django_assert_max_num_queries):
    a, b = RepositoryFactory(organization=org), RepositoryFactory(organization=org)
    old = AnalysisRunFactory(repository=a, status="completed")
    new = AnalysisRunFactory(repository=a, status="failed", error_code="CLONE_FAILED", error_message="nope")
    other = AnalysisRunFactory(repository=b, status="completed")
    for _ in range(10):
        AnalysisRunFactory(repository=RepositoryFactory(organization=org), status="cancelled")
    with django_assert_max_num_queries(8):
        body = member.client.get("/api/v1/analysis/history?page_size=100").json()
    assert body["count"] == 13
    assert body["results"][0]["id"] == str(AnalysisRun.objects.order_by("-queued_at").first().pk)
    ids = [r["id"] for r in member.client.get(f"/api/v1/analysis/history?repository_id={a.pk}").json()["results"]]
    assert ids == [str(new.pk), str(old.pk)]
    failed = member.client.get(f"/api/v1/analysis/history?status=failed&repository_id={a.pk}").json()["results"]
    assert [r["id"] for r in failed] == [str(new.pk)]
    assert failed[0]["error"] == {"code": "CLONE_FAILED", "message": "nope"}
    assert str(other.pk) not in ids
    assert member.client.get("/api/v1/analysis/history?status=bogus").status_code == 400


def test_clone_failure_is_stored_with_its_code_and_no_credentials(member, org, q_sync, django_capture_on_commit_callbacks):
    repo = services.repository_create(
        organization=org, name="private", clone_url="https://user:hunter2@127.0.0.1:9/nothing/here.git"
    )
    with django_capture_on_commit_callbacks(execute=True):
        run_id = trigger(member.client, repo).json()["id"]
    status = member.client.get(f"/api/v1/analysis/{run_id}/status").json()
    assert status["status"] == "failed"
    assert status["error"]["code"] == "CLONE_FAILED"
    assert "hunter2" not in json.dumps(status)


def test_repository_without_python_files_fails_with_no_source_files(
    member, org, tmp_path, q_sync, django_capture_on_commit_callbacks
):
    from tests.analysis.conftest import git

    path = tmp_path / "docs-only"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    commit_files(path, {"README.md": "# nothing to analyse\n"}, "docs")
    repo = make_repo(org, path, "docs")
    with django_capture_on_commit_callbacks(execute=True):
        run_id = trigger(member.client, repo).json()["id"]
    status = member.client.get(f"/api/v1/analysis/{run_id}/status").json()
    assert status["status"] == "failed"
    assert status["error"]["code"] == "NO_SOURCE_FILES"


def test_second_run_reuses_facts_of_unchanged_files_and_analyses_the_requested_commit(
    member, org, sample_repo, q_sync, django_capture_on_commit_callbacks
):
    repo = make_repo(org, sample_repo)
    first_sha = commit_sha_of(sample_repo)
    with django_capture_on_commit_callbacks(execute=True):
        first = trigger(member.client, repo).json()["id"]
    assert AnalysisFacts.objects.get(repository=repo).run_id.hex == first.replace("-", "")

    second_sha = commit_files(sample_repo, {"app.py": FIXED_APP_PY}, "fix everything in app.py")
    with django_capture_on_commit_callbacks(execute=True):
        second = trigger(member.client, repo).json()["id"]
    run = AnalysisRun.objects.get(pk=second)
    assert run.status == "completed"
    assert run.commit_sha == second_sha
    assert run.findings_counts["total"] == 0
    assert run.health_score > AnalysisRun.objects.get(pk=first).health_score
    # one changed file parsed, the two others reused from the first run's facts
    assert run.metrics["reused_files"] == 2
    # only the latest facts are kept
    assert list(AnalysisFacts.objects.filter(repository=repo).values_list("run_id", flat=True)) == [run.pk]

    # an explicit older commit is checked out, not the branch head
    with django_capture_on_commit_callbacks(execute=True):
        third = trigger(member.client, repo, commit_sha=first_sha).json()["id"]
    run = AnalysisRun.objects.get(pk=third)
    assert run.status == "completed", run.error_message
    assert run.commit_sha == first_sha
    assert run.findings_counts["total"] == 3


# --- tenancy -------------------------------------------------------------------------------------
def test_outsider_gets_404_for_another_orgs_repo_and_runs(outsider, org):
    repo = RepositoryFactory(organization=org)
    run = AnalysisRunFactory(repository=repo, status="completed")
    response = trigger(outsider.client, repo)
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "detail": "Repository not found", "error_code": "NOT_FOUND"}
    assert outsider.client.get(f"/api/v1/analysis/{run.pk}").status_code == 404
    for url in ("status", "report", "progress"):
        assert outsider.client.get(f"/api/v1/analysis/{run.pk}/{url}").status_code == 404, url
    assert outsider.client.post(f"/api/v1/analysis/{run.pk}/cancel").status_code == 404
    assert outsider.client.get("/api/v1/analysis/history").json()["count"] == 0
    assert outsider.client.get(f"/api/v1/analysis/history?repository_id={repo.pk}").json()["count"] == 0
    assert outsider.client.get("/api/v1/analysis/concurrency").json()["current"] == 0
    assert AnalysisRun.objects.filter(repository=repo).count() == 1


def test_anonymous_gets_401_on_analysis_routes(anon, org):
    run = AnalysisRunFactory(repository=RepositoryFactory(organization=org))
    for method, url in [
        ("post", "/api/v1/analysis/trigger"),
        ("get", f"/api/v1/analysis/{run.pk}/status"),
        ("get", f"/api/v1/analysis/{run.pk}/progress"),
        ("get", f"/api/v1/analysis/{run.pk}/report"),
        ("post", f"/api/v1/analysis/{run.pk}/cancel"),
        ("get", "/api/v1/analysis/history"),
        ("get", "/api/v1/analysis/concurrency"),
    ]:
        response = (
            getattr(anon, method)(url, HTTP_ACCEPT="text/event-stream") if "progress" in url else getattr(anon, method)(url)
        )
        assert response.status_code == 401, (method, url)
        assert response.json()["error_code"] == "UNAUTHORIZED"


def test_findings_triaged_false_positive_stop_counting_in_the_next_score(
    member, org, sample_repo, q_sync, django_capture_on_commit_callbacks
):
    from findings.models import Finding
    from findings.services import finding_triage

    repo = make_repo(org, sample_repo)
    with django_capture_on_commit_callbacks(execute=True):
        first_id = trigger(member.client, repo).json()["id"]
    first = AnalysisRun.objects.get(pk=first_id)
    assert first.metrics["findings"]["new"] == 3
    # a counted finding (eval(input()) is a hotspot: out of the score already)
    injection = Finding.objects.get(repository=repo, detector="bare-or-swallowed-except")
    finding_triage(finding=injection, actor=member.user, status="false_positive", reason="test input only")

    with django_capture_on_commit_callbacks(execute=True):
        second_id = trigger(member.client, repo).json()["id"]
    second = AnalysisRun.objects.get(pk=second_id)
    assert second.status == "completed"
    assert second.findings_counts[injection.severity] == first.findings_counts[injection.severity] - 1
    assert second.findings_counts["suppressed"] == 1
    assert second.findings_counts["total"] == 2
    assert second.health_score > first.health_score
    # the report still lists everything the engine found
    report = json.loads(member.client.get(f"/api/v1/analysis/{second.pk}/report?format=json").content)
    assert len(report["findings"]) == 3
    assert report["view"]["scope"] == "source" and report["view"]["hidden"] == 0
    # the eval(input()) hotspot (confidence 0.5) disappears under a stricter floor
    strict = json.loads(member.client.get(f"/api/v1/analysis/{second.pk}/report?format=json&min_confidence=0.6").content)
    assert "code-injection" not in {f["detector"] for f in strict["findings"]} and strict["view"]["hidden"] == 1
    bad = member.client.get(f"/api/v1/analysis/{second.pk}/report?format=json&scope=tests")
    assert bad.status_code == 400 and "scope" in bad.json()["fields"]


def test_completion_emits_webhooks_and_enqueues_post_analysis_tasks(
    member, org, sample_repo, q_sync, django_capture_on_commit_callbacks, settings, monkeypatch
):
    monkeypatch.setattr(
        hooks, "POST_ANALYSIS_HOOKS", [PostAnalysisHook("record", "tests.analysis.test_analysis_api.record_post_analysis")]
    )
    settings.REPOTOIRE_POST_ANALYSIS_HOOKS = {"record": True}
    emitted: list[tuple[str, dict]] = []
    import webhooks.services

    real_emit = webhooks.services.webhook_emit

    def spy(**kwargs):
        emitted.append((kwargs["event_type"], kwargs["data"]))
        return real_emit(**kwargs)

    monkeypatch.setattr(webhooks.services, "webhook_emit", spy)
    POST_ANALYSIS_CALLS.clear()
    repo = make_repo(org, sample_repo)
    with django_capture_on_commit_callbacks(execute=True):
        first = trigger(member.client, repo).json()["id"]
    commit_files(sample_repo, {"app.py": FIXED_APP_PY}, "fix")
    with django_capture_on_commit_callbacks(execute=True):
        second = trigger(member.client, repo).json()["id"]

    types = [t for t, _ in emitted]
    assert types.count("analysis.started") == 2
    assert types.count("analysis.completed") == 2
    changed = [d for t, d in emitted if t == "health_score.changed"]
    assert len(changed) == 1
    runs = {str(r.pk): r for r in AnalysisRun.objects.filter(pk__in=[first, second])}
    assert changed[0]["previous"] == runs[first].health_score
    assert changed[0]["current"] == runs[second].health_score
    assert changed[0]["delta"] == round(runs[second].health_score - runs[first].health_score, 2)
    assert POST_ANALYSIS_CALLS == [first, second]


def test_failed_run_emits_analysis_failed(member, org, q_sync, django_capture_on_commit_callbacks, monkeypatch):
    import webhooks.services

    emitted: list[tuple[str, dict]] = []
    monkeypatch.setattr(webhooks.services, "webhook_emit", lambda **kw: emitted.append((kw["event_type"], kw["data"])) or [])
    repo = services.repository_create(organization=org, name="gone", clone_url="https://127.0.0.1:9/gone.git")
    with django_capture_on_commit_callbacks(execute=True):
        trigger(member.client, repo)
    failed = [d for t, d in emitted if t == "analysis.failed"]
    assert len(failed) == 1
    assert failed[0]["error_code"] == "CLONE_FAILED"


POST_ANALYSIS_CALLS: list[str] = []


def record_post_analysis(run_id: str) -> None:
    POST_ANALYSIS_CALLS.append(run_id)


def test_workspace_keeps_one_checkout_per_repository_and_goes_with_it(
    member, org, sample_repo, q_sync, django_capture_on_commit_callbacks, settings
):
    repo = make_repo(org, sample_repo)
    workspace = Path(settings.REPOTOIRE_WORKSPACE_DIR) / str(repo.pk)
    with django_capture_on_commit_callbacks(execute=True):
        trigger(member.client, repo)
    (workspace / "stale-clone-of-an-old-url").mkdir()
    with django_capture_on_commit_callbacks(execute=True):
        trigger(member.client, repo)
    assert len([p for p in workspace.iterdir() if p.is_dir()]) == 1
    assert not (workspace / "stale-clone-of-an-old-url").exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert member.client.delete(f"/api/v1/repositories/{repo.pk}").status_code == 204
    assert not workspace.exists()


def test_report_of_an_unknown_run_is_404_even_with_a_bad_format(member):
    response = member.client.get("/api/v1/analysis/00000000-0000-0000-0000-000000000000/report", {"format": "\x00"})
    assert response.status_code == 404 and response.json()["error_code"] == "NOT_FOUND"
