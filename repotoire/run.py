"""`make run`: the ASGI web server (uvicorn), the django-q2 worker cluster and the background
cluster (code-search indexing and embedding, automatic fixes: its own queue), started and stopped
together.

Ctrl-C (or SIGTERM, SIGHUP) stops them all, grandchildren included, within
``REPOTOIRE_STOP_GRACE_SECONDS`` (default 20) plus a few seconds; if one role dies, the others are
stopped too.

How the stop is made certain: every role runs in a process group of its own, so the supervisor alone
decides the order (a terminal's Ctrl-C reaches only ``make`` and this process). The supervisor is a
child subreaper (``PR_SET_CHILD_SUBREAPER``): a worker whose cluster master died is re-parented to it
rather than to PID 1, so it can still be found and stopped. A stop first asks each role's main process
to shut down (a django-q2 cluster lets its workers finish their current task), and once the grace
period is over, kills every process left below the supervisor.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36


def _prctl(option: int, value: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(option, value, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl({option}) failed")


def _die_with_parent() -> None:
    # Runs in the child between fork and exec: if the supervisor itself is SIGKILLed, each role's
    # main process is still told to stop.
    _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (from /proc), nearest first."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] == "Z":
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(0), []):
            found.append(child)
            todo.append(child)
    return found


def _reap_orphans(known: set[int]) -> None:
    """Collect the exit status of re-parented orphans (not of the roles: Popen waits for those)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in known:
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid():
            try:
                os.waitpid(int(entry.name), os.WNOHANG)
            except ChildProcessError:
                pass


class Supervisor:
    """Starts the roles, waits for a stop request or a role's death, then stops everything."""

    def __init__(self, grace: float) -> None:
        self.grace = grace
        self.roles: dict[str, subprocess.Popen[bytes]] = {}
        self.stopping = False

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        self.roles[name] = subprocess.Popen(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            process_group=0,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 - the supervisor starts no threads
        )

    def request_stop(self, *_: object) -> None:
        self.stopping = True

    def wait(self) -> None:
        while not self.stopping and all(proc.poll() is None for proc in self.roles.values()):
            time.sleep(0.3)

    def stop(self) -> None:
        """Ask each role to shut down; after the grace period kill whatever is left, anywhere below."""
        for proc in self.roles.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        known = {proc.pid for proc in self.roles.values()}
        deadline = time.monotonic() + self.grace
        while time.monotonic() < deadline:
            _reap_orphans(known)
            if not descendants(os.getpid()):
                break
            time.sleep(0.2)
        left = descendants(os.getpid())
        if left:
            print(f"repotoire.run: killing {len(left)} process(es) still running after {self.grace:.0f} s", flush=True)
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for proc in self.roles.values():
            proc.wait()
        end = time.monotonic() + 5
        while descendants(os.getpid()) and time.monotonic() < end:
            _reap_orphans(known)
            time.sleep(0.05)


def main() -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "8000")
    grace = float(os.environ.get("REPOTOIRE_STOP_GRACE_SECONDS", "20"))
    python = sys.executable
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)
    supervisor = Supervisor(grace=grace)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, supervisor.request_stop)
    supervisor.start(
        "web",
        [
            python,
            "-m",
            "uvicorn",
            "repotoire.asgi:application",
            "--host",
            host,
            "--port",
            port,
            "--timeout-graceful-shutdown",
            "5",
        ],
    )
    supervisor.start("worker", [python, "manage.py", "qcluster"])
    background = os.environ.get("REPOTOIRE_BACKGROUND_CLUSTER", "background")
    if background:
        # Bulk work (code-search indexing and embedding, automatic fixes) has a queue and workers of
        # its own: it never holds up analyses.
        supervisor.start("background", [python, "manage.py", "qcluster"], env={**os.environ, "Q_CLUSTER_NAME": background})
    print(f"Repotoire on http://{host}:{port}  (docs: /docs, admin: /admin/) — Ctrl-C stops", flush=True)
    supervisor.wait()
    supervisor.stop()
    return 0 if supervisor.stopping else 1


if __name__ == "__main__":
    sys.exit(main())
