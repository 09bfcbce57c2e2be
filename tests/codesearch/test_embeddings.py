"""The local embedding model (all-MiniLM-L6-v2, int8 ONNX): offline, verified, meaningful."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

from codesearch.embeddings import LOCAL_DIMENSIONS, EmbeddingModelError, LocalEmbeddingBackend, get_backend


def test_local_model_loads_offline_and_paraphrases_are_closer_than_unrelated_text(settings):
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    backend = get_backend()
    assert isinstance(backend, LocalEmbeddingBackend)
    vectors = backend.embed(
        [
            "where are cookies signed",
            "sign a cookie value with a secret key",
            "parse the HTTP Accept header",
            "read the Accept header of an HTTP request",
            "the weather is nice today at the beach",
        ]
    )
    assert vectors.shape == (5, LOCAL_DIMENSIONS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    sims = vectors @ vectors.T
    assert sims[0, 1] > sims[0, 2] + 0.2 and sims[0, 1] > sims[0, 4] + 0.3
    assert sims[2, 3] > sims[2, 4] + 0.2 and sims[2, 3] > sims[2, 0]


def test_vectors_do_not_depend_on_batch_company():
    backend = get_backend()
    alone = backend.embed(["def parse_accept_header(header): ..."])[0]
    batched = backend.embed(["x", "def parse_accept_header(header): ...", "a much longer text " * 30])[1]
    assert float(alone @ batched) > 0.999


def test_the_same_backend_instance_is_reused_per_process():
    assert get_backend() is get_backend()


def test_a_corrupt_model_file_is_a_clear_error_not_a_zero_vector(tmp_path):
    good = get_backend()
    bad = tmp_path / "model.onnx"
    shutil.copy(good.model_path, bad)
    with bad.open("r+b") as fh:
        fh.seek(1000)
        fh.write(b"\x00\x01\x02\x03")
    backend = LocalEmbeddingBackend(model_path=bad)
    with pytest.raises(EmbeddingModelError, match="corrupt or not the pinned file: sha256"):
        backend.embed(["anything"])


def test_a_missing_model_file_is_a_clear_error(tmp_path):
    backend = LocalEmbeddingBackend(model_path=tmp_path / "nope.onnx")
    with pytest.raises(EmbeddingModelError, match="missing"):
        backend.embed(["anything"])


def test_local_backend_refuses_a_column_of_another_size(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.REPOTOIRE_EMBEDDING_DIMENSIONS = 512
    with pytest.raises(ImproperlyConfigured, match="384"):
        get_backend()


@pytest.mark.django_db
def test_embedding_task_with_a_corrupt_model_fails_and_writes_no_vector(org, settings, tmp_path):
    from codesearch import services
    from codesearch.chunking import ChunkSpec
    from codesearch.models import CodeChunk, CodeIndex
    from tests.factories import RepositoryFactory

    repo = RepositoryFactory(organization=org)
    spec = ChunkSpec(
        key="a.py::a.f::function::0", path="a.py", qualname="a.f", kind="function", language="python",
        start_line=1, end_line=2, part=0, parts=1, content="def f():\n    return 1", embed_text="", name_words="f",
        body_words="def f return 1", content_hash="0" * 64,
    )  # fmt: skip
    services.codesearch_sync_chunks(repository=repo, run=None, specs=[spec])
    bad = tmp_path / "broken.onnx"
    bad.write_bytes(b"not a model")
    settings.REPOTOIRE_EMBEDDING_MODEL_PATH = str(bad)
    CodeIndex.objects.create(repository=repo, organization=org, status="indexing")
    with pytest.raises(EmbeddingModelError):
        services.codesearch_embed_chunks(chunk_ids=list(CodeChunk.objects.values_list("id", flat=True)))
    assert CodeChunk.objects.get().embedding is None
    index = CodeIndex.objects.get(repository=repo)
    assert index.status == "failed" and "corrupt" in index.error


def test_system_check_reports_a_missing_model_before_a_worker_starts(settings, tmp_path):
    from codesearch.checks import check_embedding_model

    assert check_embedding_model() == []
    settings.REPOTOIRE_EMBEDDING_MODEL_PATH = str(tmp_path / "gone.onnx")
    (error,) = check_embedding_model()
    assert error.id == "codesearch.E001" and "missing" in error.msg
    settings.REPOTOIRE_EMBEDDING_BACKEND = "openai"
    assert check_embedding_model() == []


def _session_threads(queue) -> None:  # runs in a daemonic child, as in a django-q2 worker
    backend = LocalEmbeddingBackend()
    backend.load()
    queue.put(backend._session.get_session_options().intra_op_num_threads)


def test_inside_a_worker_the_model_gets_the_cores_divided_among_the_workers(settings, monkeypatch):
    import multiprocessing

    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "WORKERS", 2)  # the workers of the cluster this process belongs to
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_session_threads, args=(queue,), daemon=True)
    child.start()
    threads = queue.get(timeout=120)
    child.join(30)
    assert threads == max(1, (os.cpu_count() or 1) // 2)
    settings.REPOTOIRE_EMBEDDING_THREADS = 3
    child = context.Process(target=_session_threads, args=(queue,), daemon=True)
    child.start()
    assert queue.get(timeout=120) == 3
    child.join(30)
