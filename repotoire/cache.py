"""A cache shared by every process, kept in PostgreSQL, with an atomic increment.

Used when no Redis is configured. Django's own database cache is refused by django-ratelimit
(its ``incr`` is read-modify-write); here ``add`` and ``incr`` are single statements
(``INSERT ... ON CONFLICT ... DO UPDATE ... RETURNING``), so counters stay exact under concurrent
requests from several processes. Values are pickled; integers are kept in their own column so
that increments happen inside PostgreSQL.
"""

from __future__ import annotations

import pickle
import time
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.db import connections, router

_NEVER = 2**62

CREATE_TABLE_SQL = """
CREATE UNLOGGED TABLE IF NOT EXISTS repotoire_cache (
    key text PRIMARY KEY,
    value bytea,
    int_value bigint,
    expires double precision NOT NULL
);
CREATE INDEX IF NOT EXISTS repotoire_cache_expires ON repotoire_cache (expires);
"""


def ensure_cache_table(using: str = "default", **_: Any) -> None:
    with connections[using].cursor() as cur:
        cur.execute(CREATE_TABLE_SQL)


class PostgresCache(BaseCache):
    def __init__(self, table: str, params: dict[str, Any]) -> None:
        super().__init__(params)
        self._table = table

    # -- helpers ---------------------------------------------------------------------------------
    def _cursor(self, write: bool = False):
        db = router.db_for_write(object) if write else router.db_for_read(object)
        return connections[db or "default"].cursor()

    def _expiry(self, timeout: float | None | object) -> int:
        timeout = self.get_backend_timeout(timeout)
        return _NEVER if timeout is None else int(timeout)

    @staticmethod
    def _encode(value: Any) -> tuple[bytes | None, int | None]:
        if isinstance(value, int) and not isinstance(value, bool) and -(2**63) < value < 2**63:
            return None, value
        return pickle.dumps(value, pickle.HIGHEST_PROTOCOL), None

    @staticmethod
    def _decode(blob: bytes | memoryview | None, number: int | None) -> Any:
        if number is not None:
            return number
        return pickle.loads(bytes(blob)) if blob is not None else None

    # -- API ------------------------------------------------------------------------------------
    def add(self, key: str, value: Any, timeout: float | None | object = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        blob, number = self._encode(value)
        now, expires = time.time(), self._expiry(timeout)
        with self._cursor(write=True) as cur:
            # Insert, or take over a row whose entry has expired; a live entry is left alone.
            cur.execute(
                f"""INSERT INTO {self._table} (key, value, int_value, expires)
                    VALUES (%s, %s, %s, %s)
                    ON CONFLICT (key) DO UPDATE
                      SET value = EXCLUDED.value, int_value = EXCLUDED.int_value, expires = EXCLUDED.expires
                      WHERE {self._table}.expires <= %s
                    RETURNING 1""",
                [key, blob, number, expires, now],
            )
            return cur.fetchone() is not None

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        key = self.make_and_validate_key(key, version=version)
        with self._cursor() as cur:
            cur.execute(
                f"SELECT value, int_value FROM {self._table} WHERE key = %s AND expires > %s",
                [key, time.time()],
            )
            row = cur.fetchone()
        return default if row is None else self._decode(row[0], row[1])

    def set(self, key: str, value: Any, timeout: float | None | object = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        key = self.make_and_validate_key(key, version=version)
        blob, number = self._encode(value)
        with self._cursor(write=True) as cur:
            cur.execute(
                f"""INSERT INTO {self._table} (key, value, int_value, expires) VALUES (%s, %s, %s, %s)
                    ON CONFLICT (key) DO UPDATE
                      SET value = EXCLUDED.value, int_value = EXCLUDED.int_value, expires = EXCLUDED.expires""",
                [key, blob, number, self._expiry(timeout)],
            )

    def touch(self, key: str, timeout: float | None | object = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        with self._cursor(write=True) as cur:
            cur.execute(
                f"UPDATE {self._table} SET expires = %s WHERE key = %s AND expires > %s",
                [self._expiry(timeout), key, time.time()],
            )
            return cur.rowcount == 1

    def delete(self, key: str, version: int | None = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        with self._cursor(write=True) as cur:
            cur.execute(f"DELETE FROM {self._table} WHERE key = %s", [key])
            return cur.rowcount == 1

    def has_key(self, key: str, version: int | None = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        with self._cursor() as cur:
            cur.execute(f"SELECT 1 FROM {self._table} WHERE key = %s AND expires > %s", [key, time.time()])
            return cur.fetchone() is not None

    def incr(self, key: str, delta: int = 1, version: int | None = None) -> int:
        key = self.make_and_validate_key(key, version=version)
        with self._cursor(write=True) as cur:
            cur.execute(
                f"""UPDATE {self._table} SET int_value = int_value + %s
                    WHERE key = %s AND expires > %s AND int_value IS NOT NULL
                    RETURNING int_value""",
                [delta, key, time.time()],
            )
            row = cur.fetchone()
        if row is None:
            raise ValueError(f"Key '{key}' not found or not an integer")
        return int(row[0])

    def clear(self) -> None:
        with self._cursor(write=True) as cur:
            cur.execute(f"DELETE FROM {self._table}")

    def cull_expired(self) -> int:
        with self._cursor(write=True) as cur:
            cur.execute(f"DELETE FROM {self._table} WHERE expires <= %s", [time.time()])
            return cur.rowcount
