"""Liveness (no database) and readiness (database, cache, queue broker)."""

from __future__ import annotations

import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from repotoire.api.exceptions import envelope


@require_GET
def liveness(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    with connection.cursor() as cur:
        cur.execute("SELECT 1")


def _check_cache() -> None:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, 1, 10)
    if cache.get(key) != 1:
        raise RuntimeError("cache did not return what was stored")
    cache.delete(key)


def _check_queue() -> None:
    from django_q.brokers import get_broker

    if get_broker().ping() is False:
        raise RuntimeError("broker did not answer")


@require_GET
def readiness(request: HttpRequest) -> JsonResponse:
    checks: dict[str, dict[str, object]] = {}
    for name, check in (("database", _check_database), ("cache", _check_cache), ("queue", _check_queue)):
        if name != "database" and not settings.REDIS_URL and checks["database"]["status"] != "ok":
            # Without Redis the cache and the broker live in the database: asking them again
            # would only wait out the connect timeout twice more.
            checks[name] = {"status": "error", "error": "DatabaseUnavailable"}
            continue
        started = time.perf_counter()
        try:
            # A savepoint each, so one failed check cannot poison the others' connection state.
            with transaction.atomic():
                check()
            checks[name] = {"status": "ok", "ms": round((time.perf_counter() - started) * 1000, 1)}
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
            checks[name] = {"status": "error", "error": exc.__class__.__name__}
    failed = [name for name, c in checks.items() if c["status"] != "ok"]
    if failed:
        body = envelope(503, f"Not ready: {', '.join(failed)} unavailable")
        body["checks"] = checks
        return JsonResponse(body, status=503)
    return JsonResponse({"status": "ok", "checks": checks})
