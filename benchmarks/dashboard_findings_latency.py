"""Latency of the dashboard's findings page on a repository with 100,000 findings. Prints figures,
asserts nothing.

    .venv/bin/python -m benchmarks.dashboard_findings_latency [--findings 100000] [--requests 40]

The data is made as in benchmarks/findings_api_latency.py (same generator, one run recording
100,000 findings through ``findings_record_run``); the requests go through Django's test client
signed in as an owner (sessions, CSRF, the dashboard's tenancy, the template): the whole request
path except the socket. The schema is built from the models in ``REPOTOIRE_DB_NAME`` (default
``bench_dashboard``), which is dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("REPOTOIRE_DB_NAME", "bench_dashboard")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "repotoire.settings")
os.environ.setdefault("DEBUG", "false")
# Pages are rendered without `make static` having run (a fresh clone): plain static URLs.
os.environ.setdefault("REPOTOIRE_STATIC_MANIFEST", "false")
sys.path.insert(0, str(ROOT))

from benchmarks._shared import pct  # noqa: E402
from benchmarks.findings_api_latency import build_schema, make_findings, result_of  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--findings", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=40)
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

    from accounts.models import Organization, User
    from accounts.services import membership_ensure
    from analysis.models import AnalysisRun, Repository
    from findings.services import findings_record_run

    print(f"load average at start: {', '.join(f'{v:.1f}' for v in os.getloadavg())} on {os.cpu_count()} CPUs")
    build_schema()
    org = Organization.objects.create(name="Bench", slug="bench", plan="enterprise")
    user = User.objects.create_user(username="bench@example.test", email="bench@example.test", password="x")
    membership_ensure(organization=org, user=user, role="owner")
    repo = Repository.objects.create(organization=org, name="big", clone_url="https://example.test/big.git")
    now = timezone.now()
    run0 = AnalysisRun.objects.create(organization=org, repository=repo, status="completed", started_at=now, finished_at=now)
    findings_record_run(run=run0, result=result_of([]))
    run1 = AnalysisRun.objects.create(organization=org, repository=repo, status="completed", started_at=now, finished_at=now)
    t = time.perf_counter()
    findings_record_run(run=run1, result=result_of(make_findings(args.findings, seed=1)))
    print(f"recorded {args.findings:,} findings in {time.perf_counter() - t:.1f} s")
    with connection.cursor() as cursor:
        for table in ("findings_finding", "findings_findingoccurrence", "analysis_analysisrun"):
            cursor.execute(f"VACUUM ANALYZE {table}")

    client = Client()
    client.force_login(user)
    rid = str(repo.id)
    deep = max(1, min(400, args.findings // 25 // 2))
    scenarios: list[tuple[str, dict]] = [
        ("default (25 per page, severity order)", {}),
        ("repository, 100 per page", {"repository_id": rid, "page_size": 100}),
        ("severity critical+high", {"repository_id": rid, "severity": ["critical", "high"]}),
        ("status open, file order", {"repository_id": rid, "status": "open", "ordering": "file"}),
        ("detector, newest first", {"repository_id": rid, "detector": "god-class", "ordering": "-created"}),
        ("category + severity", {"repository_id": rid, "category": "bug_risk", "severity": "medium"}),
        ("path prefix", {"repository_id": rid, "path": "src/pkg7/module_1"}),
        ("search words", {"repository_id": rid, "search": "invoice code path"}),
        ("one run's findings (its lines)", {"analysis_id": str(run1.id)}),
        ("new since a run", {"repository_id": rid, "new_since": str(run0.id)}),
        (f"deep page {deep}", {"repository_id": rid, "page": deep}),
        ("htmx partial (filter change)", {"repository_id": rid, "severity": "high", "_htmx": True}),
    ]
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"\nGET /app/findings/ over {args.requests} requests each (after 3 warm-up), {args.findings:,} findings")
    print(f"(load average {load} on {os.cpu_count()} CPUs: the figures scale with it)")
    print(f"{'scenario':40s} {'p50':>9s} {'p95':>9s} {'mean':>9s}")
    every: list[float] = []
    for name, params in scenarios:
        params = dict(params)
        headers = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "findings-results"} if params.pop("_htmx", False) else {}
        for _ in range(3):
            response = client.get("/app/findings/", params, **headers)
            assert response.status_code == 200, (name, response.status_code, response.content[:300])
        times = []
        for _ in range(args.requests):
            t = time.perf_counter()
            client.get("/app/findings/", params, **headers)
            times.append(time.perf_counter() - t)
        every += times
        print(
            f"{name:40s} {pct(times, 0.5) * 1000:8.1f}ms {pct(times, 0.95) * 1000:8.1f}ms {statistics.mean(times) * 1000:8.1f}ms"
        )
    print(f"{'all scenarios':40s} {pct(every, 0.5) * 1000:8.1f}ms {pct(every, 0.95) * 1000:8.1f}ms")
    print(f"load average at end: {', '.join(f'{v:.1f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
