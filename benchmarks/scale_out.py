"""Throughput and queue latency of the worker role on this machine. Prints figures, asserts nothing.

    .venv/bin/python -m benchmarks.scale_out [--analyses 12] [--workers 1,2,4] [--burst 200] [--orgs 20]

1. Analyses per hour of a Flask-size repository (the Flask sdist: src, tests, docs, as a git
   repository) with 1, 2 and 4 worker processes (`python -m repotoire.run worker`, Q_WORKERS=n): a
   queue of --analyses runs of an enterprise organisation, from the first claim to the last
   completion; with the CPU seconds of the worker role per analysis (start-up included) and the
   database writes per analysis (pg_stat_database of the benchmark's own database).
2. Queue latency under a burst: --burst triggers at once across --orgs pro organisations (3
   concurrent analyses each) of a three-file repository, 4 worker processes already running;
   latency = claimed (started_at) - triggered (queued_at), p50/p95/max, and the burst's makespan.
3. The size of one analysis's queue message (what a queued analysis costs the broker).

``--workers ""`` skips 1., ``--burst 0`` skips 2.

Runs on the embedded PostgreSQL with the ORM broker (the default install), in the benchmark's own
database, dropped at the end. The load average is printed beside the figures: the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = os.environ.setdefault("REPOTOIRE_DB_NAME", "repotoire_bench_scale")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "repotoire.settings")
os.environ["REPOTOIRE_CODESEARCH_INDEX_ON_COMPLETE"] = "false"
os.environ["REPOTOIRE_ALLOW_LOCAL_REPOS"] = "true"
os.environ.setdefault("REPOTOIRE_LOCAL_REPO_ROOTS", tempfile.gettempdir())  # the copies below live there
sys.path.insert(0, str(ROOT))

from benchmarks._shared import build_schema, drop_database, git_copy, pct  # noqa: E402


def start_worker(workers: int, workspace: Path) -> subprocess.Popen:
    env = {**os.environ, "Q_WORKERS": str(workers), "REPOTOIRE_WORKSPACE_DIR": str(workspace), "LOG_LEVEL": "WARNING"}
    return subprocess.Popen([sys.executable, "-m", "repotoire.run", "worker"], cwd=ROOT, env=env, start_new_session=True)


def stop_worker(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=120)


def wait_done(run_ids: list, timeout: float) -> None:
    from analysis.models import AnalysisRun

    deadline = time.monotonic() + timeout
    while AnalysisRun.objects.filter(pk__in=run_ids, status__in=["queued", "running"]).exists():
        if time.monotonic() > deadline:
            raise SystemExit("timed out waiting for the analyses")
        time.sleep(0.5)
    failed = AnalysisRun.objects.filter(pk__in=run_ids).exclude(status="completed").count()
    if failed:
        raise SystemExit(f"{failed} analyses did not complete")


def db_writes() -> tuple[int, int, int]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pg_stat_force_next_flush()")
        cur.execute("SELECT pg_stat_clear_snapshot()")
        cur.execute(
            "SELECT tup_inserted, tup_updated + tup_deleted, xact_commit FROM pg_stat_database WHERE datname = current_database()"
        )
        return tuple(cur.fetchone())  # type: ignore[return-value]


class ConnectionPeak(threading.Thread):
    """Peak number of other sessions on the benchmark database (the worker role's connections)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.peak = 0

    def run(self) -> None:
        import psycopg
        from django.db import connection

        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        with psycopg.connect(**params, autocommit=True) as conn:
            while not self.stop.is_set():
                (n,) = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                ).fetchone()
                self.peak = max(self.peak, n)
                self.stop.wait(0.1)


def org_with_repos(plan: str, repos: int, source: Path) -> tuple[object, list]:
    from accounts import services as accounts
    from analysis import services as analysis

    org, _ = accounts.organization_get_or_create(slug=f"bench-{uuid.uuid4().hex[:10]}", plan=plan)
    return org, [analysis.repository_create(organization=org, name=f"r{i}", clone_url=str(source)) for i in range(repos)]


