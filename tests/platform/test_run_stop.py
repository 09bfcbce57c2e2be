"""`make run` stops every process it started — web server, both clusters, their workers — on Ctrl-C
(SIGINT to the terminal's process group) or SIGTERM, within 30 s, even with every worker busy."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from repotoire import embedded_db
from repotoire.run import descendants
from tests.asgi import ROOT, free_port, wait_for_health

pytestmark = [pytest.mark.slow]

_PR_SET_CHILD_SUBREAPER = 36


def _set_subreaper(on: bool) -> None:
    assert ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, int(on), 0, 0, 0) == 0


def _reap(pids: set[int]) -> None:
    for pid in pids:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass


def _busy_workers(expected: int, deadline: float) -> None:
    """Wait until the clusters have taken ``expected`` tasks from the broker."""
    from django.utils import timezone
    from django_q.models import OrmQ

    while OrmQ.objects.filter(lock__gt=timezone.now()).count() < expected:
        assert time.monotonic() < deadline, "the clusters never took the long tasks"
        time.sleep(0.2)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_make_run_stops_every_process_it_started_within_30_seconds(transactional_db, tmp_path: Path, sig: int):
    from django.db import connection
    from django_q.tasks import async_task

    # Each worker of both clusters gets a task far longer than the 30 s allowed (the defect report:
    # workers busy with code-search jobs outlived Ctrl-C as orphans and kept taking jobs).
    for _ in range(2):
        async_task("time.sleep", 600)
        async_task("time.sleep", 600, cluster="background")

    port = free_port()
    env = {
        **os.environ,
        "REPOTOIRE_ENV": "test",
        "REPOTOIRE_DB_NAME": connection.settings_dict["NAME"],
        "PORT": str(port),
        "Q_WORKERS": "2",
        "Q_BACKGROUND_WORKERS": "2",
        # The test session's own embedded server serves this run: it must outlive it.
        "REPOTOIRE_KEEP_EMBEDDED_DB": "1",
    }
    log_path = tmp_path / "make-run.log"
    before = set(descendants(os.getpid()))
    # Orphans anywhere below this test are re-parented to it instead of PID 1, so none can hide.
    _set_subreaper(True)
    try:
        with open(log_path, "w") as log:
            # `-o migrate`: the test database has its tables; the rest is `make run` itself.
            make = subprocess.Popen(
                ["make", "-s", "-o", "migrate", "run"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, as a terminal gives it
            )
            wait_for_health(f"http://127.0.0.1:{port}", make, log_path, timeout=90)
            _busy_workers(4, time.monotonic() + 60)
            started = set(descendants(os.getpid())) - before
            # make, run.py, uvicorn, two cluster masters, two sentinels, 2 x (2 workers + pusher + monitor)
            assert len(started) >= 14, started

            os.killpg(make.pid, sig)
            signalled = time.monotonic()
            while True:
                left = set(descendants(os.getpid())) - before
                _reap(left | started)
                if not left:
                    break
                if time.monotonic() - signalled > 30:
                    pytest.fail(f"still running 30 s after the signal: {_describe(left)}\n{log_path.read_text()[-3000:]}")
                time.sleep(0.2)
            elapsed = time.monotonic() - signalled
    finally:
        _set_subreaper(False)
        for pid in set(descendants(os.getpid())) - before:
            os.kill(pid, signal.SIGKILL)
    print(f"every process stopped {elapsed:.1f} s after {signal.Signals(sig).name}")
    assert make.wait(timeout=5) is not None
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)


def _describe(pids: set[int]) -> str:
    out = []
    for pid in sorted(pids):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        out.append(f"{pid}: {cmdline}")
    return "; ".join(out)


def test_make_run_also_stops_the_embedded_postgresql_it_runs_on(tmp_path: Path):
    """With no DATABASE_URL, Ctrl-C on every role together stops the embedded server too (a
    stray postmaster holding var/pgdata is a process `make run` started); a single role leaves it."""
    data_dir = tmp_path / "pgdata"
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REPOTOIRE_DB_NAME", "REPOTOIRE_KEEP_EMBEDDED_DB")
    }
    env.update(REPOTOIRE_ENV="test", REPOTOIRE_PGDATA=str(data_dir), PORT=str(port), Q_WORKERS="1", Q_BACKGROUND_WORKERS="1")
    # A fresh embedded server with the tables, as `make run`'s migrate step leaves it.
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    postmaster = embedded_db.postmaster_pid(data_dir)
    assert postmaster is not None, "migrate did not leave the embedded server running"

    log_path = tmp_path / "run.log"
    with open(log_path, "w") as log:
        run = subprocess.Popen(
            [sys.executable, "-m", "repotoire.run"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_for_health(f"http://127.0.0.1:{port}", run, log_path, timeout=90)
            os.killpg(run.pid, signal.SIGINT)
            # Every role first (the other test times that), then the server: generous on a loaded machine.
            assert run.wait(timeout=60) == 0, log_path.read_text()[-3000:]
        finally:
            if run.poll() is None:
                os.killpg(run.pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while embedded_db.postmaster_pid(data_dir) is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert embedded_db.postmaster_pid(data_dir) is None, "the embedded PostgreSQL kept running"
    # A fast shutdown, not a crash: the next start needs no recovery.
    log = (data_dir / "log").read_text()
    assert "received fast shutdown request" in log and "database system is shut down" in log, log
