"""Graceful shutdown of the worker role: SIGTERM to ``python -m repotoire.run worker`` in the middle of
an analysis puts the run back in the queue at once (not counted as an attempt), every process of the
role exits without being killed, and the next worker completes the run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analysis import services
from analysis.models import AnalysisRun
from findings.models import Finding, FindingOccurrence
from tests.analysis.conftest import many_modules_repo
from tests.asgi import ROOT

pytestmark = [pytest.mark.slow]

MODULES = 5000


def start_role(role: str, log_path: Path, **extra: str) -> subprocess.Popen:
    """``python -m repotoire.run ROLE`` on the test database, in a process group of its own."""
    from django.db import connection

    env = {
        **os.environ,
        "REPOTOIRE_ENV": "test",
        "REPOTOIRE_DB_NAME": connection.settings_dict["NAME"],
        "Q_WORKERS": "1",
        **extra,
    }
    with open(log_path, "a") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "repotoire.run", role],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_for(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_sigterm_to_the_worker_role_requeues_the_running_analysis_for_the_next_worker(
    worker_env, transactional_db, member, org, tmp_path
):
    # Long enough (~10 s of one core) to be caught in the middle.
    source = many_modules_repo(tmp_path / "big", MODULES)
    repo = services.repository_create(organization=org, name="big", clone_url=str(source))
    log_path = tmp_path / "worker.log"
    worker = start_role("worker", log_path)
    try:
        run_id = member.client.post("/api/v1/analysis/trigger", {"repository_id": str(repo.pk)}, format="json").json()["id"]
        wait_for(lambda: AnalysisRun.objects.get(pk=run_id).progress_percent > 5, 90, "the worker never got going")

        os.kill(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    log = log_path.read_text()
    assert "killing" not in log, log[-3000:]  # every process stopped by itself, none was SIGKILLed
    with pytest.raises(ProcessLookupError):
        os.killpg(worker.pid, 0)  # nothing of the role's process group is left
    run = AnalysisRun.objects.get(pk=run_id)
    assert run.status == "queued", (run.status, run.message, log[-3000:])
    assert run.attempts == 0  # the interrupted claim does not count against the run
    assert "re-queued" in run.message
    assert run.dispatched_at is not None  # already handed to the queue again, for another worker

    second = start_role("worker", log_path)
    try:
        wait_for(lambda: AnalysisRun.objects.get(pk=run_id).status not in ("queued", "running"), 180, "never finished")
    finally:
        os.kill(second.pid, signal.SIGTERM)
        second.wait(timeout=60)
    run.refresh_from_db()
    assert run.status == "completed", (run.error_code, run.error_message)
    assert run.attempts == 1
    assert run.files_analyzed == MODULES + 1
    # What the completed run reports is what is stored: nothing lost or left over from the first claim.
    assert FindingOccurrence.objects.filter(run_id=run_id).count() == run.findings_counts["total"] > 0
    assert Finding.objects.filter(repository=repo).count() == run.findings_counts["total"]
