"""Findings table, finding page, single and bulk triage, fix requests and fix review pages."""

from __future__ import annotations

import re

import pytest
from django.utils.html import escape

from findings.models import Finding, FindingTriageEvent
from fixes.models import FixProposal, FixStatus
from tests.findings.factories import AnalysisRunFactory, engine_finding, record
from tests.fixes.conftest import make_proposal

pytestmark = pytest.mark.django_db


def _rows(html: str) -> list[str]:
    return re.findall(r'name="ids" value="([0-9a-f-]{36})"', html)


def test_findings_table_filters_like_the_api(member_page, member, world):
    html = member_page.get("/app/findings/").content.decode()
    assert "<title>Findings · Repotoire</title>" in html
    api = member.client.get("/api/v1/findings").json()
    assert sorted(_rows(html)) == sorted(f["id"] for f in api["results"])
    assert str(world.foreign.pk) not in html
    filtered = member_page.get(f"/app/findings/?repository_id={world.repo.pk}&severity=high&severity=medium").content.decode()
    api = member.client.get(f"/api/v1/findings?repository_id={world.repo.pk}&severity=high,medium").json()
    assert sorted(_rows(filtered)) == sorted(f["id"] for f in api["results"]) and len(api["results"]) == 2
    searched = member_page.get("/app/findings/?search=bare&path=app/").content.decode()
    assert _rows(searched) == [str(world.finding("bare-except").pk)]


def test_findings_sorting_and_first_seen_filter(member_page, world):
    by_file = _rows(member_page.get(f"/app/findings/?repository_id={world.repo.pk}&ordering=file").content.decode())
    paths = list(Finding.objects.filter(pk__in=by_file).values_list("pk", "path"))
    assert [str(pk) for pk, _ in sorted(paths, key=lambda p: p[1])] == by_file
    new = _rows(member_page.get(f"/app/findings/?first_seen_in={world.r2.pk}").content.decode())
    assert new == [str(world.finding("bare-except").pk)]


def test_invalid_filter_shows_the_api_message(member_page, member, world):
    response = member_page.get("/app/findings/?severity=urgent")
    api = member.client.get("/api/v1/findings?severity=urgent").json()
    assert response.status_code == 400
    assert escape(api["detail"]) in response.content.decode()


def test_filtering_by_another_organisations_run_is_a_404(member_page, world):
    foreign_run = world.foreign.last_seen_run_id
    assert member_page.get(f"/app/findings/?analysis_id={foreign_run}").status_code == 404


def test_htmx_filter_returns_only_the_table(member_page, world):
    response = member_page.get("/app/findings/?severity=info", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="findings-results")
    html = response.content.decode()
    assert "<html" not in html and 'id="bulk-triage"' in html
    assert _rows(html) == [str(world.finding("todo-comment").pk)]


def test_findings_page_renders_in_a_fixed_number_of_queries(member_page, org, world, django_assert_max_num_queries):
    member_page.get("/app/findings/")
    with django_assert_max_num_queries(10) as few:
        member_page.get("/app/findings/?page_size=100")
    run = AnalysisRunFactory(repository=world.repo_b)
    record(run, [engine_finding("long-function", f"lib/m{i}.py", i, symbol=f"f{i}", category="complexity") for i in range(60)])
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = member_page.get("/app/findings/?page_size=100").content.decode()
    assert len(_rows(html)) == 63


def test_bulk_triage_of_two_findings_records_history(member_page, member, world):
    a, b = world.finding("bare-except"), world.finding("todo-comment")
    response = member_page.post(
        "/app/findings/triage/",
        {"ids": [a.pk, b.pk], "status": "acknowledged", "reason": "seen", "next": "/app/findings/?severity=info"},
    )
    assert response.status_code == 303 and response["Location"] == "/app/findings/?severity=info"
    assert set(Finding.objects.filter(pk__in=[a.pk, b.pk]).values_list("status", flat=True)) == {"acknowledged"}
    event = FindingTriageEvent.objects.get(finding=a)
    assert event.actor == member.user and event.reason == "seen"
    assert "2 findings set to acknowledged." in member_page.get("/app/findings/").content.decode()


