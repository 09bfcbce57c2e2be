"""Rate-limit counters in Redis (``REDIS_URL``) are exact across processes, like the PostgreSQL ones."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.db import connection

from tests.platform.test_ratelimit import _WORKER, ROOT

_COUNT = """
import django
django.setup()
from django.conf import settings
from repotoire.api.ratelimit import consume
assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache"), settings.CACHES
print(consume(bucket="proc-test", key="shared", limit=150, period_seconds=10**8, increment=False).count)
"""


@pytest.mark.django_db(transaction=True)
def test_redis_counters_are_exact_across_processes(redis_url):
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
    # 200 requests against a limit of 150: exactly 50 refused, and the counter saw every one.
    assert sum(int(o.strip().splitlines()[-1]) for o in outputs) == 50
    count = subprocess.run([sys.executable, "-c", _COUNT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert count.returncode == 0, count.stderr[-2000:]
    assert int(count.stdout.strip().splitlines()[-1]) == 200
