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
