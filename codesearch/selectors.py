"""Code search reads: hybrid retrieval (pgvector similarity + full-text rank, fused with
reciprocal-rank fusion), the findings inside the hits' spans, and embedding coverage.

Every candidate query is filtered by organisation (and repository, language, path prefix, kind)
in its WHERE clause, before ranking, so another organisation's chunks never compete, even with an
identical vector. pgvector 0.8's iterative HNSW scan keeps filtered queries returning enough rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection, transaction
from django.db.models import Count, F, Max, Q, QuerySet
from pgvector.django import CosineDistance

from accounts.models import Organization
from analysis.models import Repository
from codesearch.chunking import split_identifier
from codesearch.embeddings import EmbeddingModelError, current_model_id, get_backend
from codesearch.models import CodeChunk, CodeChunkQuerySet, CodeIndex
from findings.models import Finding
from repotoire.api.exceptions import ServiceUnavailable

RRF_K = 60
MODES = ("hybrid", "vector", "text")
_TSQUERY_WORD_LIMIT = 32
_PAIR_WORD_LIMIT = 8
# Above this many expected full-text matches, rank the two-word matches first (see text_candidates).
RANK_ALL_MAX_ROWS = 2000


@dataclass
class SearchHit:
    chunk: CodeChunk
    score: float
    vector_rank: int | None = None
    text_rank: int | None = None
    findings: list[Any] = field(default_factory=list)


def _scoped(
    organization: Organization,
    *,
    repository: Repository | None = None,
    language: str | None = None,
    path: str | None = None,
    kind: str | None = None,
) -> CodeChunkQuerySet:
    qs = CodeChunk.objects.for_org(organization)
    if repository is not None:
        qs = qs.filter(repository=repository)
    if language:
        qs = qs.filter(language=language)
    if path:
        qs = qs.filter(path__startswith=path.lstrip("/"))
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def text_query(query: str) -> str:
    """An OR of the query's words for ``to_tsquery`` (identifier-aware, only [a-z0-9])."""
    words: list[str] = []
    for token in query.replace("-", " ").split():
        for word in split_identifier("".join(ch if ch.isalnum() or ch == "_" else " " for ch in token).replace(" ", "_")):
            if word.isascii() and word.isalnum() and word not in words:
                words.append(word)
    return " | ".join(words[:_TSQUERY_WORD_LIMIT])


def embed_query(query: str) -> list[float]:
    try:
        return [float(v) for v in get_backend().embed([query])[0]]
    except EmbeddingModelError as exc:
        raise ServiceUnavailable(f"Code search embeddings are unavailable: {exc}", error_code="EMBEDDINGS_UNAVAILABLE") from exc


def vector_candidates(qs: CodeChunkQuerySet, vector: list[float], limit: int) -> list[int]:
    """Ids of the nearest chunks by cosine distance (HNSW, filtered before ranking)."""
    with transaction.atomic(), connection.cursor() as cur:
        # relaxed_order: keep scanning the graph until `limit` rows pass the filter.
        cur.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
        cur.execute(f"SET LOCAL hnsw.ef_search = {max(40, min(int(limit), 1000))}")
        rows = list(
            qs.embedded_with(current_model_id())
            .annotate(distance=CosineDistance("embedding", vector))
            .order_by("distance")
            .values_list("id", flat=True)[:limit]
        )
    return rows


def _lexemes(words: str) -> list[str]:
    """The query words as the index stores them (English stems, stop words dropped)."""
    with connection.cursor() as cur:
        cur.execute("SELECT tsvector_to_array(to_tsvector('english', %s))", [words.replace("|", " ")])
        row = cur.fetchone()
    return sorted(row[0] or []) if row else []


def _ranked_matches(qs: QuerySet[CodeChunk], tsquery: SearchQuery, limit: int) -> list[int]:
    return list(
        qs.filter(search_vector=tsquery)
        .annotate(rank=SearchRank(F("search_vector"), tsquery, cover_density=True, normalization=1))
        .order_by("-rank", "id")
        .values_list("id", flat=True)[:limit]
    )


