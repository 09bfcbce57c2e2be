"""Storage of mined commits in PostgreSQL (the ``history`` app) on a real long history.

    .venv/bin/python -m benchmarks.history_storage [--repo PATH] [--commits 10000]

Mines ``--commits`` commits of ``--repo`` (default: the pytest clone of
``benchmarks.history_mining``), stores them as one completed run would
(``history_record_run``), and prints the table's size per commit (heap + indexes + TOAST,
``pg_total_relation_size``), the time to store them, the time to load them back as the next run's
``known`` commits, and a whole incremental cycle with 10 new commits (load known + mine the new
ones + every metric + store). Schema from the models in ``REPOTOIRE_DB_NAME`` (default
``bench_history_storage``), dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("REPOTOIRE_DB_NAME", "bench_history_storage")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "repotoire.settings")
os.environ.setdefault("DEBUG", "false")
sys.path.insert(0, str(ROOT))


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def _load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repo", help="git repository with a long history (default: the pytest clone)")
    parser.add_argument("--commits", type=int, default=10_000)
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection, transaction

    from accounts.models import Organization
    from analysis.engine.facts import AnalysisResult, HealthScore
    from analysis.engine.history import mine_history
    from analysis.engine.history.metrics import HistoryOptions, compute
    from analysis.engine.history.mining import tracked_files
    from analysis.models import AnalysisRun, Repository
    from benchmarks._shared import build_schema, drop_database
    from benchmarks.history_mining import _source_repo
    from history.models import HistoryCommit
    from history.services import history_identity, history_known, history_record_run

    source = _source_repo(args.repo)
    options = HistoryOptions(months=12 * 1000, max_commits=args.commits)
    try:
        build_schema()
        org = Organization.objects.create(name="Bench", slug="bench-history", plan="enterprise")
        repo = Repository.objects.create(organization=org, name="history", clone_url="https://example.test/h.git")
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp) / "work"
            subprocess.run(["git", "clone", "--quiet", "--shared", str(source), str(work)], check=True)
            head = _git(work, "rev-parse", "HEAD")
            base = _git(work, "rev-list", "--no-merges", "HEAD").split()[10]
            _git(work, "checkout", "--quiet", "--detach", base)
            identity = history_identity(repository=repo)

            def record(commits: list, sha: str) -> float:
                report = compute(commits, tracked_files(work))
                result = AnalysisResult(
                    root=str(work),
                    commit=sha,
                    files_analyzed=0,
                    lines_analyzed=0,
                    findings=[],
                    score=HealthScore(overall=0, grade="F"),
                    files={},
                    history=report,
                    history_commits=commits,
                )
                run = AnalysisRun.objects.create(organization=org, repository=repo, status="completed")
                t = time.perf_counter()
                with transaction.atomic():
                    history_record_run(run=run, result=result)
                return time.perf_counter() - t

            mined = mine_history(work, options, identity=identity)
            stored_s = record(mined.commits, base)
            count = HistoryCommit.objects.filter(repository=repo).count()
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE history_historycommit")
                cursor.execute(
                    "SELECT pg_total_relation_size('history_historycommit'), pg_relation_size('history_historycommit')"
                )
                total, heap = cursor.fetchone()
            print(
                f"stored {count} commits in {stored_s:.2f} s; {total / count:.0f} bytes per commit on disk "
                f"(heap {heap / count:.0f}, with indexes and TOAST {total / count:.0f}; {total / 1e6:.1f} MB) ({_load()})"
            )

            t = time.perf_counter()
            known = history_known(repository=repo)
            load_s = time.perf_counter() - t
            print(f"loading them back as known commits: {load_s:.2f} s ({len(known)} commits)")

            _git(work, "checkout", "--quiet", "--detach", head)
            t = time.perf_counter()
            known = history_known(repository=repo)
            again = mine_history(work, options, known=known, identity=identity)
            compute(again.commits, tracked_files(work))
            cycle_s = time.perf_counter() - t
            store_s = record(again.commits, head)
            print(
                f"incremental cycle: load {len(known)} known + mine {again.new_commits} new + every metric "
                f"{cycle_s:.2f} s, then store {store_s:.2f} s ({_load()})"
            )
    finally:
        connection.close()
        drop_database()


if __name__ == "__main__":
    main()
