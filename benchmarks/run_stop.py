"""How long `make run` takes to stop every process it started. Prints figures, asserts nothing.

    .venv/bin/python -m benchmarks.run_stop [--signal INT|TERM]

Starts `make -s -o migrate run` (its own process group, as a terminal gives it) on a benchmark
database, waits for /health, then signals the process group twice over: once with idle workers,
once with every worker of both clusters busy with a 10-minute task. Prints the time from the signal
until no process below this one is left (this process is a child subreaper for the measurement,
so orphans cannot escape to PID 1 unseen).
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

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = os.environ.setdefault("REPOTOIRE_DB_NAME", "repotoire_bench_run_stop")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "repotoire.settings")
sys.path.insert(0, str(ROOT))

from benchmarks._shared import build_schema, drop_database  # noqa: E402


def measure(sig: int, busy: bool) -> float:
    from django_q.tasks import async_task

    from repotoire.run import descendants
    from tests.asgi import free_port, wait_for_health

    if busy:
        for _ in range(2):
            async_task("time.sleep", 600)
            async_task("time.sleep", 600, cluster="background")
    port = free_port()
    log_path = ROOT / "var" / "bench-run-stop.log"
    before = set(descendants(os.getpid()))
    with open(log_path, "w") as log:
        make = subprocess.Popen(
            ["make", "-s", "-o", "migrate", "run"],
            cwd=ROOT,
            env={**os.environ, "PORT": str(port)},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for_health(f"http://127.0.0.1:{port}", make, log_path, timeout=120)
        time.sleep(5)  # the clusters are up and (when busy) have taken the tasks
        started = len(set(descendants(os.getpid())) - before)
        os.killpg(make.pid, sig)
        t = time.monotonic()
        while set(descendants(os.getpid())) - before:
            for pid in set(descendants(os.getpid())) - before:
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass
            time.sleep(0.05)
        elapsed = time.monotonic() - t
        make.wait()
    print(f"{signal.Signals(sig).name}, {'busy' if busy else 'idle'} workers: {started} processes stopped in {elapsed:.1f} s")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--signal", choices=["INT", "TERM"], default="INT")
    args = parser.parse_args()
    import django

    django.setup()
    ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    from django_q.models import OrmQ

    build_schema()
    sig = getattr(signal, f"SIG{args.signal}")
    try:
        measure(sig, busy=False)
        measure(sig, busy=True)
    finally:
        OrmQ.objects.all().delete()
        drop_database()
    print(f"load average: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
