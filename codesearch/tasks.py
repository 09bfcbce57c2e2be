"""django-q2 tasks of code search: thin, they take ids and call one service."""

from __future__ import annotations

from typing import Any

from codesearch import services


def codesearch_index_run_task(run_id: str) -> dict[str, Any]:
    """Post-analysis hook (analysis.hooks): chunk the completed run ``run_id``
    and queue the embedding of what changed."""
    return services.codesearch_index_run(run_id=run_id)


def codesearch_embed_chunks_task(chunk_ids: list[int]) -> int:
    """Embed one batch of chunks; returns the vectors written."""
    return services.codesearch_embed_chunks(chunk_ids=chunk_ids)


def codesearch_reembed_stale_task() -> dict[str, int]:
    """Queue every chunk lacking a vector of the current model (after a model change)."""
    return services.codesearch_reembed_stale()


def codesearch_reembed_sweep_task() -> dict[str, object]:
    """Scheduled: background re-embedding after a model change, and lost embedding tasks."""
    return services.codesearch_reembed_sweep()
