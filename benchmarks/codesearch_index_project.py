"""Time to make a whole project searchable, end to end on the real stack: an analysis triggered
through the service the API calls, run by a real ``qcluster`` (default settings: 2 workers, the
local int8 ONNX model), then the code-search hook chunks the run and the embedding tasks fill the
vectors. Prints progress every few seconds and the figures at the end; asserts nothing.

    .venv/bin/python -m benchmarks.codesearch_index_project [--project django] [--workers 2]

Runs in its own database (``bench_codesearch_index``), dropped afterwards unless ``--keep``.
Figures: trigger → analysis completed, → chunks written (search by full text works from here),
→ every chunk embedded (vector search complete); embedding throughput over the whole project;
then, on the real vectors, the filtered HNSW top 50 against an exact scan (recall@50) and the
hybrid search latency.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = os.environ.setdefault("REPOTOIRE_DB_NAME", "bench_codesearch_index")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "repotoire.settings")
os.environ.setdefault("DEBUG", "false")
sys.path.insert(0, str(ROOT))

from benchmarks._shared import git_copy  # noqa: E402


def run(args: argparse.Namespace, workdir: Path) -> None:
    from django.core.management import call_command

    from analysis import services
    from analysis.models import RunStatus
    from benchmarks._cache import project_source
    from codesearch.models import CodeChunk, CodeIndex
    from codesearch.selectors import embedding_status
    from tests.factories import OrganizationFactory

    print(f"database {DB_NAME}: migrating …", flush=True)
    call_command("migrate", verbosity=0)
    repo_dir = workdir / args.project
    git_copy(project_source(args.project), repo_dir)
    org = OrganizationFactory(plan="enterprise", slug=f"bench-{uuid.uuid4().hex[:8]}")
    repo = services.repository_create(organization=org, name=args.project, clone_url=str(repo_dir))

    env = {
        **os.environ,
        "REPOTOIRE_DB_NAME": DB_NAME,
        "REPOTOIRE_WORKSPACE_DIR": str(workdir / "ws"),
        "Q_WORKERS": str(args.workers),
    }
    # As `make run`: the main cluster (analyses) and the background cluster (indexing, embedding).
    workers = [
        subprocess.Popen(  # noqa: S603 - our own manage.py
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env={**env, **extra},
            stdout=open(workdir / f"qcluster{i}.log", "w"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )
        for i, extra in enumerate(({}, {"Q_CLUSTER_NAME": "background", "Q_BACKGROUND_WORKERS": str(args.embedding_workers)}))
    ]
    try:
        t0 = time.perf_counter()
        run_obj = services.analysis_trigger(organization=org, repository_id=repo.pk)
        marks: dict[str, float] = {}
        last_print = 0.0
        while True:
            time.sleep(1)
            now = time.perf_counter() - t0
            run_obj.refresh_from_db()
            if "analysis" not in marks and run_obj.status in (RunStatus.COMPLETED, RunStatus.FAILED):
                marks["analysis"] = now
                if run_obj.status == RunStatus.FAILED:
                    raise SystemExit(f"analysis failed: {run_obj.error_code} {run_obj.error_message}")
            index = CodeIndex.objects.filter(repository=repo).first()
            if "chunks" not in marks and index is not None and index.chunks_total:
                marks["chunks"] = now
            status = embedding_status(organization=org, repository=repo)
            if "chunks" in marks and status["pending"] == 0 and status["chunks_total"]:
                marks["embedded"] = now
            if now - last_print >= args.every or "embedded" in marks:
                last_print = now
                print(
                    f"  {now:7.1f} s  run {run_obj.status:<9} chunks {status['chunks_total']:>6}  "
                    f"embedded {status['embedded']:>6} ({status['coverage_percent']:5.1f} %)  "
                    f"load {os.getloadavg()[0]:.1f}",
                    flush=True,
                )
            if "embedded" in marks:
                break
            if now > args.timeout:
                raise SystemExit(f"not finished after {args.timeout} s (worker logs: {workdir}/qcluster*.log)")
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(30)

    run_obj.refresh_from_db()
    chunks = CodeChunk.objects.filter(repository=repo).count()
    embed_wall = marks["embedded"] - marks["chunks"]
    print(f"\n{args.project}: {run_obj.files_analyzed} files, {run_obj.lines_analyzed} code lines -> {chunks} chunks")
    print(f"  trigger -> analysis completed   {marks['analysis']:7.1f} s (engine {run_obj.timings.get('total', 0):.1f} s)")
    print(f"  trigger -> chunks written       {marks['chunks']:7.1f} s (full-text search works from here)")
    print(f"  trigger -> every chunk embedded {marks['embedded']:7.1f} s = {marks['embedded'] / 60:.1f} min")
    print(
        f"  embedding: {chunks / embed_wall:.1f} chunks/s wall with {args.embedding_workers} embedding worker(s) "
        f"on {os.cpu_count()} cores (main cluster: {args.workers} workers)"
    )
    search_quality(org)


# Natural-language questions about a large Python web framework (Django by default).
RECALL_QUERIES = [
    "where are cookies signed",
    "parse the HTTP Accept header",
    "validate an email address",
    "hash a password",
    "render a template",
    "escape HTML",
    "check the CSRF token",
    "run a block in a database transaction",
    "send an email",
    "paginate a list of objects",
    "slugify a string",
    "build a cache key",
    "convert a datetime to the current time zone",
    "resolve a URL to a view",
    "validate a form field",
    "add a column in a migration",
    "compress a response with gzip",
    "read a signed cookie",
    "serve static files",
    "lazy translation of strings",
]


def search_quality(org) -> None:
    """The HNSW index against an exact scan on real vectors: recall@50 of the filtered approximate
    top 50 (organisation only, + a path prefix, + a kind), and the hybrid search latency."""
    from collections import Counter

    from django.db import connection, transaction
    from pgvector.django import CosineDistance

    from codesearch.embeddings import current_model_id
    from codesearch.models import CodeChunk
    from codesearch.selectors import _scoped, code_search, embed_query, vector_candidates

    paths = CodeChunk.objects.filter(organization=org).values_list("path", flat=True)
    dirs = Counter(p.split("/")[0] for p in paths if "/" in p).most_common(1)
    top_dir = dirs[0][0] if dirs else ""
    print("\n  filtered HNSW (ef_search 50, iterative scan) vs an exact scan, top 50, real vectors:")
    cases = [("organisation", {}), ("+ kind class", {"kind": "class"})]
    if top_dir:
        cases.insert(1, (f"+ path {top_dir}/", {"path": f"{top_dir}/"}))
    for label, filters in cases:
        qs = _scoped(org, **filters)
        recalls, times = [], []
        for query in RECALL_QUERIES:
            vector = embed_query(query)
            t = time.perf_counter()
            approx = vector_candidates(qs, vector, 50)
            times.append((time.perf_counter() - t) * 1000)
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute("SET LOCAL enable_indexscan = off")
                exact = list(
                    qs.embedded_with(current_model_id())
                    .annotate(d=CosineDistance("embedding", vector))
                    .order_by("d")
                    .values_list("id", flat=True)[:50]
                )
            recalls.append(len(set(approx) & set(exact)) / max(len(exact), 1))
        times.sort()
        print(
            f"    {label:20} {qs.count():6} chunks: recall@50 {sum(recalls) / len(recalls):.3f} (worst query {min(recalls):.2f}), "
            f"vector top-50 p50 {times[len(times) // 2]:.1f} ms"
        )
    times = []
    for query in RECALL_QUERIES:
        t = time.perf_counter()
        hits = code_search(organization=org, query=query, top_k=10)
        times.append((time.perf_counter() - t) * 1000)
        if query in RECALL_QUERIES[:4]:
            print(f"    {query!r:40} -> {hits[0].chunk.qualname if hits else None}")
    times.sort()
    print(
        f"  hybrid search (API path), {len(times)} queries: p50 {times[len(times) // 2]:.0f} ms, "
        f"p95 {times[round(0.95 * (len(times) - 1))]:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--project", default="django")
    parser.add_argument("--workers", type=int, default=2, help="workers of the main cluster")
    parser.add_argument("--embedding-workers", type=int, default=2, help="workers of the background cluster")
    parser.add_argument("--every", type=float, default=30.0, help="seconds between progress lines")
    parser.add_argument("--timeout", type=float, default=7200.0)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    import django

    django.setup()
    from benchmarks._shared import drop_database

    workdir = Path(tempfile.mkdtemp(prefix="bench-csindex-"))
    try:
        run(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if not args.keep:
            drop_database()


if __name__ == "__main__":
    main()
