"""End to end in a real ``manage.py qcluster`` worker: a completed analysis is indexed by the
post-analysis hook and embedded in background batches; status shows the progress."""

from __future__ import annotations

import time

import pytest

from analysis import services as analysis_services
from codesearch.models import CodeChunk, CodeIndex


@pytest.fixture
def worker_env(monkeypatch, tmp_path):
    monkeypatch.setenv("REPOTOIRE_WORKSPACE_DIR", str(tmp_path / "workspaces"))
    monkeypatch.setenv("REPOTOIRE_ALLOW_LOCAL_REPOS", "true")
    monkeypatch.setenv("REPOTOIRE_CODESEARCH_INDEX_ON_COMPLETE", "true")
    monkeypatch.setenv("REPOTOIRE_EMBEDDING_BACKEND", "local")
    monkeypatch.setenv("REPOTOIRE_EMBEDDING_TASK_CHUNKS", "5")


@pytest.mark.slow
def test_completed_analysis_is_indexed_and_embedded_by_the_worker(worker_env, owner, org, sample_repo, qcluster):
    repo = analysis_services.repository_create(organization=org, name="sample", clone_url=str(sample_repo))
    run = analysis_services.analysis_trigger(organization=org, repository_id=repo.pk)
    deadline = time.monotonic() + 240
    status: dict = {}
    while time.monotonic() < deadline:
        status = owner.client.get("/api/v1/code/embeddings/status").json()
        if status["chunks_total"] and status["pending"] == 0:
            break
        assert qcluster.poll() is None, "the worker died"
        time.sleep(1)
    assert status["chunks_total"] == CodeChunk.objects.for_org(org).count() > 5, status
    assert status["coverage_percent"] == 100.0
    index = CodeIndex.objects.get(repository=repo)
    assert index.run_id == run.pk and index.status == "ready"
    # Five chunks per task: the embedding really was split into several queued batches.
    assert index.stats["tasks"] >= 2
    # ... run, like the indexing hook, by the background cluster; the analysis ran in the main one.
    from django_q.models import Task

    clusters = {t.func.rsplit(".", 1)[-1]: t.cluster for t in Task.objects.all()}
    assert clusters["codesearch_embed_chunks_task"] == "background"
    assert clusters["codesearch_index_run_task"] == "background"
    assert clusters["fixes_after_analysis_task"] == "background"
    assert clusters["github_after_analysis_task"] == "repotoire"  # PR checks never wait behind bulk work
    assert clusters["analysis_execute_task"] == "repotoire"
    results = owner.client.post("/api/v1/code/search", {"query": "where are cookies signed"}, format="json").json()["results"]
    assert results[0]["qualified_name"] == "pkg.auth.sign_cookie"
