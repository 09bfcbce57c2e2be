"""Findings at scale on a dedicated database of the embedded PostgreSQL. Prints figures, asserts nothing.

    .venv/bin/python -m benchmarks.findings_api_latency [--findings 100000] [--requests 30]

1. persist time of ``findings_record_run``: one run of 100,000 new findings (the seed), then on
   a second repository 10,000 new findings, and a re-run of it (9,000 seen again on moved lines,
   1,000 new, 1,000 fixed);
2. latency (p50/p95) of ``GET /api/v1/findings`` with filters, and of the summary and
   by-detector endpoints, through Django's test client (middleware, API-key auth, rate limit,
   serializers: the whole request path except the socket) on the repository holding 100,000.

The schema is built from the models (+ the search index of migration 0005) in ``REPOTOIRE_DB_NAME`` (default ``bench_findings``), which is dropped at the end.
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
DB_NAME = os.environ.setdefault("REPOTOIRE_DB_NAME", "bench_findings")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "repotoire.settings")
os.environ.setdefault("DEBUG", "false")
sys.path.insert(0, str(ROOT))

from benchmarks._shared import pct  # noqa: E402

DETECTORS = [
    ("sql-injection", "security", "high"),
    ("eval-used", "security", "critical"),
    ("hardcoded-secret", "security", "critical"),
    ("bare-except", "bug_risk", "medium"),
    ("mutable-default-argument", "bug_risk", "medium"),
    ("high-cyclomatic-complexity", "complexity", "medium"),
    ("long-function", "complexity", "low"),
    ("god-class", "design", "high"),
    ("magic-number", "design", "low"),
    ("unused-import", "dead_code", "low"),
    ("duplicate-code", "duplication", "medium"),
    ("missing-docstring", "documentation", "info"),
    ("todo-comment", "documentation", "info"),
    ("query-in-loop", "performance", "medium"),
    ("import-cycle", "architecture", "high"),
]
WORDS = "user order payment invoice session token cache request parser handler report export queue retry".split()


def make_findings(n: int, *, seed: int, prefix: str = "") -> list:
    from analysis.engine.model import Finding, compute_fingerprint

    rnd = random.Random(seed)
    out = []
    for i in range(n):
        detector, category, severity = DETECTORS[i % len(DETECTORS)]
        path = f"{prefix}src/pkg{i % 40}/module_{i % 2500}.py"
        symbol = f"pkg{i % 40}.module_{i % 2500}.func_{i}"
        code = f"{detector}({i})"
        word = rnd.choice(WORDS)
        out.append(
            Finding(
                detector=detector,
                category=category,
                severity=severity,
                title=f"{detector.replace('-', ' ')} in {word} handling",
                message=f"The {word} code path in {symbol} triggers {detector} (case {i}).",
                path=path,
                line=rnd.randint(1, 900),
                end_line=0,
                symbol=symbol,
                snippet=code,
                metadata={"n": i},
                fingerprint=compute_fingerprint(detector, path, symbol, code),
            )
        )
    return out


def result_of(findings: list):
    from analysis.engine.facts import AnalysisResult, HealthScore

    return AnalysisResult(
        root="/bench",
        commit=None,
        files_analyzed=2500,
        lines_analyzed=500_000,
        findings=findings,
        score=HealthScore(overall=50, grade="C"),
        files={},
    )


def build_schema() -> None:
    """The shared schema from the models, plus the raw-SQL search index of migration 0005."""
    import importlib

    from django.db import connection

    from benchmarks._shared import build_schema as build_model_schema

    build_model_schema()
    search_index = importlib.import_module("findings.migrations.0005_search_index")
    with connection.cursor() as cursor:
        for operation in search_index.Migration.operations:
            cursor.execute(operation.sql)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--findings", type=int, default=100_000)
    parser.add_argument("--persist", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    import django

    django.setup()
    from benchmarks._shared import drop_database

    try:
        run_benchmark(args)
    finally:
        if not args.keep:
            drop_database()


def run_benchmark(args: argparse.Namespace) -> None:
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from accounts.models import Organization
    from accounts.services import apikey_create, service_user_for
    from analysis.models import AnalysisRun, Repository
    from findings.models import Finding, FindingOccurrence
    from findings.services import findings_record_run

    print(f"load average at start: {', '.join(f'{v:.1f}' for v in os.getloadavg())} on {os.cpu_count()} CPUs")
    t0 = time.perf_counter()
    build_schema()
    print(f"schema: {time.perf_counter() - t0:.1f} s")

    org = Organization.objects.create(name="Bench", slug="bench", plan="enterprise")
    user = service_user_for(org)
    _, key = apikey_create(organization=org, created_by=user, name="bench", role="owner")

    def completed_run(repo: Repository) -> AnalysisRun:
        now = timezone.now()
        return AnalysisRun.objects.create(organization=org, repository=repo, status="completed", started_at=now, finished_at=now)

    big = Repository.objects.create(organization=org, name="big", clone_url="https://example.test/big.git")
    run0 = completed_run(big)
    findings_record_run(run=run0, result=result_of([]))
    seed = make_findings(args.findings, seed=1)
    run1 = completed_run(big)
    t = time.perf_counter()
    counts = findings_record_run(run=run1, result=result_of(seed))
    print(f"persist {args.findings:,} new findings (one run): {time.perf_counter() - t:.2f} s  {counts['new']:,} new")

    small = Repository.objects.create(organization=org, name="small", clone_url="https://example.test/small.git")
    first = make_findings(args.persist, seed=2, prefix="s/")
    older_run = completed_run(small)
    t = time.perf_counter()
    counts = findings_record_run(run=older_run, result=result_of(first))
    print(f"persist {args.persist:,} new findings: {time.perf_counter() - t:.2f} s  {counts}")
    drop = args.persist // 10
    # Same identities on other lines (another seed), the first tenth gone, a tenth new.
    second = make_findings(args.persist, seed=3, prefix="s/")[drop:] + make_findings(drop, seed=4, prefix="new/")
    t = time.perf_counter()
    counts = findings_record_run(run=completed_run(small), result=result_of(second))
    print(
        f"persist {args.persist:,} findings, re-run ({args.persist - drop:,} seen again, {drop:,} new, "
        f"{drop:,} fixed): {time.perf_counter() - t:.2f} s  {counts}"
    )

    # Steady state of a live table (autovacuum keeps the visibility map set, so counts are index-only).
    with connection.cursor() as cursor:
        for table in ("findings_finding", "findings_findingoccurrence", "analysis_analysisrun"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    print(
        f"rows: {Finding.objects.count():,} findings, {FindingOccurrence.objects.count():,} occurrences; "
        f"big repository: {Finding.objects.filter(repository=big).count():,}"
    )

    client = Client(HTTP_X_API_KEY=key)
    base = {"repository_id": str(big.id)}
    deep_page = max(1, min(400, args.findings // 40))
    scenarios: list[tuple[str, str, dict]] = [
        ("baseline: GET /api/v1/me (auth + rate limit)", "/api/v1/me", {}),
        ("list default (latest run), page 20", "/api/v1/findings", {}),
        ("list repository, page_size 100", "/api/v1/findings", {**base, "page_size": 100}),
        ("severity=critical&high", "/api/v1/findings", {**base, "severity": ["critical", "high"]}),
        ("status=open, ordering=file", "/api/v1/findings", {**base, "status": "open", "ordering": "file"}),
        ("detector + ordering=-created", "/api/v1/findings", {**base, "detector": "god-class", "ordering": "-created"}),
        ("category + severity", "/api/v1/findings", {**base, "category": "bug_risk", "severity": "medium"}),
        ("path prefix", "/api/v1/findings", {**base, "path": "src/pkg7/module_1"}),
        ("search (title/message words)", "/api/v1/findings", {**base, "search": "invoice code path"}),
        ("search, rare word prefix", "/api/v1/findings", {**base, "search": "case 4242"}),
        ("analysis_id (run lines)", "/api/v1/findings", {"analysis_id": str(run1.id)}),
        (
            "analysis_id + severity + file order",
            "/api/v1/findings",
            {"analysis_id": str(run1.id), "severity": "high", "ordering": "file"},
        ),
        ("new_since", "/api/v1/findings", {**base, "new_since": str(run0.id)}),
        (f"analysis_id of an older run ({args.persist:,})", "/api/v1/findings", {"analysis_id": str(older_run.id)}),
        (f"deep page (page {deep_page} of 20)", "/api/v1/findings", {**base, "page": deep_page}),
        ("summary (latest runs)", "/api/v1/findings/summary", {}),
        ("summary (analysis_id)", "/api/v1/findings/summary", {"analysis_id": str(run1.id)}),
        ("by-detector", "/api/v1/findings/by-detector", {}),
    ]
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"\nGET latency over {args.requests} requests each (after 3 warm-up), test client, {args.findings:,} findings:")
    print(f"(load average {load} on {os.cpu_count()} CPUs: the figures scale with it)")
    print(f"{'scenario':46s} {'count':>8s} {'p50':>9s} {'p95':>9s} {'mean':>9s}")
    for name, url, params in scenarios:
        for _ in range(3):
            response = client.get(url, params)
            assert response.status_code == 200, (name, response.status_code, response.content[:300])
        times = []
        for _ in range(args.requests):
            t = time.perf_counter()
            response = client.get(url, params)
            times.append(time.perf_counter() - t)
        body = response.json()
        count = len(body) if isinstance(body, list) else body.get("count", body.get("total", ""))
        print(
            f"{name:46s} {count!s:>8s} {pct(times, 0.5) * 1000:8.1f}ms {pct(times, 0.95) * 1000:8.1f}ms "
            f"{statistics.mean(times) * 1000:8.1f}ms"
        )


if __name__ == "__main__":
    main()
