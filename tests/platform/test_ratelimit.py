"""Rate limits per organisation and plan, exact across processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection

from repotoire.api.exceptions import RateLimitExceeded
from repotoire.api.ratelimit import check_analysis_rate, consume

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
@pytest.mark.parametrize(("plan", "limit"), [("free", 60), ("pro", 300)])
def test_limit_plus_one_gives_exactly_one_429(org, owner, plan, limit):
    org.plan = plan
    org.save()
    statuses = []
    remaining = []
    for _ in range(limit + 1):
        response = owner.client.get("/api/v1/me")
        statuses.append(response.status_code)
        remaining.append(int(response["X-RateLimit-Remaining"]))
        assert response["X-RateLimit-Limit"] == str(limit)
    assert statuses.count(429) == 1 and statuses[-1] == 429
    assert remaining[0] == limit - 1 and remaining[-2] == 0 and remaining[-1] == 0
    reset = int(response["X-RateLimit-Reset"])
    import repotoire.api.ratelimit as ratelimit_module

    now = ratelimit_module.time.time()  # the (frozen) clock the limiter reads
    assert now < reset <= now + 61
    assert int(response["Retry-After"]) >= 1


@pytest.mark.django_db
def test_limits_are_per_organisation(org, owner, outsider):
    org.plan = "free"
    org.save()
    for _ in range(61):
        owner.client.get("/api/v1/me")
    assert owner.client.get("/api/v1/me").status_code == 429
    assert outsider.client.get("/api/v1/me").status_code == 200


@pytest.mark.django_db
def test_unauthenticated_requests_carry_no_rate_headers(anon):
    response = anon.get("/api/v1/me")
    assert "X-RateLimit-Limit" not in response


@pytest.mark.django_db
def test_analysis_rate_follows_the_plan(org):
    org.plan = "free"
    org.save()
    check_analysis_rate(org)
    check_analysis_rate(org)
    with pytest.raises(RateLimitExceeded) as excinfo:
        check_analysis_rate(org)
    assert excinfo.value.retry_after >= 1
    org.plan = "enterprise"
    org.save()
    for _ in range(50):
        check_analysis_rate(org)  # unlimited


_WORKER = """
import os, sys
import django
django.setup()
from repotoire.api.ratelimit import consume
n = int(sys.argv[1])
over = 0
for _ in range(n):
    if consume(bucket="proc-test", key="shared", limit=150, period_seconds=10**8).exceeded:
        over += 1
print(over)
"""


@pytest.mark.django_db(transaction=True)
def test_counters_are_exact_across_processes():
    cache.clear()
    env = {
        **os.environ,
        "REPOTOIRE_ENV": "test",
        "REPOTOIRE_DB_NAME": connection.settings_dict["NAME"],
        "DJANGO_SETTINGS_MODULE": "repotoire.settings",
    }
    procs = [
        subprocess.Popen([sys.executable, "-c", _WORKER, "100"], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    over = sum(int(o.strip().splitlines()[-1]) for o in outputs)
    # 200 requests against a limit of 150: exactly 50 refused, and the counter saw every one.
    assert over == 50
    final = consume(bucket="proc-test", key="shared", limit=150, period_seconds=10**8, increment=False)
    assert final.count == 200
    cache.clear()
