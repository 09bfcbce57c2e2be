"""The web process's connection pool (repotoire/asgi.py turns it on): under uvicorn every
concurrent request runs in its own thread, so without a cap a burst opens one PostgreSQL
connection per request until the server refuses. With the pool a burst shares at most
REPOTOIRE_DB_POOL_MAX_SIZE connections, and a request that cannot get one in time is a 503
DATABASE_BUSY with Retry-After (never a 500)."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import psycopg
import pytest
from django.db import connection

from tests.asgi import asgi_server

pytestmark = pytest.mark.django_db(transaction=True)


def _server_connections(params: dict, own_pid: int, stop: threading.Event, seen: list[int]) -> None:
    """Sample how many client connections other than ours are open on the test database."""
    with psycopg.connect(host=params["host"], user=params["user"], dbname=params["dbname"], autocommit=True) as conn:
        while not stop.is_set():
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND backend_type = 'client backend' AND pid <> pg_backend_pid() AND pid <> %s",
                [own_pid],
            ).fetchone()
            seen.append(row[0])
            time.sleep(0.01)


async def _burst(base: str, key: str, n: int) -> list[httpx.Response]:
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=n)) as client:
        return await asyncio.gather(*(client.get(f"{base}/api/v1/me", headers={"X-API-Key": key}) for _ in range(n)))


def _burst_with_sampling(base: str, key: str, n: int) -> tuple[list[httpx.Response], int]:
    connection.ensure_connection()
    params, own_pid = connection.get_connection_params(), connection.connection.info.backend_pid
    stop, seen = threading.Event(), []
    sampler = threading.Thread(target=_server_connections, args=(params, own_pid, stop, seen))
    sampler.start()
    try:
        responses = asyncio.run(_burst(base, key, n))
    finally:
        stop.set()
        sampler.join()
    return responses, max(seen)


def test_a_burst_of_requests_shares_the_pools_connections(tmp_path, member):
    with asgi_server(tmp_path, REPOTOIRE_DB_POOL_MAX_SIZE="3") as base:
        responses, peak = _burst_with_sampling(base, member.key, 40)
    assert [r.status_code for r in responses] == [200] * 40
    assert {r.json()["organization"]["slug"] for r in responses} == {"acme"}
    assert 1 <= peak <= 3


def test_without_the_pool_the_same_burst_opens_more_connections(tmp_path, member):
    """The counterpart that shows the sampling above can see more than the pool's size."""
    with asgi_server(tmp_path, REPOTOIRE_DB_POOL="false") as base:
        responses, peak = _burst_with_sampling(base, member.key, 40)
    assert [r.status_code for r in responses] == [200] * 40
    assert peak > 3


def test_a_request_that_gets_no_connection_in_time_is_a_503_with_retry_after(tmp_path, member):
    params = connection.get_connection_params()
    with asgi_server(tmp_path, REPOTOIRE_DB_POOL_MAX_SIZE="1", REPOTOIRE_DB_POOL_TIMEOUT="0.5") as base:
        with httpx.Client(base_url=base, headers={"X-API-Key": member.key}, timeout=30) as client:
            # The only pooled connection blocks on a table lock the test holds ...
            with (
                psycopg.connect(host=params["host"], user=params["user"], dbname=params["dbname"]) as locker,
                psycopg.connect(host=params["host"], user=params["user"], dbname=params["dbname"], autocommit=True) as watcher,
            ):
                locker.execute("LOCK TABLE accounts_apikey IN ACCESS EXCLUSIVE MODE")
                blocked: dict[str, httpx.Response] = {}
                first = threading.Thread(target=lambda: blocked.setdefault("r", client.get("/api/v1/me")))
                first.start()
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline:
                    # (pg_stat_activity is a snapshot per transaction: ask outside the locker's)
                    waiting = watcher.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    ).fetchone()[0]
                    if waiting:
                        break
                    time.sleep(0.05)
                assert waiting == 1
                # ... so the next request waits 0.5 s for a connection and is told to retry.
                busy = client.get("/api/v1/me")
                locker.rollback()
            first.join(30)
    assert busy.status_code == 503
    assert busy.headers["Retry-After"] == "5"
    body = busy.json()
    assert body["error_code"] == "DATABASE_BUSY"
    assert body["retry_after"] == 5
    assert "Traceback" not in busy.text
    # The blocked request finished normally once the lock went.
    assert blocked["r"].status_code == 200
