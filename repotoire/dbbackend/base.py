"""PostgreSQL through Django's backend, failing fast when the server cannot be reached.

A direct connection (workers, commands) gives up after ``connect_timeout``
(REPOTOIRE_DB_CONNECT_TIMEOUT). The web process's pool would not: with the server down it waits
its whole timeout (REPOTOIRE_DB_POOL_TIMEOUT) for a connection its background workers never
make, and the request then reads like a busy server (DATABASE_BUSY). So before waiting on a
pool with no idle connection, one direct attempt under the connect timeout says whether the
server answers at all (the verdict is shared by every thread for a moment, so a burst makes one
attempt, and any connection the pool hands out renews it, so a merely busy pool makes none): if not, ``DatabaseUnreachable`` at once, which the API answers with 503
DATABASE_UNAVAILABLE; if it does, the request waits for the pool as before.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg
from django.db.backends.postgresql import base

# How long one reachability verdict stands.
VERDICT_SECONDS = 2.0
_BUSY = ("too many clients", "remaining connection slots")


class DatabaseUnreachable(psycopg.OperationalError):
    """No connection to the database server could be made within the connect timeout."""


def _busy(exc: BaseException) -> bool:
    text = str(exc)
    return any(marker in text for marker in _BUSY)


class _Reachability:
    """The latest verdict on whether the server answers, shared by the process's threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.checked_at = float("-inf")
        self.error: str | None = None

    def fresh(self) -> bool:
        return time.monotonic() - self.checked_at < VERDICT_SECONDS

    def record(self, error: str | None) -> None:
        self.error, self.checked_at = error, time.monotonic()

    def raise_if_down(self) -> None:
        error = self.error if self.fresh() else None
        if error is not None:
            raise DatabaseUnreachable(error)

    def check(self, conn_params: dict[str, Any]) -> None:
        with self.lock:
            if not self.fresh():
                try:
                    psycopg.connect(**conn_params).close()
                    self.record(None)
                except psycopg.OperationalError as exc:
                    # Out of connection slots is a busy server, not an absent one.
                    self.record(None if _busy(exc) else str(exc))
        self.raise_if_down()


_reachability = _Reachability()


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        pool = self.pool
        if pool is not None:
            pool.open()
            if pool.get_stats().get("pool_available", 0) == 0:
                _reachability.check(conn_params)
            connection = super().get_new_connection(conn_params)
            # Each connection handed out proves the server answers: a busy pool makes no probes.
            _reachability.record(None)
            return connection
        _reachability.raise_if_down()
        try:
            return super().get_new_connection(conn_params)
        except psycopg.OperationalError as exc:
            if _busy(exc):
                raise
            _reachability.record(str(exc))
            raise DatabaseUnreachable(str(exc)) from exc
