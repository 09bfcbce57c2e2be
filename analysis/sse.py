"""Server-Sent Events for analysis progress, fed by PostgreSQL LISTEN/NOTIFY.

Workers ``pg_notify('analysis_progress', <json>)`` whenever a run's progress or status changes
(see ``services._notify``). Each web process keeps one ``ProgressHub`` per event loop: a single
psycopg async connection that LISTENs and fans payloads out to the streams of every connected
client, plus one connection for the few state reads the streams make (on connect and at each
heartbeat, a safety net for a notification lost while the listener reconnected). No client
holds a Django database connection or a thread while it waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import weakref
from collections.abc import AsyncIterator
from typing import Any

import psycopg
from django.db import connections
from django.utils import timezone

from analysis.models import TERMINAL_STATUSES, AnalysisRun
from repotoire import shutdown

logger = logging.getLogger("repotoire.analysis.sse")

CHANNEL = "analysis_progress"
_TERMINAL = {str(s) for s in TERMINAL_STATUSES}
_REFRESH: dict[str, Any] = {"_refresh": True}
_STOP: dict[str, Any] = {"_stop": True}
# The last bytes of a stream ended because the server is stopping: a clean end of the response
# (not a cut connection, which clients report as a protocol error), and EventSource reconnects
# after ``retry`` milliseconds, to this process's successor or another web process.
STOPPING_BYTES = b"retry: 1000\n: server stopping; reconnect\n\n"
_LIBPQ_KEYS = {
    "dbname",
    "user",
    "password",
    "host",
    "port",
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "options",
    "application_name",
    "connect_timeout",
    "service",
    "passfile",
    "target_session_attrs",
    "client_encoding",
}
_STATE_SQL = f"SELECT id::text, status, progress_percent, stage, message FROM {AnalysisRun._meta.db_table} WHERE id = %s"  # noqa: S608 - table name from the model


def _conninfo() -> dict[str, Any]:
    params = connections["default"].get_connection_params()
    return {k: v for k, v in params.items() if k in _LIBPQ_KEYS and v not in (None, "")}


def event_bytes(data: dict[str, Any]) -> bytes:
    return f"event: progress\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


class ProgressHub:
    """One LISTEN connection per event loop, fanning notifications out to per-client queues."""

    def __init__(self) -> None:
        self.subscribers: dict[str, set[asyncio.Queue[dict[str, Any]]]] = {}
        self.task: asyncio.Task[None] | None = None
        self.ready: asyncio.Future[None] | None = None
        self.query_conn: psycopg.AsyncConnection[Any] | None = None
        self.query_lock = asyncio.Lock()
        self.params = _conninfo()
        self.notifications = 0

    @property
    def listeners(self) -> int:
        return sum(len(queues) for queues in self.subscribers.values())

    async def subscribe(self, run_id: str) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=64)
        self.subscribers.setdefault(run_id, set()).add(queue)
        try:
            if self.task is None or self.task.done():
                self.ready = asyncio.get_running_loop().create_future()
                self.task = asyncio.create_task(self._listen(self.ready), name="analysis-progress-listener")
            assert self.ready is not None
            await asyncio.shield(self.ready)
        except BaseException:
            await self.unsubscribe(run_id, queue)
            raise
        return queue

    async def unsubscribe(self, run_id: str, queue: asyncio.Queue[dict[str, Any]]) -> None:
        queues = self.subscribers.get(run_id)
        if queues is not None:
            queues.discard(queue)
            if not queues:
                del self.subscribers[run_id]
        if not self.subscribers:
            await self.stop()

    async def stop(self) -> None:
        task, self.task = self.task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        conn, self.query_conn = self.query_conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()

    async def state(self, run_id: str) -> dict[str, Any] | None:
        """The run's current progress payload, read on the hub's own connection."""
        async with self.query_lock:
            for attempt in range(2):
                try:
                    if self.query_conn is None or self.query_conn.closed:
                        self.query_conn = await psycopg.AsyncConnection.connect(**self.params, autocommit=True)
                    cur = await self.query_conn.execute(_STATE_SQL, [run_id])
                    row = await cur.fetchone()
                    break
                except psycopg.OperationalError:
                    self.query_conn = None
                    if attempt:
                        raise
        if row is None:
            return None
        return {
            "analysis_id": row[0],
            "status": row[1],
            "progress_percent": row[2],
            "stage": row[3],
            "message": row[4],
            "timestamp": timezone.now().isoformat(),
        }

    def end_streams(self) -> None:
        """End every stream of this hub (the process is stopping): each sends STOPPING_BYTES."""
        for queues in list(self.subscribers.values()):
            for queue in list(queues):
                _put_latest(queue, _STOP)

    def _dispatch(self, payload: str) -> None:
        try:
            data = json.loads(payload)
        except ValueError:
            return
        self.notifications += 1
        for queue in list(self.subscribers.get(str(data.get("analysis_id")), ())):
            _put_latest(queue, data)

    async def _listen(self, ready: asyncio.Future[None]) -> None:
        backoff = 0.5
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(**self.params, autocommit=True)
                async with conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    if not ready.done():
                        ready.set_result(None)
                    else:
                        # Reconnected: anything sent meanwhile is lost, so every stream re-reads.
                        for queues in self.subscribers.values():
                            for queue in queues:
                                _put_latest(queue, _REFRESH)
                    backoff = 0.5
                    async for notify in conn.notifies():
                        self._dispatch(notify.payload)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the listener must survive database restarts
                if not ready.done():
                    ready.set_exception(exc)
                    return
                logger.warning("Progress listener lost its connection (%s); reconnecting", exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)


def _put_latest(queue: asyncio.Queue[dict[str, Any]], data: dict[str, Any]) -> None:
    """Enqueue without blocking; a client too slow to keep up loses its oldest events (the
    newest, which may be the terminal one, always gets in)."""
    while True:
        try:
            queue.put_nowait(data)
            return
        except asyncio.QueueFull:
            with contextlib.suppress(asyncio.QueueEmpty):
                queue.get_nowait()


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ProgressHub] = weakref.WeakKeyDictionary()


def _end_all_streams() -> None:
    """Called from the signal handler (repotoire.shutdown): each hub ends its streams on its loop."""
    for loop, hub in list(_hubs.items()):
        if not loop.is_closed():
            loop.call_soon_threadsafe(hub.end_streams)


shutdown.on_stop(_end_all_streams)


def get_hub() -> ProgressHub:
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        hub = _hubs[loop] = ProgressHub()
    return hub


def _changed(a: dict[str, Any] | None, b: dict[str, Any]) -> bool:
    keys = ("status", "progress_percent", "stage", "message")
    return a is None or any(a.get(k) != b.get(k) for k in keys)


async def progress_stream(run_id: str, *, heartbeat: float) -> AsyncIterator[bytes]:
    """The SSE stream of one run: its current state at once, every change after, a comment
    every ``heartbeat`` seconds, and the terminal event, after which it ends."""
    if shutdown.stopping.is_set():
        yield STOPPING_BYTES
        return
    hub = get_hub()
    # Subscribe before reading the state so that no change falls between the two.
    try:
        queue = await hub.subscribe(run_id)
    except Exception:  # noqa: BLE001 - the client's EventSource reconnects after `retry`
        logger.exception("Progress listener unavailable")
        yield b"retry: 3000\n: progress temporarily unavailable\n\n"
        return
    try:
        state = await hub.state(run_id)
        if state is None:
            return
        yield b"retry: 3000\n\n" + event_bytes(state)
        if state["status"] in _TERMINAL:
            return
        last = state
        while True:
            try:
                data = await asyncio.wait_for(queue.get(), timeout=heartbeat)
            except TimeoutError:
                yield f": heartbeat {timezone.now().isoformat()}\n\n".encode()
                data = _REFRESH
            if data is _STOP:
                yield STOPPING_BYTES
                return
            if data is _REFRESH:
                fresh = await hub.state(run_id)
                if fresh is None:
                    return
                if not _changed(last, fresh):
                    continue
                data = fresh
            last = data
            yield event_bytes(data)
            if data.get("status") in _TERMINAL:
                return
    finally:
        await hub.unsubscribe(run_id, queue)
