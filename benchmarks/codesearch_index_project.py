"""Time to make a whole project searchable, end to end on the real stack: an analysis triggered
through the service the API calls, run by a real ``qcluster`` (default settings: 2 workers, the
local int8 ONNX model), then the code-search hook chunks the run and the embedding tasks fill the
vectors. Prints progress every few seconds and the figures at the end; asserts nothing.

    .venv/bin/python -m benchmarks.codesearch_index_project [--project django] [--workers 2]

Runs in its own database (``bench_codesearch_index``), dropped afterwards unless ``--keep``.
Figures: trigger → analysis completed, → chunks written (search by full text works from here),
→ every chunk embedded (vector search complete); embedding throughput over the whole project,
the embedding tasks' worker seconds, and a search on the finished index.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = os.environ.setdefault("REPOTOIRE_DB_NAME", "bench_codesearch_index")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "repotoire.settings")
os.environ.setdefault("DEBUG", "false")
sys.path.insert(0, str(ROOT))


def git_copy(src: Path, dest: Path) -> None:
    from benchmarks.analysis_api_latency import git

    shutil.copytree(src, dest)
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "import")


def run(args: argparse.Namespace, workdir: Path) -> None:
    from django.core.management import call_command

    from analysis import services
    from analysis.models import RunStatus
    from benchmarks._cache import project_source
    from codesearch.models import CodeChunk, CodeIndex
    from codesearch.selectors import code_search, embedding_status
    from tests.factories import OrganizationFactory

    print(f"database {DB_NAME}: migrating …", flush=True)
    call_command("migrate", verbosity=0)
    repo_dir = workdir / args.project
    git_copy(project_source(args.project), repo_dir)
    org = OrganizationFactory(plan="enterprise", slug=f"bench-{uuid.uuid4().hex[:8]}")
    repo = services.repository_create(organization=org, name=args.project, clone_url=str(repo_dir))

    env = {
        **os.environ,
        "REPOTOIRE_DB_NAME": DB_NAME,
        "REPOTOIRE_WORKSPACE_DIR": str(workdir / "ws"),
        "Q_WORKERS": str(args.workers),
    }
    log = workdir / "qcluster.log"
    worker = subprocess.Popen(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=env,
        stdout=open(log, "w"),
        stderr=subprocess.STDOUT,  # noqa: SIM115
    )
    try:
        t0 = time.perf_counter()
        run_obj = services.analysis_trigger(organization=org, repository_id=repo.pk)
        marks: dict[str, float] = {}
        last_print = 0.0
        while True:
            time.sleep(1)
            now = time.perf_counter() - t0
            run_obj.refresh_from_db()
            if "analysis" not in marks and run_obj.status in (RunStatus.COMPLETED, RunStatus.FAILED):
                marks["analysis"] = now
                if run_obj.status == RunStatus.FAILED:
                    raise SystemExit(f"analysis failed: {run_obj.error_code} {run_obj.error_message}")
            index = CodeIndex.objects.filter(repository=repo).first()
            if "chunks" not in marks and index is not None and index.chunks_total:
                marks["chunks"] = now
            status = embedding_status(organization=org, repository=repo)
            if "chunks" in marks and status["pending"] == 0 and status["chunks_total"]:
                marks["embedded"] = now
            if now - last_print >= args.every or "embedded" in marks:
                last_print = now
                print(
                    f"  {now:7.1f} s  run {run_obj.status:<9} chunks {status['chunks_total']:>6}  "
                    f"embedded {status['embedded']:>6} ({status['coverage_percent']:5.1f} %)  "
                    f"load {os.getloadavg()[0]:.1f}",
                    flush=True,
                )
            if "embedded" in marks:
                break
            if now > args.timeout:
                raise SystemExit(f"not finished after {args.timeout} s; see {log}")
    finally:
        worker.terminate()
        worker.wait(30)

    from django_q.models import Task

    run_obj.refresh_from_db()
    chunks = CodeChunk.objects.filter(repository=repo).count()
    embed_tasks = list(Task.objects.filter(func="codesearch.tasks.codesearch_embed_chunks_task"))
    worker_seconds = sum((t.stopped - t.started).total_seconds() for t in embed_tasks)
    index_tasks = list(Task.objects.filter(func="codesearch.tasks.codesearch_index_run_task"))
    embed_wall = marks["embedded"] - marks["chunks"]
    print(f"\n{args.project}: {run_obj.files_analyzed} files, {run_obj.lines_analyzed} code lines -> {chunks} chunks")
    print(f"  trigger -> analysis completed   {marks['analysis']:7.1f} s (engine {run_obj.timings.get('total', 0):.1f} s)")
    print(
        f"  trigger -> chunks written       {marks['chunks']:7.1f} s"
        f" (index task {sum((t.stopped - t.started).total_seconds() for t in index_tasks):.1f} s; full-text search works)"
    )
    print(f"  trigger -> every chunk embedded {marks['embedded']:7.1f} s = {marks['embedded'] / 60:.1f} min")
    print(
        f"  embedding: {chunks / embed_wall:.1f} chunks/s wall over {len(embed_tasks)} tasks "
        f"({worker_seconds:.0f} worker-seconds, {worker_seconds / max(len(embed_tasks), 1):.1f} s per task) "
        f"with {args.workers} workers on {os.cpu_count()} cores"
    )
    t = time.perf_counter()
    hits = code_search(organization=org, query="where are cookies signed", top_k=5)
    print(
        f"  search after indexing: {(time.perf_counter() - t) * 1000:.0f} ms, top hit {hits[0].chunk.qualname if hits else None}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--project", default="django")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--every", type=float, default=30.0, help="seconds between progress lines")
    parser.add_argument("--timeout", type=float, default=7200.0)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    import django

    django.setup()
    from benchmarks.codesearch_quality import drop_database

    workdir = Path(tempfile.mkdtemp(prefix="bench-csindex-"))
    try:
        run(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if not args.keep:
            drop_database()


if __name__ == "__main__":
    main()
