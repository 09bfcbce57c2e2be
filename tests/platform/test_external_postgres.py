"""``DATABASE_URL`` to a PostgreSQL server over TCP (a separate server standing in for a managed
database, an application role without superuser rights): the real migrations apply, pgvector search
answers, and the web process's pool caps its connections under a burst."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.asgi import ROOT, asgi_server, free_port
from tests.pgserver import tcp_postgres

pytestmark = [pytest.mark.slow]

_SEARCH = """
import json, random
from accounts.models import Organization
from analysis.models import Repository
from codesearch.embeddings import current_model_id
from codesearch.models import CodeChunk
from codesearch.selectors import vector_candidates
from django.db import connection

def unit(i):
    v = [0.0] * 384
    v[i] = 1.0
    return v

org = Organization.objects.create(name="Ext", slug="ext")
repo = Repository.objects.create(organization=org, name="r", clone_url="https://example.com/r.git")
ids = [
    CodeChunk.objects.create(
        organization=org, repository=repo, key=f"k{i}", path=f"m{i}.py", qualname=f"f{i}", kind="function",
        start_line=1, end_line=2, content="x", content_hash=str(i), embedding=unit(i), embedding_model=current_model_id(),
    ).pk
    for i in range(3)
]
query = unit(1)
query[2] = 0.5
with connection.cursor() as cur:
    cur.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
    version = cur.fetchone()[0]
    cur.execute("SELECT current_setting('server_version_num')::int, rolsuper FROM pg_roles WHERE rolname = current_user")
    server_version, superuser = cur.fetchone()
nearest = vector_candidates(CodeChunk.objects.filter(repository=repo), query, 2)
print(json.dumps({"order": [ids.index(i) for i in nearest], "vector": version, "server": server_version, "superuser": superuser}))
"""


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_migrations_vector_search_and_the_pool_on_an_external_server(tmp_path):
    with tcp_postgres("127.0.0.1", free_port()) as server:
        env = {k: v for k, v in os.environ.items() if k not in ("REPOTOIRE_DB_NAME", "REDIS_URL")}
        env.update(REPOTOIRE_ENV="development", DATABASE_URL=server.url(), REPOTOIRE_TEST_DB_NAME="unused")

        migrated = _manage(env, "migrate", "--noinput")
        assert migrated.returncode == 0, migrated.stderr[-3000:]
        pending = _manage(env, "migrate", "--check")
        assert pending.returncode == 0, pending.stdout[-2000:]

        searched = _manage(env, "shell", "-c", _SEARCH)
        assert searched.returncode == 0, searched.stderr[-3000:]
        result = json.loads(searched.stdout.strip().splitlines()[-1])
        assert result["order"] == [1, 2]  # nearest by cosine distance first
        assert tuple(int(p) for p in result["vector"].split(".")[:2]) >= (0, 5)
        assert result["superuser"] is False  # everything above ran as the application role

        # The web process on the external server: 40 concurrent requests share a pool of 3.
        pool_env = {"DATABASE_URL": server.url(), "REPOTOIRE_DB_NAME": server.database, "REPOTOIRE_DB_POOL_MAX_SIZE": "3"}
        peak = 0
        stop = threading.Event()

        def sample() -> None:
            nonlocal peak
            with server.connect() as conn:
                while not stop.is_set():
                    (n,) = conn.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE usename = %s AND backend_type = 'client backend'",
                        (server.app_role,),
                    ).fetchone()
                    peak = max(peak, n)
                    stop.wait(0.02)

        with asgi_server(tmp_path, **pool_env) as base:
            sampler = threading.Thread(target=sample)
            sampler.start()
            try:
                with ThreadPoolExecutor(40) as pool:
                    statuses = list(pool.map(lambda _: httpx.get(f"{base}/health/ready", timeout=60).status_code, range(40)))
            finally:
                stop.set()
                sampler.join()
        assert statuses.count(200) == 40, statuses
        # The pool's 3 plus the SSE listener the web process may hold: never one per request.
        assert 1 <= peak <= 4, peak
