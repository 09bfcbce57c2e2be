"""GET /findings: scope, every filter and ordering, pagination, tenancy, query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from findings.services import finding_triage

pytestmark = pytest.mark.django_db
URL = "/api/v1/findings"


def detectors(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [f["detector"] for f in response.json()["results"]]


def test_default_list_is_the_latest_run_of_each_repository(world, viewer):
    response = viewer.client.get(URL)
    assert sorted(detectors(response)) == ["bare-except", "magic-number", "sql-injection", "todo-comment"]
    assert response.json()["count"] == 4


def test_list_never_shows_another_organisations_findings(world, outsider):
    body = outsider.client.get(URL).json()
    assert [f["id"] for f in body["results"]] == [str(world.foreign.id)]


def test_analysis_id_lists_exactly_that_runs_findings_with_its_lines(world, viewer):
    r1 = viewer.client.get(URL, {"analysis_id": world.r1.id}).json()["results"]
    assert {f["detector"]: f["line"] for f in r1} == {"sql-injection": 10, "eval-used": 5, "todo-comment": 1}
    r2 = viewer.client.get(URL, {"analysis_id": world.r2.id}).json()["results"]
    assert {f["detector"]: f["line"] for f in r2} == {"sql-injection": 20, "todo-comment": 3, "bare-except": 7}
    eval_used = next(f for f in r1 if f["detector"] == "eval-used")
    assert eval_used["status"] == "fixed" and eval_used["fixed_in_analysis_id"] == str(world.r2.id)


def test_repository_filter(world, viewer):
    assert detectors(viewer.client.get(URL, {"repository_id": world.repo_b.id})) == ["magic-number"]


def test_severity_filter_is_repeatable_and_accepts_commas(world, viewer):
    assert sorted(detectors(viewer.client.get(URL + "?severity=high&severity=info"))) == ["sql-injection", "todo-comment"]
    assert sorted(detectors(viewer.client.get(URL, {"severity": "medium,low"}))) == ["bare-except", "magic-number"]


def test_unknown_severity_is_a_validation_error(world, viewer):
    response = viewer.client.get(URL, {"severity": "urgent"})
    assert response.status_code == 400 and response.json()["error_code"] == "VALIDATION_ERROR"
    assert "severity" in str(response.json()["fields"])


def test_category_and_detector_filters(world, viewer):
    assert detectors(viewer.client.get(URL, {"category": "bug_risk"})) == ["bare-except"]
    assert detectors(viewer.client.get(URL, {"detector": "todo-comment"})) == ["todo-comment"]


def test_status_filter_and_fixed_findings(world, viewer, member):
    finding_triage(finding=world.finding("todo-comment"), actor=member.user, status="acknowledged")
    assert detectors(viewer.client.get(URL, {"status": "acknowledged"})) == ["todo-comment"]
    assert detectors(viewer.client.get(URL, {"status": "fixed"})) == ["eval-used"]
    assert len(detectors(viewer.client.get(URL, {"status": "open,fixed"}))) == 4


def test_path_prefix_filter(world, viewer):
    assert sorted(detectors(viewer.client.get(URL, {"path": "app/"}))) == ["bare-except", "sql-injection"]
    assert detectors(viewer.client.get(URL, {"path": "app/db"})) == ["sql-injection"]


def test_search_matches_title_or_message_case_insensitively(world, viewer):
    assert detectors(viewer.client.get(URL, {"search": "user INPUT"})) == ["sql-injection"]
    assert detectors(viewer.client.get(URL, {"analysis_id": world.r1.id, "search": "request data"})) == ["eval-used"]


def test_new_since_first_seen_in_and_fixed_in(world, viewer):
    assert detectors(viewer.client.get(URL, {"new_since": world.r1.id})) == ["bare-except"]
    assert detectors(viewer.client.get(URL, {"first_seen_in": world.r2.id})) == ["bare-except"]
    assert detectors(viewer.client.get(URL, {"fixed_in": world.r2.id})) == ["eval-used"]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("severity", ["sql-injection", "bare-except", "magic-number", "todo-comment"]),
        ("-severity", ["todo-comment", "magic-number", "bare-except", "sql-injection"]),
        ("file", ["sql-injection", "bare-except", "todo-comment", "magic-number"]),
        ("-file", ["magic-number", "todo-comment", "bare-except", "sql-injection"]),
        ("detector", ["bare-except", "magic-number", "sql-injection", "todo-comment"]),
        ("-detector", ["todo-comment", "sql-injection", "magic-number", "bare-except"]),
    ],
)
def test_ordering(world, viewer, ordering, expected):
    assert detectors(viewer.client.get(URL, {"ordering": ordering})) == expected


def test_created_ordering_puts_newer_findings_last(world, viewer):
    created = detectors(viewer.client.get(URL, {"ordering": "created", "repository_id": world.repo.id}))
    assert created[-1] == "bare-except"
    assert detectors(viewer.client.get(URL, {"ordering": "-created", "repository_id": world.repo.id}))[0] == "bare-except"


def test_file_ordering_for_a_run_uses_that_runs_lines(world, viewer):
    from tests.findings.factories import AnalysisRunFactory, engine_finding, record

    run = AnalysisRunFactory(repository=world.repo_b)
    record(run, [engine_finding("a", "x.py", 9, symbol="s1"), engine_finding("b", "x.py", 3, symbol="s2")])
    assert detectors(viewer.client.get(URL, {"analysis_id": run.id, "ordering": "file"})) == ["b", "a"]


def test_pagination_with_count_and_page_size_capped_at_100(world, viewer):
    body = viewer.client.get(URL, {"page_size": 2}).json()
    assert body["count"] == 4 and len(body["results"]) == 2 and body["next"]
    page2 = viewer.client.get(URL, {"page_size": 2, "page": 2}).json()
    assert len(page2["results"]) == 2 and not {f["id"] for f in page2["results"]} & {f["id"] for f in body["results"]}
    from findings.models import Finding
    from tests.findings.factories import AnalysisRunFactory, engine_finding, record

    run = AnalysisRunFactory(repository=world.repo_b)
    record(run, [engine_finding("many", "m.py", i, symbol=f"s{i}") for i in range(120)])
    assert Finding.objects.filter(last_seen_run=run).count() == 120
    big = viewer.client.get(URL, {"page_size": 500, "repository_id": world.repo_b.id}).json()
    assert big["count"] == 120 and len(big["results"]) == 100


def test_filter_ids_of_another_organisation_are_404(world, outsider):
    for params in ({"repository_id": world.repo.id}, {"analysis_id": world.r1.id}, {"new_since": world.r1.id}):
        response = outsider.client.get(URL, params)
        assert response.status_code == 404, params
        assert response.json()["error_code"] == "NOT_FOUND"


def test_anonymous_gets_401_on_every_findings_route(world, anon):
    fid = world.finding("sql-injection").id
    for method, url in [
        ("get", URL),
        ("get", URL + "/summary"),
        ("get", URL + "/by-detector"),
        ("get", f"{URL}/{fid}"),
        ("patch", f"{URL}/{fid}"),
        ("post", URL + "/triage"),
    ]:
        response = getattr(anon, method)(url, {}, format="json") if method != "get" else anon.get(url)
        assert response.status_code == 401, (method, url)
        assert response.json()["error_code"] == "UNAUTHORIZED"


def _list_queries(client, page_size: int, **params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL, {"page_size": page_size, **params})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_list_query_count_does_not_depend_on_page_size(world, viewer, member, django_assert_max_num_queries):
    from tests.findings.factories import AnalysisRunFactory, engine_finding, record

    run = AnalysisRunFactory(repository=world.repo_b)
    record(run, [engine_finding("many", "m.py", i, symbol=f"s{i}") for i in range(60)])
    for f in list(world.repo_b.findings.all()[:30]):
        finding_triage(finding=f, actor=member.user, status="acknowledged")
    small, large = _list_queries(viewer.client, 2), _list_queries(viewer.client, 60)
    assert small == large
    assert _list_queries(viewer.client, 2, analysis_id=run.id) == _list_queries(viewer.client, 60, analysis_id=run.id)
    # 3 for the credential and the rate limit, then: count, page.
    with django_assert_max_num_queries(5):
        viewer.client.get(URL, {"page_size": 100, "severity": "high", "path": "m", "search": "many", "ordering": "file"})
    # + analysis_id: its lookup (tenancy) and whether it is its repository's latest run; + new_since: its lookup.
    with django_assert_max_num_queries(8):
        viewer.client.get(URL, {"page_size": 100, "analysis_id": run.id, "new_since": world.b1.id})


def test_search_matches_word_prefixes_and_needs_every_word(world, viewer):
    assert detectors(viewer.client.get(URL, {"search": "inp"})) == ["sql-injection"]
    assert detectors(viewer.client.get(URL, {"search": "user nothing"})) == []
    assert detectors(viewer.client.get(URL, {"search": "bare"})) == ["bare-except"]


def test_default_ordering_puts_findings_in_hotspots_first_among_equals(org, viewer):
    from tests.factories import RepositoryFactory
    from tests.findings.factories import AnalysisRunFactory, engine_finding, record

    repo = RepositoryFactory(organization=org)
    run = AnalysisRunFactory(repository=repo)
    record(
        run,
        [
            engine_finding("magic-number", "a/cold.py", 1, severity="low", category="design", symbol="a.cold"),
            engine_finding(
                "magic-number", "z/hot.py", 9, severity="low", category="design", symbol="z.hot", metadata={"hotspot_score": 0.9}
            ),
            engine_finding(
                "todo-comment",
                "m/warm.py",
                5,
                severity="low",
                category="design",
                symbol="m.warm",
                metadata={"hotspot_score": 0.2},
            ),
            engine_finding("sql-injection", "b/db.py", 3, severity="high", symbol="b.db"),
        ],
    )
    rows = viewer.client.get(URL, {"repository_id": repo.id}).json()["results"]
    assert [r["path"] for r in rows] == ["b/db.py", "z/hot.py", "m/warm.py", "a/cold.py"]
    rows = viewer.client.get(URL, {"repository_id": repo.id, "ordering": "-severity"}).json()["results"]
    assert [r["path"] for r in rows] == ["a/cold.py", "m/warm.py", "z/hot.py", "b/db.py"]