def throughput(workers: int, analyses: int, source: Path, workspace: Path) -> None:
    from analysis import services
    from analysis.models import AnalysisRun

    org, repos = org_with_repos("enterprise", analyses, source)
    before_writes = db_writes()
    ids = [services.analysis_trigger(organization=org, repository_id=repo.pk).pk for repo in repos]
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    from django.db import connection

    connection.close()  # only the worker role's sessions are counted
    peak = ConnectionPeak()
    peak.start()
    proc = start_worker(workers, workspace)
    wait_done(ids, timeout=3600)
    peak.stop.set()
    peak.join()
    stop_worker(proc)
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    inserted, changed, commits = (a - b for a, b in zip(db_writes(), before_writes, strict=True))
    runs = AnalysisRun.objects.filter(pk__in=ids)
    first = min(r.started_at for r in runs)
    last = max(r.finished_at for r in runs)
    span = (last - first).total_seconds()
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    files = runs.first().files_analyzed
    lines = runs.first().lines_analyzed
    print(
        f"{workers} worker process(es): {analyses} analyses of {files} files / {lines} lines in {span:.1f} s"
        f" = {analyses / span * 3600:.0f} analyses/hour; worker role CPU {cpu / analyses:.1f} s per analysis;"
        f" per analysis {inserted / analyses:.0f} rows inserted, {changed / analyses:.0f} updated/deleted,"
        f" {commits / analyses:.0f} commits; peak database sessions {peak.peak - 1}; load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )


def burst(total: int, orgs: int, source: Path, workspace: Path) -> None:
    from analysis import services
    from analysis.models import AnalysisRun

    per_org = total // orgs
    repos = [repo for _ in range(orgs) for repo in org_with_repos("pro", per_org, source)[1]]
    proc = start_worker(4, workspace)
    time.sleep(8)  # the cluster is up and idle
    t = time.monotonic()
    ids = [services.analysis_trigger(organization=repo.organization, repository_id=repo.pk).pk for repo in repos]
    triggered = time.monotonic() - t
    wait_done(ids, timeout=3600)
    makespan = time.monotonic() - t
    stop_worker(proc)
    runs = list(AnalysisRun.objects.filter(pk__in=ids))
    latency = [(r.started_at - r.queued_at).total_seconds() for r in runs]
    service = [(r.finished_at - r.started_at).total_seconds() for r in runs]
    print(
        f"burst of {len(ids)} triggers across {orgs} pro organisations (triggered in {triggered:.1f} s), 4 worker"
        f" processes: queue latency p50 {pct(latency, 0.5):.1f} s, p95 {pct(latency, 0.95):.1f} s, max"
        f" {max(latency):.1f} s; analysis p50 {pct(service, 0.5):.2f} s; all done in {makespan:.1f} s;"
        f" load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )


def message_bytes() -> int:
    from django.utils import timezone
    from django_q.humanhash import uuid as q_uuid
    from django_q.signing import SignedPackage

    from analysis.services.scheduling import EXECUTE_TASK

    run_id = str(uuid.uuid4())
    task = {
        "id": q_uuid()[1],
        "name": f"analysis-{run_id}",
        "func": EXECUTE_TASK,
        "args": (run_id,),
        "kwargs": {},
        "started": timezone.now(),
        "group": "analysis",
        "timeout": 1560,
    }
    return len(SignedPackage.dumps(task))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--analyses", type=int, default=12)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--orgs", type=int, default=20)
    args = parser.parse_args()
    import django

    django.setup()
    from benchmarks._cache import project_root
    from tests.analysis.conftest import APP_PY, HELPERS_PY
    from tests.gitrepo import commit_files, git

    build_schema()
    with tempfile.TemporaryDirectory() as tmp:
        flask = Path(tmp) / "flask"
        git_copy(project_root("flask"), flask)
        small = Path(tmp) / "small"
        small.mkdir()
        git(small, "init", "-q", "-b", "main")
        commit_files(small, {"app.py": APP_PY, "pkg/__init__.py": "", "pkg/helpers.py": HELPERS_PY}, "initial")
        try:
            print(f"queue message of one analysis: {message_bytes()} bytes (signed pickle, as the broker stores it)")
            for workers in (int(n) for n in args.workers.split(",") if n):
                throughput(workers, args.analyses, flask, Path(tmp) / "ws")
            if args.burst:
                burst(args.burst, args.orgs, small, Path(tmp) / "ws")
        finally:
            drop_database()


if __name__ == "__main__":
    main()
