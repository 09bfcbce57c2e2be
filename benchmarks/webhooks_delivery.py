"""Customer webhooks on the real stack (embedded PostgreSQL, django-q2 ORM broker, a receiver on
127.0.0.1). Prints figures, asserts nothing.

    .venv/bin/python -m benchmarks.webhooks_delivery [--events 300]

1. ``webhook_emit`` cost: no endpoints (queries, time), 1 and 10 subscribed endpoints (rows +
   on-commit enqueue into the ORM broker);
2. one delivery attempt end to end (vet + resolve, sign, POST, record attempt): latency p50/p95
   and sequential attempts per second;
3. signing cost for a small and a capped ``finding.new`` body.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = os.environ.setdefault("REPOTOIRE_DB_NAME", "repotoire_bench_webhooks")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "repotoire.settings")
os.environ.setdefault("REPOTOIRE_WEBHOOK_ALLOWED_HOSTS", "127.0.0.1/32")
sys.path.insert(0, str(ROOT))

from benchmarks._shared import pct  # noqa: E402


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        return


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=300)
    args = parser.parse_args()

    import logging

    import django

    django.setup()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("repotoire.webhooks").setLevel(logging.ERROR)
    logging.getLogger("django-q").setLevel(logging.WARNING)
    import uuid

    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from tests.factories import OrganizationFactory as _OrganizationFactory

    def OrganizationFactory(**kwargs):  # noqa: N802 - unique slugs across repeated runs
        return _OrganizationFactory(slug=f"bench-{uuid.uuid4().hex[:12]}", **kwargs)

    from webhooks import services, signing
    from webhooks.models import WebhookDelivery

    print(f"database {DB_NAME}: migrating …", flush=True)
    call_command("migrate", verbosity=0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"

    quiet = OrganizationFactory(plan="pro")
    with CaptureQueriesContext(connection) as ctx:
        services.webhook_emit(organization=quiet, event_type=services.ANALYSIS_COMPLETED, data={})
    t = time.perf_counter()
    for _ in range(args.events):
        services.webhook_emit(organization=quiet, event_type=services.ANALYSIS_COMPLETED, data={})
    per = (time.perf_counter() - t) / args.events
    print(f"emit, no endpoints:        {len(ctx.captured_queries)} query, {per * 1e6:.0f} µs per event")

    for n in (1, 10):
        org = OrganizationFactory(plan="pro")
        for i in range(n):
            services.webhook_endpoint_create(
                organization=org, created_by=None, name=f"e{i}", url=url, events=[services.ANALYSIS_COMPLETED]
            )
        t = time.perf_counter()
        for _ in range(args.events // n or 1):
            with transaction.atomic():
                services.webhook_emit(organization=org, event_type=services.ANALYSIS_COMPLETED, data={"analysis_id": "x"})
        per = (time.perf_counter() - t) / (args.events // n or 1)
        print(f"emit, {n:2d} endpoint(s):      {per * 1e3:.2f} ms per event (rows + enqueue on commit)")

    org = OrganizationFactory(plan="pro")
    services.webhook_endpoint_create(organization=org, created_by=None, name="d", url=url, events=[services.ANALYSIS_COMPLETED])
    ids = [
        services.webhook_emit(organization=org, event_type=services.ANALYSIS_COMPLETED, data={"n": i})[0]
        for i in range(args.events)
    ]
    latencies = []
    t = time.perf_counter()
    for delivery_id in ids:
        s = time.perf_counter()
        services.delivery_attempt(delivery_id=delivery_id)
        latencies.append(time.perf_counter() - s)
    total = time.perf_counter() - t
    ok = WebhookDelivery.objects.filter(pk__in=ids, status="succeeded").count()
    print(
        f"delivery attempt:          p50 {pct(latencies, 0.5) * 1e3:.1f} ms, p95 {pct(latencies, 0.95) * 1e3:.1f} ms, "
        f"{len(ids) / total:.0f} attempts/s sequential ({ok}/{len(ids)} succeeded)"
    )

    small = b'{"id":"x","type":"analysis.completed","data":{"analysis_id":"x"}}'
    big = b"x" * 40_000  # about a capped finding.new batch of 100 findings
    for label, body in (("small body", small), ("40 KB body", big)):
        t = time.perf_counter()
        for _ in range(10_000):
            signing.signature_header(["whsec_a", "whsec_b"], 1700000000, body)
        print(f"sign ({label}, 2 secrets): {(time.perf_counter() - t) / 10_000 * 1e6:.1f} µs")

    from django_q.models import OrmQ

    OrmQ.objects.all().delete()  # the benchmark's queued tasks: nothing should run them later
    server.shutdown()


if __name__ == "__main__":
    main()