def test_bulk_triage_is_all_or_nothing_and_another_orgs_id_is_404(member_page, world):
    a = world.finding("bare-except")
    assert (
        member_page.post("/app/findings/triage/", {"ids": [a.pk, world.foreign.pk], "status": "acknowledged"}).status_code == 404
    )
    a.refresh_from_db()
    assert a.status == "open"
    fixed = world.finding("eval-used")
    member_page.post("/app/findings/triage/", {"ids": [a.pk, fixed.pk], "status": "acknowledged"})
    a.refresh_from_db()
    assert a.status == "open"


def test_viewer_cannot_triage(viewer_page, world):
    a = world.finding("bare-except")
    assert viewer_page.post("/app/findings/triage/", {"ids": [a.pk], "status": "acknowledged"}).status_code == 403
    assert viewer_page.post(f"/app/findings/{a.pk}/", {"status": "acknowledged"}).status_code == 403
    assert 'name="ids"' not in viewer_page.get("/app/findings/").content.decode()


def test_finding_page_has_snippet_metadata_occurrences_and_history(member_page, world, django_assert_max_num_queries):
    sql = world.finding("sql-injection")
    member_page.get("/app/findings/")
    with django_assert_max_num_queries(10):
        html = member_page.get(f"/app/findings/{sql.pk}/").content.decode()
    assert "SQL built from user input" in html and 'class="snippet"' in html
    assert f"/app/analyses/{world.r1.pk}/" in html and f"/app/analyses/{world.r2.pk}/" in html
    assert member_page.get(f"/app/findings/{world.foreign.pk}/").status_code == 404


def test_single_triage_accept_with_expiry_and_the_api_wording_for_fixed(member_page, member, world):
    sql = world.finding("sql-injection")
    response = member_page.post(
        f"/app/findings/{sql.pk}/", {"status": "accepted", "reason": "legacy", "expires_at": "2099-01-01T00:00"}
    )
    assert response.status_code == 302
    sql.refresh_from_db()
    assert sql.status == "accepted" and sql.triage_expires_at.year == 2099
    assert "legacy" in member_page.get(f"/app/findings/{sql.pk}/").content.decode()
    bad = member_page.post(f"/app/findings/{sql.pk}/", {"status": "fixed"})
    api = member.client.patch(f"/api/v1/findings/{sql.pk}", {"status": "fixed"}, format="json").json()
    assert bad.status_code == 400 and escape(api["detail"]) in bad.content.decode()


def test_fix_list_and_detail_with_coloured_diff_and_approve(member_page, member, world):
    proposal = make_proposal(world.finding("bare-except"))
    listing = member_page.get("/app/fixes/").content.decode()
    assert f"/app/fixes/{proposal.pk}/" in listing
    html = member_page.get(f"/app/fixes/{proposal.pk}/").content.decode()
    assert '<span class="add">+y' in html and '<span class="del">-x' in html and '<span class="hunk">@@' in html
    assert "finding_resolved" in html
    assert member_page.post(f"/app/fixes/{proposal.pk}/approve/").status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == FixStatus.APPROVED and proposal.approved_by == member.user
    again = member_page.post(f"/app/fixes/{proposal.pk}/approve/")
    assert again.status_code == 409


def test_fix_reject_with_reason_and_tenancy(member_page, viewer_page, outsider_page, world):
    proposal = make_proposal(world.finding("bare-except"))
    assert viewer_page.post(f"/app/fixes/{proposal.pk}/reject/", {"reason": "no"}).status_code == 403
    assert outsider_page.get(f"/app/fixes/{proposal.pk}/").status_code == 404
    assert outsider_page.post(f"/app/fixes/{proposal.pk}/approve/").status_code == 404
    assert member_page.post(f"/app/fixes/{proposal.pk}/reject/", {"reason": "not like this"}).status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == FixStatus.REJECTED and proposal.rejection_reason == "not like this"
    assert member_page.post(f"/app/fixes/{proposal.pk}/explode/").status_code == 404


