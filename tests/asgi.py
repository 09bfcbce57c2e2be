"""``uvicorn repotoire.asgi:application`` (what ``make run`` serves) on the test database, for the
tests that need a real ASGI server (SSE streams, the web process's connection pool)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from repotoire.run import UVICORN_OPTIONS

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def asgi_server(log_dir: Path, **env: str) -> Iterator[str]:
    """Start uvicorn on the current test database with ``env`` added; yield its base URL; stop it."""
    with asgi_process(log_dir, **env) as (base, _):
        yield base


@contextmanager
def asgi_process(log_dir: Path, **env: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """``asgi_server``, yielding the server's process too (to signal it)."""
    from django.db import connection

    port = free_port()
    full_env = {**os.environ, "REPOTOIRE_ENV": "test", "REPOTOIRE_DB_NAME": connection.settings_dict["NAME"], **env}
    log_path = log_dir / f"uvicorn-{port}.log"
    log = open(log_path, "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "repotoire.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            *UVICORN_OPTIONS,
        ],
        cwd=ROOT,
        env=full_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(base, proc, log_path, timeout=60)
        yield base, proc
    finally:
        stop_processes(proc, sig=signal.SIGTERM, timeout=15)
        log.close()


def wait_for_health(base: str, proc: subprocess.Popen, log_path: Path, timeout: float) -> None:
    """Wait until ``{base}/health`` answers 200; fail with the log's tail if ``proc`` exits first."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the server did not start: " + log_path.read_text()[-3000:])
        time.sleep(0.2)


def stop_processes(*procs: subprocess.Popen, sig: int = signal.SIGINT, timeout: float = 20) -> None:
    """Signal every process, then wait for each; kill what does not stop within ``timeout``."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(sig)
    for proc in procs:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
