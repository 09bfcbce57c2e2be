"""Code search latency at scale: p50/p95 of ``code_search`` (hybrid, vector-only, text-only) over
N chunks in one organisation (default 100,000), optionally with M more chunks spread over other
organisations (``--others 900000`` for a million in all), with the HNSW and GIN indexes.
Prints figures, asserts nothing.

    .venv/bin/python -m benchmarks.codesearch_latency [--chunks 100000] [--others 0] [--queries 40] [--keep]

Chunks are generated in SQL: random unit vectors (384 dimensions) and tsvectors drawn from the
identifier vocabulary of requests' source, so the indexes have realistic shapes; the query
embedding (local model) is timed apart from the database work. Runs in ``bench_codesearch_lat``.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = os.environ.setdefault("REPOTOIRE_DB_NAME", "bench_codesearch_lat")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "repotoire.settings")
os.environ.setdefault("DEBUG", "false")
sys.path.insert(0, str(ROOT))

from benchmarks._shared import pct  # noqa: E402

QUERIES = [
    "where are cookies signed",
    "parse the HTTP Accept header",
    "retry the request after a timeout",
    "verify the TLS certificate",
    "merge session settings with request settings",
    "decode json response body",
    "follow redirects",
    "proxy environment variables",
    "case insensitive dictionary",
    "stream the response in chunks",
]


def vocabulary() -> list[str]:
    import requests

    from codesearch.chunking import identifier_words

    words: set[str] = set()
    for path in Path(requests.__file__).resolve().parent.glob("*.py"):
        words.update(identifier_words(path.read_text()).split())
    return sorted(w for w in words if len(w) > 2)


def populate(org_id: str, repo_id: str, n: int, words: list[str], offset: int) -> float:
    """Insert ``n`` chunks for one organisation/repository in SQL; returns seconds."""
    from django.db import connection

    t = time.perf_counter()
    with connection.cursor() as cur:
        step = 20_000
        for start in range(0, n, step):
            count = min(step, n - start)
            cur.execute(
                """
                INSERT INTO codesearch_codechunk (organization_id, repository_id, commit_sha, key, path, qualname, kind, language,
                    start_line, end_line, part, parts, content, content_hash, embedding, embedding_model, search_vector,
                    created_at, updated_at, embedded_at)
                SELECT %(org)s, %(repo)s, 'bench', 'k' || g, 'pkg/mod' || (g %% 500) || '.py', 'pkg.mod.f' || g, 'function', 'python',
                    1, 20, 0, 1, 'def f(): pass', md5(g::text) || md5(g::text),
                    (SELECT l2_normalize(array_agg(random() - 0.5)::vector) FROM generate_series(1, 384) WHERE g > 0),
                    'all-MiniLM-L6-v2-onnx-int8',
                    setweight(to_tsvector('english', w.a), 'A') || setweight(to_tsvector('english', w.b), 'B'),
                    now(), now(), now()
                FROM generate_series(%(lo)s, %(hi)s) AS g,
                LATERAL (SELECT
                    (SELECT string_agg((%(words)s::text[])[1 + floor(random() * %(nw)s)::int], ' ') FROM generate_series(1, 3) WHERE g > 0) AS a,
                    (SELECT string_agg((%(words)s::text[])[1 + floor(random() * %(nw)s)::int], ' ') FROM generate_series(1, 60) WHERE g > 0) AS b
                ) AS w
                """,
                {
                    "org": org_id,
                    "repo": repo_id,
                    "lo": offset + start,
                    "hi": offset + start + count - 1,
                    "words": words,
                    "nw": len(words),
                },
            )
    return time.perf_counter() - t


def run(args: argparse.Namespace) -> None:
    from accounts.models import Organization
    from benchmarks._shared import build_schema
    from tests.factories import OrganizationFactory, RepositoryFactory

    words = vocabulary()
    if args.reuse:
        org = Organization.objects.order_by("created_at").first()
        print(f"reusing the {args.chunks} chunks kept by an earlier --keep run")
    else:
        build_schema()
        org = OrganizationFactory(plan="enterprise")
        repo = RepositoryFactory(organization=org)
        populate_all(args, org, repo, words)
    query_latency(args, org, words)


def populate_all(args: argparse.Namespace, org, repo, words: list[str]) -> None:
    from django.db import connection

    from tests.factories import OrganizationFactory, RepositoryFactory

    with connection.cursor() as cur:
        cur.execute("DROP INDEX IF EXISTS codechunk_embedding_hnsw")
        cur.execute("DROP INDEX IF EXISTS codechunk_search_gin")
    seconds = populate(str(org.pk), str(repo.pk), args.chunks, words, 1)
    print(f"inserted {args.chunks} chunks in one organisation: {seconds:.1f} s")
    offset = args.chunks + 1
    per_org = 50_000
    for i in range(0, args.others, per_org):
        other = OrganizationFactory()
        other_repo = RepositoryFactory(organization=other)
        populate(str(other.pk), str(other_repo.pk), min(per_org, args.others - i), words, offset + i)
    if args.others:
        print(f"inserted {args.others} chunks across {(args.others + per_org - 1) // per_org} other organisations")
    with connection.cursor() as cur:
        cur.execute("SET maintenance_work_mem = '4GB'")
        t = time.perf_counter()
        cur.execute(
            "CREATE INDEX codechunk_embedding_hnsw ON codesearch_codechunk USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)"
        )
        print(f"HNSW index build: {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        cur.execute("CREATE INDEX codechunk_search_gin ON codesearch_codechunk USING gin (search_vector)")
        print(f"GIN index build: {time.perf_counter() - t:.1f} s")
        cur.execute("ANALYZE codesearch_codechunk")


def query_latency(args: argparse.Namespace, org, words: list[str]) -> None:
    from codesearch.embeddings import get_backend
    from codesearch.selectors import _scoped, code_search, embed_query, text_candidates, vector_candidates

    get_backend().embed(["warm up"])
    rnd = random.Random(7)
    queries = [rnd.choice(QUERIES) + ("" if i < len(QUERIES) else f" {rnd.choice(words)}") for i in range(args.queries)]
    timings: dict[str, list[float]] = {"embed query": [], "vector top-50": [], "text top-50": [], "hybrid (API path)": []}
    qs = _scoped(org)
    for query in queries:
        t = time.perf_counter()
        vector = embed_query(query)
        timings["embed query"].append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        found = vector_candidates(qs, vector, 50)
        timings["vector top-50"].append((time.perf_counter() - t) * 1000)
        assert len(found) == 50
        t = time.perf_counter()
        text_candidates(qs, query, 50)
        timings["text top-50"].append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        code_search(organization=org, query=query, top_k=10)
        timings["hybrid (API path)"].append((time.perf_counter() - t) * 1000)
    print(f"\n{len(queries)} queries over {args.chunks} chunks of one organisation ({args.chunks + args.others} in the table)")
    print(f"{'stage':20} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8}")
    for name, values in timings.items():
        print(f"{name:20} {pct(values, 0.5):>8.1f} {pct(values, 0.95):>8.1f} {statistics.mean(values):>8.1f}")
    print(f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--others", type=int, default=0)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="query the chunks an earlier --keep run left")
    args = parser.parse_args()

    import django

    django.setup()
    from benchmarks._shared import drop_database

    try:
        run(args)
    finally:
        if not args.keep:
            drop_database()


if __name__ == "__main__":
    main()