def _estimated_rows(qs: QuerySet[CodeChunk]) -> int:
    """The planner's row estimate for ``qs`` (planning only, nothing is scanned)."""
    sql, params = qs.values("id").query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cur.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def text_candidates(qs: QuerySet[CodeChunk], query: str, limit: int) -> list[int]:
    """Ids of the best full-text matches (ts_rank_cd over the weighted tsvector), the filters
    and the match in one WHERE clause so the GIN index drives the scan.

    Ranking every chunk that shares one word with the query is what costs at scale (a common
    word matches a tenth of a big organisation's chunks). When the planner expects more than
    ``RANK_ALL_MAX_ROWS`` matches, chunks matching at least two of the query's words are ranked
    first, and all OR matches only if fewer than ``limit`` of those exist."""
    words = text_query(query)
    if not words:
        return []
    any_word = SearchQuery(words, search_type="raw", config="english")
    if _estimated_rows(qs.filter(search_vector=any_word)) > RANK_ALL_MAX_ROWS:
        lexemes = _lexemes(words)[:_PAIR_WORD_LIMIT]
        if len(lexemes) >= 2:
            pairs = " | ".join(f"({a} & {b})" for a, b in combinations(lexemes, 2))
            ids = _ranked_matches(qs, SearchQuery(pairs, search_type="raw", config="simple"), limit)
            if len(ids) >= limit:
                return ids
    return _ranked_matches(qs, any_word, limit)


def fuse(rankings: list[list[int]], k: int = RRF_K) -> dict[int, float]:
    """Reciprocal-rank fusion: score(d) = Σ 1 / (k + rank of d in each list), rank from 1."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, pk in enumerate(ranking, start=1):
            scores[pk] = scores.get(pk, 0.0) + 1.0 / (k + rank)
    return scores


def code_search(
    *,
    organization: Organization,
    query: str,
    repository: Repository | None = None,
    language: str | None = None,
    path: str | None = None,
    kind: str | None = None,
    top_k: int = 10,
    mode: str = "hybrid",
    with_findings: bool = True,
) -> list[SearchHit]:
    """The ``top_k`` chunks of ``organization`` best matching ``query``."""
    qs = _scoped(organization, repository=repository, language=language, path=path, kind=kind)
    depth = max(top_k * 4, 50)
    vec_ids = vector_candidates(qs, embed_query(query), depth) if mode in ("hybrid", "vector") else []
    txt_ids = text_candidates(qs, query, depth) if mode in ("hybrid", "text") else []
    scores = fuse([r for r in (vec_ids, txt_ids) if r])
    best = sorted(scores, key=lambda pk: (-scores[pk], pk))[:top_k]
    chunks = CodeChunk.objects.select_related("repository").in_bulk(best)
    vec_rank = {pk: i for i, pk in enumerate(vec_ids, start=1)}
    txt_rank = {pk: i for i, pk in enumerate(txt_ids, start=1)}
    hits = [SearchHit(chunks[pk], round(scores[pk], 6), vec_rank.get(pk), txt_rank.get(pk)) for pk in best if pk in chunks]
    if with_findings:
        attach_findings(organization, hits)
    return hits


def attach_findings(organization: Organization, hits: list[SearchHit]) -> None:
    """The unresolved findings inside each hit's line span, in one query for all hits."""
    if not hits:
        return
    span = Q()
    for hit in hits:
        c = hit.chunk
        span |= Q(repository_id=c.repository_id, path=c.path, line__gte=c.start_line, line__lte=c.end_line)
    rows = list(
        Finding.objects.for_org(organization)
        .unresolved()
        .filter(span)
        .only("id", "repository_id", "path", "line", "end_line", "detector", "severity", "title", "status")
        .order_by("-severity_rank", "line")
    )
    for hit in hits:
        c = hit.chunk
        hit.findings = [
            f for f in rows if f.repository_id == c.repository_id and f.path == c.path and c.start_line <= f.line <= c.end_line
        ]


def embedding_status(*, organization: Organization, repository: Repository | None = None) -> dict[str, Any]:
    """Chunks, embedded chunks (current model), coverage, pending, per-repository index states."""
    model_id = current_model_id()
    qs = CodeChunk.objects.for_org(organization)
    indexes = CodeIndex.objects.for_org(organization).select_related("repository")
    if repository is not None:
        qs = qs.filter(repository=repository)
        indexes = indexes.filter(repository=repository)
    agg = qs.aggregate(
        total=Count("id"),
        embedded=Count("id", filter=Q(embedding_model=model_id, embedding__isnull=False)),
        last=Max("updated_at"),
        last_embedded=Max("embedded_at"),
    )
    total, embedded = agg["total"], agg["embedded"]
    index_rows = list(indexes.order_by("repository__name"))
    stamps = [s for s in (agg["last"], agg["last_embedded"], *(i.updated_at for i in index_rows)) if s is not None]
    return {
        "chunks_total": total,
        "embedded": embedded,
        "pending": total - embedded,
        "coverage_percent": round(100.0 * embedded / total, 2) if total else 0.0,
        "backend": settings.REPOTOIRE_EMBEDDING_BACKEND,
        "model": model_id,
        "dimensions": int(settings.REPOTOIRE_EMBEDDING_DIMENSIONS),
        "last_updated": max(stamps) if stamps else None,
        "repositories": index_rows,
    }
