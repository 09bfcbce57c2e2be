"""An embedding task whose worker is stopping (SIGTERM, see repotoire.qworker) embeds nothing more
and puts its chunks back in the background queue, where the next worker finds them."""

from __future__ import annotations

import pytest
from django_q.models import OrmQ

from codesearch import services
from codesearch.models import CodeChunk
from repotoire import qworker
from tests.codesearch.conftest import analyse

pytestmark = pytest.mark.django_db


def test_a_stopping_worker_sends_its_chunks_back_to_the_queue(org, sample_repo, django_capture_on_commit_callbacks, monkeypatch):
    run = analyse(org, sample_repo)
    with django_capture_on_commit_callbacks(execute=False):  # chunks written, embedding tasks not sent
        services.codesearch_index_run(run_id=run.pk)
    ids = sorted(CodeChunk.objects.for_org(org).values_list("pk", flat=True))
    assert ids
    before = set(OrmQ.objects.values_list("pk", flat=True))

    monkeypatch.setattr(qworker._State, "stopping", True)
    with django_capture_on_commit_callbacks(execute=True):
        written = services.codesearch_embed_chunks(chunk_ids=ids)

    assert written == 0
    assert CodeChunk.objects.filter(pk__in=ids, embedding__isnull=True).count() == len(ids)
    requeued = [q.task for q in OrmQ.objects.exclude(pk__in=before)]
    assert requeued and all(t["func"] == services.EMBED_TASK for t in requeued)
    assert sorted(pk for t in requeued for pk in t["args"][0]) == ids
