"""Analysis runs through the real stack: uvicorn (as ``make run`` serves it) + a ``qcluster`` worker
on a dedicated database of the embedded PostgreSQL. Prints figures, asserts nothing.

    .venv/bin/python -m benchmarks.analysis_api_latency [--listeners 200] [--project flask]

1. trigger → completed wall time on a real project (a git copy of Flask's sdist by default):
   a cold run, a second cold run (facts dropped) and an incremental run (unchanged commit:
   every file's facts reused), followed over the SSE stream as a client would;
2. latency of ``GET /analysis/{id}/status`` and ``GET /analysis/history`` (p50/p95);
3. SSE fan-out: N listeners on one run, the worker's progress writes (row update + NOTIFY)
   timed from the write to each client's receipt, then the terminal event and stream close;
4. incremental facts storage on Django's source: pickled+zlib size, dump and load time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = os.environ.setdefault("REPOTOIRE_DB_NAME", "repotoire_bench_analysis")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "repotoire.settings")
sys.path.insert(0, str(ROOT))

from benchmarks._shared import git_copy, pct  # noqa: E402
from tests.asgi import free_port  # noqa: E402


def ms(v: float) -> str:
    return f"{v * 1000:.1f} ms"


def start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)  # noqa: SIM115


def wait_http(url: str, timeout: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def follow(base: str, key: str, run_id: str) -> list[dict]:
    import httpx

    events = []
    with httpx.stream("GET", f"{base}/api/v1/analysis/{run_id}/progress", headers={"X-API-Key": key}, timeout=600) as r:
        for line in r.iter_lines():
            if line.startswith("data:"):
                events.append(json.loads(line[5:]))
    return events


def trigger_to_completed(base: str, key: str, repo_id: str, label: str) -> str:
    import httpx

    from analysis.models import AnalysisRun

    t0 = time.perf_counter()
    response = httpx.post(f"{base}/api/v1/analysis/trigger", json={"repository_id": repo_id}, headers={"X-API-Key": key})
    response.raise_for_status()
    run_id = response.json()["id"]
    events = follow(base, key, run_id)
    wall = time.perf_counter() - t0
    run = AnalysisRun.objects.get(pk=run_id)
    t = run.timings
    print(
        f"  {label:<24} {wall:6.2f} s trigger→completed (status {events[-1]['status']}, {len(events)} SSE events); "
        f"engine {t.get('total', 0):.2f} s, serialise {t.get('platform.serialise', 0):.2f} s, "
        f"findings upsert {t.get('platform.record_findings', 0):.2f} s; "
        f"queue wait {(run.started_at - run.queued_at).total_seconds():.2f} s; "
        f"{run.files_analyzed} files, {run.metrics.get('reused_files', 0)} reused, {run.findings_counts.get('total')} findings"
    )
    return run_id


async def fan_out(base: str, key: str, run_id: str, listeners: int, steps: int) -> None:
    import httpx

    from analysis import services
    from analysis.models import AnalysisRun
    from analysis.services import worker

    received: list[dict[int, float]] = [{} for _ in range(listeners)]
    closed_at: list[float] = [0.0] * listeners
    first = asyncio.Event()
    ready = 0

    failures: list[str] = []

    def settled() -> None:
        if ready + len(failures) == listeners:
            first.set()

    async def listen(i: int, client: httpx.AsyncClient) -> None:
        nonlocal ready
        try:
            async with client.stream("GET", f"{base}/api/v1/analysis/{run_id}/progress", headers={"X-API-Key": key}) as r:
                if r.status_code != 200:
                    failures.append(f"HTTP {r.status_code}")
                    settled()
                    return
                async for line in r.aiter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = json.loads(line[5:])
                    if not received[i]:
                        ready += 1
                        settled()
                    marker = -1 if data["status"] == "cancelled" else data["progress_percent"]
                    received[i].setdefault(marker, time.perf_counter())
            closed_at[i] = time.perf_counter()
        except httpx.HTTPError as exc:
            failures.append(type(exc).__name__)
            settled()

    limits = httpx.Limits(max_connections=listeners + 10, max_keepalive_connections=listeners + 10)
    async with httpx.AsyncClient(limits=limits, timeout=120) as client:
        t_connect = time.perf_counter()
        tasks = [asyncio.create_task(listen(i, client)) for i in range(listeners)]
        await asyncio.wait_for(first.wait(), 120)
        connect_all = time.perf_counter() - t_connect

        def count_listen_connections() -> int:
            from django.db import connection

            with connection.cursor() as cur:
                cur.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND query ILIKE 'LISTEN analysis_progress%%'"
                )
                return cur.fetchone()[0]

        listen_conns = await asyncio.to_thread(count_listen_connections)
        claimed = await asyncio.to_thread(worker._claim, run_id)
        writer = worker._ProgressWriter(claimed, timeout=600)
        writer.interval = 0
        sent: dict[int, float] = {}
        write_times = []
        for step in range(1, steps + 1):
            percent = 10 + step * 5
            t = time.perf_counter()
            await asyncio.to_thread(writer, "parse", percent, f"step {step}")
            sent[percent] = t
            write_times.append(time.perf_counter() - t)
            await asyncio.sleep(0.3)
        t_end = time.perf_counter()
        await asyncio.to_thread(lambda: services.analysis_cancel(run=AnalysisRun.objects.get(pk=run_id)))
        sent[-1] = t_end
        await asyncio.wait_for(asyncio.gather(*tasks), 120)
    received = [got for got in received if got]
    closed_at = [t for t in closed_at if t]

    latencies = [got[p] - sent[p] for got in received for p in sent if p in got]
    missing = sum(1 for got in received for p in sent if p not in got)
    terminal = [got[-1] - sent[-1] for got in received if -1 in got]
    all_closed = max(closed_at) - t_end
    print(
        f"  {ready}/{listeners} listeners connected (first event each) in {connect_all:.2f} s"
        f"{' (failed: ' + ', '.join(sorted(set(failures))) + ')' if failures else ''}; "
        f"LISTEN connections on the server: {listen_conns}"
    )
    print(f"  progress write (UPDATE + NOTIFY) from the worker: p50 {ms(pct(write_times, 0.5))}, max {ms(max(write_times))}")
    print(
        f"  write → client receipt over {len(latencies)} deliveries: p50 {ms(pct(latencies, 0.5))}, "
        f"p95 {ms(pct(latencies, 0.95))}, max {ms(max(latencies))}; missed {missing}"
    )
    print(
        f"  terminal event: p50 {ms(pct(terminal, 0.5))}, max {ms(max(terminal))} after cancel; "
        f"all {listeners} streams closed {ms(all_closed)} after it"
    )


def facts_storage(project: str) -> None:
    import pickle
    import zlib

    from analysis.engine import analyze
    from analysis.engine.reports import render_json
    from analysis.services import facts_dump, facts_load
    from benchmarks._cache import project_source

    root = project_source(project)
    t = time.perf_counter()
    result = analyze(str(root))
    engine = time.perf_counter() - t
    t = time.perf_counter()
    blob = facts_dump(result)
    dump = time.perf_counter() - t
    raw = len(pickle.dumps({"engine": result.metrics.get("engine"), "files": result.files}, protocol=5))
    t = time.perf_counter()
    facts_load(blob)
    load = time.perf_counter() - t
    t = time.perf_counter()
    report = zlib.compress(render_json(result).encode(), 6)
    report_t = time.perf_counter() - t
    print(
        f"  {project}: {result.files_analyzed} files, {result.lines_analyzed} code lines, {len(result.findings)} findings "
        f"(engine {engine:.1f} s)\n"
        f"  facts: pickle {raw / 1e6:.1f} MB → zlib {len(blob) / 1e6:.2f} MB; dump+compress {dump:.2f} s, "
        f"decompress+load {load:.2f} s\n"
        f"  JSON report stored per run: {len(report) / 1e6:.2f} MB compressed, rendered+compressed in {report_t:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--listeners", type=int, default=200)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--project", default="flask")
    parser.add_argument("--facts-project", default="django")
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()

    import logging

    import django

    django.setup()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    import httpx
    from django.core.management import call_command

    from accounts.services import apikey_create
    from analysis import services
    from analysis.models import AnalysisFacts, AnalysisRun
    from benchmarks._cache import project_source
    from tests.factories import MembershipFactory, OrganizationFactory

    print(f"database {DB_NAME}: migrating …", flush=True)
    call_command("migrate", verbosity=0)
    workdir = Path(tempfile.mkdtemp(prefix="bench-analysis-"))
    src = project_source(args.project)
    repo_dir = workdir / args.project
    git_copy(src, repo_dir)

    tag = uuid.uuid4().hex[:10]
    org = OrganizationFactory(plan="enterprise", slug=f"bench-{tag}", name=f"Bench {tag}")
    user = MembershipFactory(organization=org, role="owner", user__username=f"bench-{tag}").user
    _, key = apikey_create(organization=org, created_by=user, name="bench", role="owner")
    repo = services.repository_create(organization=org, name=args.project, clone_url=str(repo_dir))

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # Code search indexing is off (this measures the analysis pipeline itself); the other bulk hooks
    # (automatic fixes) run on the background cluster, as under `make run`.
    env = {
        **os.environ,
        "REPOTOIRE_DB_NAME": DB_NAME,
        "REPOTOIRE_WORKSPACE_DIR": str(workdir / "ws"),
        "Q_WORKERS": "1",
        "REPOTOIRE_CODESEARCH_INDEX_ON_COMPLETE": "false",
    }
    web = start(
        [sys.executable, "-m", "uvicorn", "repotoire.asgi:application", "--port", str(port), "--log-level", "warning"],
        env,
        workdir / "uvicorn.log",
    )
    worker = start([sys.executable, "manage.py", "qcluster"], env, workdir / "qcluster.log")
    background = start(
        [sys.executable, "manage.py", "qcluster"],
        {**env, "Q_CLUSTER_NAME": "background", "Q_BACKGROUND_WORKERS": "1"},
        workdir / "qcluster-background.log",
    )
    try:
        wait_http(f"{base}/health")
        from django.utils import timezone

        bench_start = timezone.now()
        print(f"\n1. trigger → completed ({args.project}, git clone over file://, 1 qcluster worker, in-process parse)")
        trigger_to_completed(base, key, str(repo.pk), "cold")
        AnalysisFacts.objects.filter(repository=repo).delete()
        trigger_to_completed(base, key, str(repo.pk), "cold again (no facts)")
        run_id = trigger_to_completed(base, key, str(repo.pk), "incremental (same commit)")
        from django_q.models import Task

        print("  worker time per task function during these runs (main cluster: 1 worker; background: 1):")
        per_func: dict[tuple[str, str], list[float]] = {}
        for task in Task.objects.filter(started__gte=bench_start):
            per_func.setdefault((str(task.func), str(task.cluster)), []).append((task.stopped - task.started).total_seconds())
        for (func, cluster), secs in sorted(per_func.items(), key=lambda kv: -sum(kv[1])):
            print(f"    {func:<48} {cluster:<10} {len(secs)}× {sum(secs):6.2f} s")

        print(f"\n2. read latency ({args.samples} sequential requests each, X-API-Key)")
        with httpx.Client(headers={"X-API-Key": key}) as client:
            for _label, url in (("status", f"/api/v1/analysis/{run_id}/status"), ("history", "/api/v1/analysis/history")):
                times, refused = [], 0
                for _ in range(args.samples):
                    t = time.perf_counter()
                    response = client.get(base + url)
                    times.append(time.perf_counter() - t)
                    refused += response.status_code != 200
                print(
                    f"  GET {url.split('/api/v1')[-1]:<28} p50 {ms(pct(times, 0.5))}, p95 {ms(pct(times, 0.95))}"
                    + (f" ({refused} not 200)" if refused else "")
                )

        for proc in (worker, background):
            proc.terminate()
        for proc in (worker, background):
            proc.wait(30)
        print(f"\n3. SSE fan-out ({args.listeners} listeners on one run, {args.steps} progress writes 0.3 s apart)")
        fan_repo = services.repository_create(organization=org, name="fan-out", clone_url=str(repo_dir))
        run = AnalysisRun.objects.create(organization=org, repository=fan_repo, stage="queued")
        asyncio.run(fan_out(base, key, str(run.pk), args.listeners, args.steps))
    finally:
        for proc in (web, worker, background):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"\n4. incremental facts storage ({args.facts_project})")
    facts_storage(args.facts_project)
    print(f"\nload average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs (the machine is shared: wall times are inflated)")


if __name__ == "__main__":
    main()
