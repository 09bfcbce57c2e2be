"""POST /api/v1/code/search: hybrid retrieval, filters, findings in span, validation, tenancy."""

from __future__ import annotations

import pytest

from codesearch import selectors
from codesearch.models import CodeChunk
from tests.codesearch.conftest import analyse, index

pytestmark = pytest.mark.django_db
URL = "/api/v1/code/search"


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [r["qualified_name"] for r in response.json()["results"]]


def test_natural_language_query_finds_the_function(owner, indexed):
    response = owner.client.post(URL, {"query": "where are cookies signed"}, format="json")
    assert names(response)[0] == "pkg.auth.sign_cookie"
    first = response.json()["results"][0]
    assert first["file"] == "pkg/auth.py" and (first["start_line"], first["end_line"]) == (7, 10)
    assert first["snippet"].startswith("def sign_cookie(") and first["kind"] == "function"
    assert first["repository"] == "sample" and first["score"] > 0
    assert first["vector_rank"] is not None and first["text_rank"] is not None


def test_each_mode_ranks_an_identifier_query(owner, indexed):
    for mode in ("hybrid", "vector", "text"):
        response = owner.client.post(URL, {"query": "parseAcceptHeader", "mode": mode}, format="json")
        assert names(response)[0] == "pkg.http.parse_accept_header", mode


def test_results_carry_the_findings_inside_their_span(owner, indexed):
    response = owner.client.post(URL, {"query": "evaluate what the user types", "kind": "function"}, format="json")
    body = response.json()["results"]
    hit = next(r for r in body if r["qualified_name"] == "pkg.http.run_user_expression")
    assert any(f["detector"] == "code-injection" for f in hit["findings"])
    assert all(hit["start_line"] <= f["line"] <= hit["end_line"] for f in hit["findings"])
    sign = owner.client.post(URL, {"query": "sign cookie"}, format="json").json()["results"][0]
    assert sign["qualified_name"] == "pkg.auth.sign_cookie"
    assert all(f["detector"] != "code-injection" and 7 <= f["line"] <= 10 for f in sign["findings"])


def test_filters_apply_before_ranking(owner, indexed):
    assert set(names(owner.client.post(URL, {"query": "session", "kind": "method"}, format="json"))) <= {
        "pkg.auth.SessionStore.__init__",
        "pkg.auth.SessionStore.create_session",
        "pkg.auth.SessionStore.delete_session",
    }
    assert all(
        n.startswith("pkg.http") for n in names(owner.client.post(URL, {"query": "cookie", "path": "pkg/http"}, format="json"))
    )
    assert names(owner.client.post(URL, {"query": "cookie", "language": "go"}, format="json")) == []
    assert len(names(owner.client.post(URL, {"query": "function", "top_k": 3}, format="json"))) == 3


def test_viewer_can_search(viewer, indexed):
    assert names(viewer.client.post(URL, {"query": "average of numbers"}, format="json"))[0] == "pkg.stats.compute_average"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"query": ""}, "query"),
        ({"query": "   "}, "query"),
        ({}, "query"),
        ({"query": "x" * 1001}, "query"),
        ({"query": "ok", "top_k": 51}, "top_k"),
        ({"query": "ok", "top_k": 0}, "top_k"),
        ({"query": "ok", "kind": "package"}, "kind"),
    ],
)
def test_invalid_queries_are_400_with_the_envelope(owner, body, field):
    response = owner.client.post(URL, body, format="json")
    assert response.status_code == 400
    data = response.json()
    assert data["error_code"] == "VALIDATION_ERROR" and field in data["fields"]


def test_other_orgs_repository_id_is_404(owner, outsider, indexed):
    run, _ = indexed
    response = outsider.client.post(URL, {"query": "cookie", "repository_id": str(run.repository_id)}, format="json")
    assert response.status_code == 404 and response.json()["error_code"] == "NOT_FOUND"


