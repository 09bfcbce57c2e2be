"""The Redis path (``REDIS_URL``): the web process and the worker use Redis as the django-q2 broker
and as the cache (rate-limit counters); an analysis goes trigger → SSE → findings through it."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest
import redis
from django_q.models import OrmQ

from tests.analysis.test_progress_sse import follow_an_analysis_end_to_end
from tests.asgi import ROOT

pytestmark = [pytest.mark.slow]


def test_an_analysis_runs_end_to_end_over_the_redis_broker_and_cache(
    redis_url, worker_env, qcluster, asgi_server, member, org, sample_repo
):
    run_id = follow_an_analysis_end_to_end(asgi_server, member, org, sample_repo)

    findings = httpx.get(f"{asgi_server}/api/v1/findings", params={"analysis_id": run_id}, headers={"X-API-Key": member.key})
    assert findings.status_code == 200
    assert findings.json()["count"] == 3
    # The processes started with this environment use the Redis broker, and nothing went through
    # the ORM broker; the rate-limit counters live in Redis.
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django_q.brokers import get_broker; print(type(get_broker()).__name__)",
        ],
        cwd=ROOT,
        env={**os.environ, "REPOTOIRE_ENV": "test"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.stdout.strip().splitlines()[-1] == "Redis", probe.stderr[-2000:]
    assert not OrmQ.objects.exists()
    keys = redis.Redis.from_url(redis_url).keys("*")
    assert any(b":rl:" in key for key in keys), keys
