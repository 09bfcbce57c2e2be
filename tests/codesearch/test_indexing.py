"""Indexing a completed analysis: chunks, embeddings in background batches, incremental updates."""

from __future__ import annotations

import pytest

from codesearch import services
from codesearch.embeddings import LOCAL_MODEL_ID
from codesearch.models import CodeChunk, CodeIndex
from tests.codesearch.conftest import AUTH_PY, analyse, commit, index

pytestmark = pytest.mark.django_db


def test_completed_analysis_is_chunked_and_every_chunk_embedded(org, indexed):
    run, stats = indexed
    chunks = CodeChunk.objects.for_org(org)
    names = set(chunks.values_list("qualname", flat=True))
    assert {"pkg.auth.sign_cookie", "pkg.auth.SessionStore", "pkg.auth.SessionStore.create_session", "pkg.http"} <= names
    assert set(chunks.values_list("kind", flat=True)) == {"module", "class", "function", "method"}
    assert stats["created"] == chunks.count() == stats["to_embed"]
    assert chunks.filter(embedding_model=LOCAL_MODEL_ID, embedding__isnull=False).count() == chunks.count()
    sign = chunks.get(qualname="pkg.auth.sign_cookie")
    assert (sign.start_line, sign.end_line) == (7, 10)
    assert sign.content.startswith("def sign_cookie(") and sign.commit_sha == run.commit_sha
    assert CodeIndex.objects.get(repository=run.repository).status == "ready"


def test_reanalysis_embeds_only_changed_chunks_and_drops_deleted_code(
    org, indexed, sample_repo, django_capture_on_commit_callbacks
):
    run, _ = indexed
    before = {c.key: (c.pk, c.embedded_at) for c in CodeChunk.objects.for_org(org)}
    edited = AUTH_PY.replace("self.sessions.pop(key, None)", "self.sessions.pop(key, None)\n        return True")
    commit(sample_repo, {"pkg/auth.py": edited, "pkg/stats.py": None}, "edit one method, delete a module")
    run2 = analyse(org, sample_repo, repository=run.repository)
    stats = index(run2, django_capture_on_commit_callbacks)

    assert stats["changed"] == 1 and stats["created"] == 0 and stats["to_embed"] == 1
    assert stats["deleted"] == 2  # the stats module summary and compute_average
    after = {c.key: (c.pk, c.embedded_at) for c in CodeChunk.objects.for_org(org)}
    assert not any("stats.py" in key for key in after)
    changed = [k for k in after if after[k][1] != before[k][1]]
    assert changed == ["pkg/auth.py::pkg.auth.SessionStore.delete_session::method::0"]
    assert CodeChunk.objects.for_org(org).filter(embedding__isnull=True).count() == 0
    assert set(CodeChunk.objects.for_org(org).values_list("commit_sha", flat=True)) == {run2.commit_sha}


def test_reindexing_the_same_run_embeds_nothing(org, indexed, django_capture_on_commit_callbacks):
    run, _ = indexed
    CodeIndex.objects.filter(repository=run.repository).update(run_finished_at=None)
    stats = index(run, django_capture_on_commit_callbacks)
    assert stats["to_embed"] == 0 and stats["created"] == 0 and stats["changed"] == 0 and stats["deleted"] == 0


def test_an_older_run_does_not_replace_a_newer_index(org, indexed, sample_repo, django_capture_on_commit_callbacks):
    run, _ = indexed
    commit(sample_repo, {"pkg/extra.py": "def extra():\n    return 1\n"}, "add")
    run2 = analyse(org, sample_repo, repository=run.repository)
    index(run2, django_capture_on_commit_callbacks)
    assert services.codesearch_index_run(run_id=run.pk)["skipped"]
    assert CodeIndex.objects.get(repository=run.repository).run_id == run2.pk


def test_post_analysis_hook_indexes_the_run(org, sample_repo, settings, q_sync, django_capture_on_commit_callbacks):
    settings.REPOTOIRE_POST_ANALYSIS_HOOKS = {"codesearch-index": True}
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run = analyse(org, sample_repo)
    # The hook's own task queues the embedding tasks at its commit; run those too.
    while callbacks:
        pending = list(callbacks)
        callbacks.clear()
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            for callback in pending:
                callback()
    assert CodeIndex.objects.get(repository=run.repository).run_id == run.pk
    assert CodeChunk.objects.for_org(org).filter(embedding__isnull=False).count() > 5


def test_setting_registers_the_index_task_as_post_analysis_hook():
    from django.conf import settings as django_settings
    from django.utils.module_loading import import_string

    import repotoire.settings as project_settings
    from analysis.hooks import POST_ANALYSIS_HOOKS

    hook = next(h for h in POST_ANALYSIS_HOOKS if h.task == "codesearch.tasks.codesearch_index_run_task")
    assert project_settings.REPOTOIRE_POST_ANALYSIS_HOOKS[hook.name] is True
    assert callable(import_string("codesearch.tasks.codesearch_index_run_task"))
    assert django_settings.REPOTOIRE_CODESEARCH_INDEX_ON_COMPLETE is True


def test_a_moved_checkout_is_refetched_at_the_analysed_commit(
    org, sample_repo, q_sync, django_capture_on_commit_callbacks, settings
):
    import shutil
    from pathlib import Path

    run = analyse(org, sample_repo)
    shutil.rmtree(Path(settings.REPOTOIRE_WORKSPACE_DIR) / str(run.repository_id))
    stats = index(run, django_capture_on_commit_callbacks)
    assert stats["unreadable_files"] == 0 and stats["files"] == 4
    assert CodeChunk.objects.for_org(org).filter(qualname="pkg.auth.sign_cookie").exists()


def test_pull_request_and_other_branch_runs_do_not_replace_the_index(org, indexed):
    from analysis.models import AnalysisRun

    run, _ = indexed
    AnalysisRun.objects.filter(pk=run.pk).update(pull_request_number=7)
    assert "pull request" in services.codesearch_index_run(run_id=run.pk)["skipped"]
    AnalysisRun.objects.filter(pk=run.pk).update(pull_request_number=None, branch="feature")
    run.repository.default_branch = "main"
    run.repository.save()
    assert "default branch" in services.codesearch_index_run(run_id=run.pk)["skipped"]
