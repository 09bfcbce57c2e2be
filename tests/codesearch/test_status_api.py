"""GET /api/v1/code/embeddings/status: coverage and indexing progress."""

from __future__ import annotations

import pytest

from codesearch.models import CodeChunk
from tests.codesearch.conftest import analyse

pytestmark = pytest.mark.django_db
URL = "/api/v1/code/embeddings/status"


def test_status_shows_progress_while_embedding_is_pending(owner, org, sample_repo):
    from codesearch import services

    run = analyse(org, sample_repo)
    # Without running the queued tasks: chunks exist, none embedded yet.
    stats = services.codesearch_index_run(run_id=run.pk)
    body = owner.client.get(URL).json()
    assert body["chunks_total"] == stats["chunks"] == body["pending"] > 0
    assert body["embedded"] == 0 and body["coverage_percent"] == 0.0
    assert body["model"] == "all-MiniLM-L6-v2-onnx-int8" and body["dimensions"] == 384 and body["backend"] == "local"
    (repo_state,) = body["repositories"]
    assert repo_state["status"] == "indexing" and repo_state["analysis_id"] == str(run.pk)
    assert repo_state["commit_sha"] == run.commit_sha and repo_state["stats"]["to_embed"] == stats["chunks"]

    half = list(CodeChunk.objects.for_org(org).order_by("id").values_list("id", flat=True))[: stats["chunks"] // 2]
    services.codesearch_embed_chunks(chunk_ids=half)
    body = owner.client.get(URL).json()
    assert body["embedded"] == len(half) and body["pending"] == stats["chunks"] - len(half)
    assert body["coverage_percent"] == round(100 * len(half) / stats["chunks"], 2)
    services.codesearch_embed_chunks(chunk_ids=list(CodeChunk.objects.values_list("id", flat=True)))
    body = owner.client.get(URL).json()
    assert body["coverage_percent"] == 100.0 and body["repositories"][0]["status"] == "ready" and body["last_updated"]


def test_status_by_repository_and_tenancy(owner, outsider, anon, indexed):
    run, _ = indexed
    mine = owner.client.get(URL, {"repository_id": str(run.repository_id)}).json()
    assert mine["chunks_total"] > 0 and mine["coverage_percent"] == 100.0
    assert outsider.client.get(URL).json()["chunks_total"] == 0
    response = outsider.client.get(URL, {"repository_id": str(run.repository_id)})
    assert response.status_code == 404 and response.json()["error_code"] == "NOT_FOUND"
    assert owner.client.get(URL, {"repository_id": "not-a-uuid"}).status_code == 400
    assert anon.get(URL).status_code == 401
