"""Repotoire's processes, by role, each able to run on a host of its own:

    python -m repotoire.run              # every role on this machine: what `make run` starts
    python -m repotoire.run web          # uvicorn, WEB_CONCURRENCY worker processes (HOST, PORT)
    python -m repotoire.run worker       # the main django-q2 cluster (analyses, hooks, deliveries)
    python -m repotoire.run background   # the background cluster: code-search indexing and
                                         # embedding, automatic fixes (its own queue)
    python -m repotoire.run scheduler    # the one scheduler (the clusters run with Q_SCHEDULER=false)

Ctrl-C (or SIGTERM, SIGHUP) stops every process started, grandchildren included, within
``REPOTOIRE_STOP_GRACE_SECONDS`` (default 20) plus a few seconds; if one role dies, the others are
stopped too. On the embedded database (no ``DATABASE_URL``), every role together (``make run``)
also stops the embedded PostgreSQL once the roles are gone (``REPOTOIRE_KEEP_EMBEDDED_DB=1`` keeps
it for the next start); a single role leaves it to the others on the machine.

How the stop is made certain: every role runs in a process group of its own, so the supervisor alone
decides the order (a terminal's Ctrl-C reaches only ``make`` and this process). The supervisor is a
child subreaper (``PR_SET_CHILD_SUBREAPER``): a worker whose cluster master died is re-parented to it
rather than to PID 1, so it can still be found and stopped. A stop sends SIGTERM to each role's main
process (uvicorn drains its connections; a cluster stops taking tasks), then to every django-q2
worker process (an analysis in progress puts itself back in the queue, other tasks finish: see
``repotoire.qworker``), and once the grace period is over kills every process left below the
supervisor.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import environ

from repotoire import embedded_db

ROOT = Path(__file__).resolve().parent.parent

# /proc/<pid>/comm of a django-q2 worker process (set by repotoire.qworker when it is spawned).
WORKER_PROCESS_NAME = "repotoire-qwrk"
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


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


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

    def __init__(self, grace: float, database_dir: Path | None = None) -> None:
        self.grace = grace
        # The embedded server's data directory: a role may have started the server, which then
        # sits below this subreaper, but it is never killed with the roles (see stop_database).
        self.database_dir = database_dir
        self.roles: dict[str, subprocess.Popen[bytes]] = {}
        self.stopping = False

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> None:
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

    def _below(self) -> list[int]:
        """The processes left to stop: everything below this one except the embedded server's."""
        found = descendants(os.getpid())
        postmaster = embedded_db.postmaster_pid(self.database_dir) if self.database_dir else None
        if postmaster is None or postmaster not in found:
            return found
        spared = {postmaster, *descendants(postmaster)}
        return [pid for pid in found if pid not in spared]

    def stop(self) -> None:
        """Ask each role to shut down; after the grace period kill whatever is left, anywhere below."""
        for proc in self.roles.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        # The clusters' masters stop their pushers first; then each worker process is told to stop
        # too, so that an analysis in progress re-queues itself instead of running on (qworker.py).
        time.sleep(0.5)
        for pid in self._below():
            if _comm(pid) == WORKER_PROCESS_NAME:
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        known = {proc.pid for proc in self.roles.values()}
        deadline = time.monotonic() + self.grace
        while time.monotonic() < deadline:
            _reap_orphans(known)
            if not self._below():
                break
            time.sleep(0.2)
        left = self._below()
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
        while self._below() and time.monotonic() < end:
            _reap_orphans(known)
            time.sleep(0.05)


# uvicorn's options for the web role, shared with the tests' live server (tests/asgi.py).
UVICORN_OPTIONS = [
    # uvicorn's own 400 (a request it cannot parse) in the error envelope.
    "--http",
    "repotoire.web_protocol:EnvelopeHttpToolsProtocol",
    # Open responses get this long to finish once a stop begins; SSE streams end at once
    # (repotoire/shutdown.py), so a stop takes about a second, not this.
    "--timeout-graceful-shutdown",
    "5",
]


def _web(python: str) -> list[str]:
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "8000")
    # uvicorn reads FORWARDED_ALLOW_IPS itself (the proxies whose X-Forwarded-* it trusts).
    return [
        python,
        "-m",
        "uvicorn",
        "repotoire.asgi:application",
        "--host",
        host,
        "--port",
        port,
        "--workers",
        os.environ.get("WEB_CONCURRENCY", "1"),
        *UVICORN_OPTIONS,
        "--no-access-log",  # repotoire.access logs each request with its id instead
    ]


def role_commands(role: str) -> dict[str, tuple[list[str], dict[str, str]]]:
    """The processes of ``role`` (``all`` = every role on this machine): name → (argv, environment)."""
    python = sys.executable
    manage = str(ROOT / "manage.py")
    cluster_env = {**os.environ, "Q_SCHEDULER": "false"}
    background = os.environ.get("REPOTOIRE_BACKGROUND_CLUSTER", "background")
    roles: dict[str, tuple[list[str], dict[str, str]]] = {
        "web": (_web(python), dict(os.environ)),
        "worker": ([python, manage, "qcluster"], cluster_env),
        # Bulk work (code-search indexing and embedding, automatic fixes) has a queue and workers of
        # its own: it never holds up analyses.
        "background": ([python, manage, "qcluster"], {**cluster_env, "Q_CLUSTER_NAME": background}),
        "scheduler": ([python, manage, "qscheduler"], dict(os.environ)),
    }
    if not background:
        del roles["background"]
    if role == "all":
        return roles
    return {role: roles[role]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m repotoire.run",
        description="Run Repotoire's processes: every role (make run) or one role per host.",
    )
    parser.add_argument("role", nargs="?", default="all", choices=["all", "web", "worker", "background", "scheduler"])
    role = parser.parse_args(argv).role
    grace = float(os.environ.get("REPOTOIRE_STOP_GRACE_SECONDS", "20"))
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)
    # The settings read .env the same way: DATABASE_URL there means no embedded server.
    dotenv = environ.Env()
    if (ROOT / ".env").exists():
        dotenv.read_env(str(ROOT / ".env"))
    database_dir = None if dotenv("DATABASE_URL", default="") else embedded_db.data_dir_of(ROOT)
    supervisor = Supervisor(grace=grace, database_dir=database_dir)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, supervisor.request_stop)
    for name, (command, env) in role_commands(role).items():
        supervisor.start(name, command, env)
    if role in ("all", "web"):
        host, port = os.environ.get("HOST", "127.0.0.1"), os.environ.get("PORT", "8000")
        print(f"Repotoire on http://{host}:{port}  (docs: /docs, admin: /admin/) — Ctrl-C stops", flush=True)
    supervisor.wait()
    supervisor.stop()
    if role == "all" and database_dir is not None and not dotenv.bool("REPOTOIRE_KEEP_EMBEDDED_DB", default=False):
        if not embedded_db.stop_server(database_dir):
            print("repotoire.run: the embedded PostgreSQL did not stop within 20 s", flush=True)
    return 0 if supervisor.stopping else 1


if __name__ == "__main__":
    sys.exit(main())
