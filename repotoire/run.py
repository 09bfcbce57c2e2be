"""`make run`: the ASGI web server (uvicorn), the django-q2 worker cluster and the background
cluster (code-search indexing and embedding, automatic fixes: its own queue), started and stopped
together.

Ctrl-C (or SIGTERM) stops them all cleanly; if one dies, the others are stopped too.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time


def main() -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "8000")
    python = sys.executable
    web = subprocess.Popen(
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
        ]
    )
    worker = subprocess.Popen([python, "manage.py", "qcluster"])
    children = [web, worker]
    background = os.environ.get("REPOTOIRE_BACKGROUND_CLUSTER", "background")
    if background:
        # Bulk work (code-search indexing and embedding, automatic fixes) has a queue and workers of
        # its own: it never holds up analyses.
        env = {**os.environ, "Q_CLUSTER_NAME": background}
        children.append(subprocess.Popen([python, "manage.py", "qcluster"], env=env))
    print(f"Repotoire on http://{host}:{port}  (docs: /docs, admin: /admin/) — Ctrl-C stops", flush=True)

    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not stopping and all(child.poll() is None for child in children):
        time.sleep(0.3)
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGINT)
    deadline = time.monotonic() + 15
    for child in children:
        try:
            child.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            child.kill()
    return 0 if stopping else 1


if __name__ == "__main__":
    sys.exit(main())
