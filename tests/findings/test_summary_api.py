"""GET /findings/summary and /findings/by-detector."""

from __future__ import annotations

import pytest

from findings.services import finding_triage

pytestmark = pytest.mark.django_db
URL = "/api/v1/findings"


def test_summary_of_the_latest_runs(world, viewer, member):
    finding_triage(finding=world.finding("todo-comment"), actor=member.user, status="accepted")
    body = viewer.client.get(URL + "/summary").json()
    assert sorted(body["analysis_ids"]) == sorted([str(world.r2.id), str(world.b1.id)])
    assert body["total"] == 4 and body["effective"] == 3
    assert body["by_severity"] == {"critical": 0, "high": 1, "medium": 1, "low": 1, "info": 1}
    assert body["by_category"] == {"bug_risk": 1, "design": 1, "documentation": 1, "security": 1}
    assert body["by_status"] == {"open": 3, "acknowledged": 0, "accepted": 1, "false_positive": 0, "fixed": 0}
    assert body["resolved"] == 1


def test_summary_of_one_run(world, viewer):
    body = viewer.client.get(URL + "/summary", {"analysis_id": world.r1.id}).json()
    assert body["analysis_ids"] == [str(world.r1.id)] and body["total"] == 3
    assert body["by_severity"]["critical"] == 1
    # eval-used is fixed now, but it was present in run 1; run 1 itself resolved nothing
    assert body["by_status"]["fixed"] == 1 and body["by_status"]["open"] == 2 and body["resolved"] == 0


def test_summary_for_one_repository(world, viewer):
    body = viewer.client.get(URL + "/summary", {"repository_id": world.repo_b.id}).json()
    assert body["analysis_ids"] == [str(world.b1.id)] and body["total"] == 1 and body["resolved"] == 0


def test_summary_is_scoped_to_the_organisation(world, outsider):
    body = outsider.client.get(URL + "/summary").json()
    assert body["total"] == 1 and body["by_severity"]["high"] == 1
    assert outsider.client.get(URL + "/summary", {"analysis_id": world.r1.id}).status_code == 404


def test_by_detector_counts_and_names_from_the_registry(world, viewer):
    from tests.findings.factories import AnalysisRunFactory, engine_finding, record

    run = AnalysisRunFactory(repository=world.repo_b)
    record(
        run,
        [
            engine_finding("magic-number", "lib/a.py", 2, severity="low", category="design"),
            engine_finding("magic-number", "lib/b.py", 4, severity="medium", category="design"),
        ],
    )
    rows = viewer.client.get(URL + "/by-detector").json()
    assert [r["detector"] for r in rows][0] == "magic-number"
    magic = rows[0]
    assert magic["count"] == 2 and magic["highest_severity"] == "medium" and magic["category"] == "design"
    sql = next(r for r in rows if r["detector"] == "sql-injection")
    from analysis.engine.registry import all_specs

    spec = next(s for s in all_specs() if s.id == "sql-injection")
    assert sql["name"] == spec.title and sql["count"] == 1 and sql["highest_severity"] == "high"


def test_by_detector_with_filters(world, viewer):
    rows = viewer.client.get(URL + "/by-detector", {"analysis_id": world.r1.id, "severity": "critical"}).json()
    assert [(r["detector"], r["count"]) for r in rows] == [("eval-used", 1)]


def test_summary_and_by_detector_query_counts(world, viewer, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):  # credential + rate limit (3), latest runs, grouped counts, fixed count
        assert viewer.client.get(URL + "/summary").status_code == 200
    with django_assert_max_num_queries(5):
        assert viewer.client.get(URL + "/by-detector").status_code == 200
