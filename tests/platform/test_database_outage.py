"""A database that does not answer: ``/health/ready`` is a 503 at once and API calls a 503
DATABASE_UNAVAILABLE within the connect timeout (REPOTOIRE_DB_CONNECT_TIMEOUT), pool or no pool,
instead of hanging for the pool's timeout and then claiming the database is busy.

The outage is a listening socket that never accepts: the TCP handshake completes (the kernel
queues the connection) and then nothing ever answers, the worst case for a client."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from tests.asgi import asgi_server

# The client gives up well before the old behaviour answered (20-30 s): a hang fails the test.
CLIENT_TIMEOUT = 12


@contextmanager
def black_hole() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        yield s.getsockname()[1]


async def _burst(base: str, n: int) -> list[httpx.Response]:
    async with httpx.AsyncClient(timeout=CLIENT_TIMEOUT) as client:
        return await asyncio.gather(
            *(client.get(f"{base}/api/v1/me", headers={"X-API-Key": "rpt_0000_unknown"}) for _ in range(n))
        )


@pytest.mark.parametrize("pool", ["true", "false"])
def test_unreachable_database_is_a_fast_503(tmp_path, pool):
    with black_hole() as port:
        env = {
            "DATABASE_URL": f"postgres://repotoire@127.0.0.1:{port}/repotoire",
            "REPOTOIRE_DB_POOL": pool,
            "REPOTOIRE_DB_CONNECT_TIMEOUT": "2",
        }
        with asgi_server(tmp_path, **env) as base:
            ready = httpx.get(f"{base}/health/ready", timeout=CLIENT_TIMEOUT)
            assert ready.status_code == 503
            body = ready.json()
            assert body["error_code"] == "SERVICE_UNAVAILABLE" and body["checks"]["database"]["status"] == "error"

            me = httpx.get(f"{base}/api/v1/me", headers={"X-API-Key": "rpt_0000_unknown"}, timeout=CLIENT_TIMEOUT)
            assert me.status_code == 503, me.text
            assert me.json()["error_code"] == "DATABASE_UNAVAILABLE" and int(me.headers["Retry-After"]) > 0

            # A burst shares one verdict rather than queueing behind one another's attempts.
            responses = asyncio.run(_burst(base, 8))
            assert {r.status_code for r in responses} == {503}
            assert {r.json()["error_code"] for r in responses} == {"DATABASE_UNAVAILABLE"}
