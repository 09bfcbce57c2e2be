"""Staff views of chunks and indexes, and the re-embedding command."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from codesearch.models import CodeChunk, CodeIndex

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    from tests.factories import UserFactory

    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    return client


def test_admin_lists_and_shows_chunks_without_the_vector(staff_client, indexed):
    chunk = CodeChunk.objects.get(qualname="pkg.auth.sign_cookie")
    response = staff_client.get("/admin/codesearch/codechunk/", {"q": "sign_cookie"})
    assert response.status_code == 200 and b"pkg.auth.sign_cookie" in response.content
    response = staff_client.get(f"/admin/codesearch/codechunk/{chunk.pk}/change/")
    assert response.status_code == 200 and b"def sign_cookie" in response.content
    assert b"0.0" not in response.content.split(b"def sign_cookie")[0][-200:]  # no vector dump
    assert staff_client.get("/admin/codesearch/codeindex/").status_code == 200


def test_admin_reindex_action_queues_the_latest_run(staff_client, indexed, q_sync, django_capture_on_commit_callbacks):
    run, _ = indexed
    CodeChunk.objects.filter(qualname="pkg.auth.sign_cookie").delete()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            "/admin/codesearch/codeindex/", {"action": "reindex", "_selected_action": [str(run.repository_id)]}, follow=True
        )
    assert response.status_code == 200
    # The recreated chunk is embedded by the tasks the re-index queued (run here at their commit).
    assert CodeChunk.objects.filter(qualname="pkg.auth.sign_cookie").exists()
    assert CodeIndex.objects.get(repository=run.repository).stats["created"] == 1


def test_reembed_command_queues_chunks_of_another_model(org, indexed, q_sync, django_capture_on_commit_callbacks):
    CodeChunk.objects.for_org(org).update(embedding_model="old-model")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("codesearch_reembed")
    assert not CodeChunk.objects.for_org(org).exclude(embedding_model="all-MiniLM-L6-v2-onnx-int8").exists()


def test_background_sweep_reembeds_after_a_model_change_once_an_hour(org, indexed, q_sync, django_capture_on_commit_callbacks):
    from django.core.cache import cache

    from codesearch import services

    current = "all-MiniLM-L6-v2-onnx-int8"
    assert services.codesearch_reembed_sweep() == {"chunks": 0, "tasks": 0}  # nothing stale
    CodeChunk.objects.for_org(org).update(embedding_model="old-model")
    total = CodeChunk.objects.for_org(org).count()
    with django_capture_on_commit_callbacks(execute=True):
        queued = services.codesearch_reembed_sweep()
    assert queued["chunks"] == total > 0
    assert not CodeChunk.objects.for_org(org).exclude(embedding_model=current).exists()
    # Queued less than an hour ago: a second model change waits for the next window.
    CodeChunk.objects.for_org(org).update(embedding_model="old-model")
    assert services.codesearch_reembed_sweep() == {"skipped": "queued less than an hour ago"}
    cache.delete(f"codesearch-reembed-sweep:{current}")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.codesearch_reembed_sweep()["chunks"] == total


def test_background_sweep_requeues_chunks_whose_embedding_task_was_lost(org, indexed, q_sync, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    from codesearch import services

    chunk = CodeChunk.objects.get(qualname="pkg.auth.sign_cookie")
    CodeChunk.objects.filter(pk=chunk.pk).update(embedding=None, embedded_at=None)
    # Just written: its task may still be queued, so it is left alone.
    assert services.codesearch_reembed_sweep() == {"chunks": 0, "tasks": 0}
    later = timezone.now() + timedelta(minutes=31)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.codesearch_reembed_sweep(now=later) == {"chunks": 1, "tasks": 1}
    chunk.refresh_from_db()
    assert chunk.embedding is not None and chunk.embedded_at is not None