def test_anonymous_is_401(anon):
    response = anon.post(URL, {"query": "cookie"}, format="json")
    assert response.status_code == 401 and response.json()["error_code"] == "UNAUTHORIZED"


def test_a_query_never_returns_another_orgs_chunks_even_with_identical_vectors(
    owner, outsider, org, other_org, sample_repo, indexed, q_sync, django_capture_on_commit_callbacks
):
    run_theirs = analyse(other_org, sample_repo)
    index(run_theirs, django_capture_on_commit_callbacks)
    mine = CodeChunk.objects.for_org(org).get(qualname="pkg.auth.sign_cookie")
    theirs = CodeChunk.objects.for_org(other_org).get(qualname="pkg.auth.sign_cookie")
    assert list(mine.embedding) == list(theirs.embedding)
    for client, own_org in ((owner.client, org), (outsider.client, other_org)):
        for mode in ("hybrid", "vector", "text"):
            results = client.post(URL, {"query": "where are cookies signed", "mode": mode, "top_k": 50}, format="json").json()[
                "results"
            ]
            assert results
            own_repo = str(run_theirs.repository_id) if own_org == other_org else str(mine.repository_id)
            assert {r["repository_id"] for r in results} == {own_repo}
            assert {r["chunk_id"] for r in results} <= set(CodeChunk.objects.for_org(own_org).values_list("id", flat=True))


def test_search_costs_a_fixed_number_of_queries(owner, indexed, django_assert_max_num_queries):
    owner.client.post(URL, {"query": "warm up"}, format="json")
    with django_assert_max_num_queries(14):
        response = owner.client.post(URL, {"query": "session store", "top_k": 20}, format="json")
    assert len(response.json()["results"]) >= 5


def test_reciprocal_rank_fusion_prefers_documents_both_rankings_agree_on():
    scores = selectors.fuse([[1, 2, 3], [3, 1, 4]])
    assert sorted(scores, key=lambda k: -scores[k])[:2] == [1, 3]
    assert scores[4] < scores[2] or scores[4] == pytest.approx(1 / 63)


def test_text_query_is_an_or_of_safe_words():
    assert selectors.text_query("parseAcceptHeader & 'drop table'!") == "parse | accept | header | drop | table"
    assert selectors.text_query("¿¡") == ""


def _text_chunks(repo, prefix: str, n: int, words: str) -> list[int]:
    from codesearch.chunking import ChunkSpec

    specs = [
        ChunkSpec(
            key=f"{prefix}{i}", path=f"{prefix}.py", qualname=f"m.{prefix}{i}", kind="function", language="python",
            start_line=i + 1, end_line=i + 1, part=0, parts=1, content=words, embed_text=words, name_words=f"{prefix} {i}",
            body_words=words, content_hash=f"{prefix}{i}",
        )
        for i in range(n)
    ]  # fmt: skip
    return specs


def test_full_text_ranks_chunks_matching_two_query_words_before_one_word_matches(org, monkeypatch):
    from codesearch import services
    from tests.factories import RepositoryFactory

    repo = RepositoryFactory(organization=org)
    specs = _text_chunks(repo, "one", 80, "cookie jar helper") + _text_chunks(repo, "two", 55, "sign the cookie value")
    services.codesearch_sync_chunks(repository=repo, run=None, specs=specs)
    qs = CodeChunk.objects.for_org(org)
    two = set(qs.filter(key__startswith="two").values_list("id", flat=True))
    # As in a big organisation: the planner expects more OR matches than are worth ranking.
    monkeypatch.setattr(selectors, "RANK_ALL_MAX_ROWS", 0)
    calls = []
    monkeypatch.setattr(selectors, "_lexemes", lambda words, real=selectors._lexemes: calls.append(words) or real(words))
    assert set(selectors.text_candidates(qs, "where are cookies signed", 50)) <= two
    # Fewer two-word matches than asked for: single-word matches fill the list.
    found = selectors.text_candidates(qs, "where are cookies signed", 100)
    assert len(found) == 100 and set(found[:55]) == two
    assert calls  # the two-word path ran