def test_fix_list_in_a_fixed_number_of_queries(member_page, world, django_assert_max_num_queries):
    make_proposal(world.finding("bare-except"))
    member_page.get("/app/fixes/")
    with django_assert_max_num_queries(9) as few:
        member_page.get("/app/fixes/")
    for detector in ("todo-comment", "sql-injection"):
        make_proposal(world.finding(detector))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert member_page.get("/app/fixes/").content.decode().count("/app/fixes/") >= 3
    assert FixProposal.objects.count() == 3


def test_fix_page_in_a_fixed_number_of_queries(member_page, world, django_assert_max_num_queries):
    """However many proposals its finding has had, and whatever the diff's size."""
    finding = world.finding("bare-except")
    proposal = make_proposal(finding, status=FixStatus.REJECTED)
    member_page.get(f"/app/fixes/{proposal.pk}/")
    with django_assert_max_num_queries(12) as few:
        assert member_page.get(f"/app/fixes/{proposal.pk}/").status_code == 200
    for _ in range(3):
        make_proposal(finding, status=FixStatus.REJECTED)
    big = make_proposal(finding, diff="".join(f"-old {i}\n+new {i}\n" for i in range(300)))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert member_page.get(f"/app/fixes/{big.pk}/").status_code == 200


def test_test_files_are_hidden_by_default_like_the_api(member_page, member, org):
    from tests.findings.factories import RepositoryFactory

    repo = RepositoryFactory(organization=org, name="roles")
    record(
        AnalysisRunFactory(repository=repo),
        [
            engine_finding("bare-except", "app/a.py", 1, symbol="a"),
            engine_finding("bare-except", "tests/test_a.py", 1, symbol="t", role="test"),
        ],
    )
    default = _rows(member_page.get(f"/app/findings/?repository_id={repo.pk}").content.decode())
    everything = _rows(member_page.get(f"/app/findings/?repository_id={repo.pk}&scope=all").content.decode())
    tests_only = _rows(member_page.get(f"/app/findings/?repository_id={repo.pk}&role=test").content.decode())
    api = member.client.get(f"/api/v1/findings?repository_id={repo.pk}&scope=all").json()
    assert len(default) == 1 and len(everything) == 2 and len(tests_only) == 1
    assert sorted(everything) == sorted(f["id"] for f in api["results"])


def test_repository_page_counts_are_what_their_links_show(member_page, org):
    """A count on the repository page opens a list of that many findings; findings of test files
    (left out of the score and of the list's default view) are counted apart, with a link."""
    from tests.findings.factories import RepositoryFactory

    repo = RepositoryFactory(organization=org, name="counts")
    record(
        AnalysisRunFactory(repository=repo),
        [
            engine_finding("sql-injection", "app/db.py", 3, symbol="q", severity="critical"),
            engine_finding("sql-injection", "tests/test_db.py", 3, symbol="tq", severity="critical", role="test"),
            engine_finding("sql-injection", "tests/test_db.py", 9, symbol="tr", severity="critical", role="test"),
        ],
    )
    html = member_page.get(f"/app/repositories/{repo.pk}/").content.decode()
    link = f"/app/findings/?repository_id={repo.pk}&severity=critical"
    shown = re.search(re.escape(link) + r'">(\d+)</a>', html)
    assert shown is not None and shown.group(1) == "1", html
    listed = _rows(member_page.get(link).content.decode())
    assert len(listed) == 1
    assert "2 more in tests, examples, vendored or generated files" in html
    assert f"/app/findings/?repository_id={repo.pk}&scope=all" in html
