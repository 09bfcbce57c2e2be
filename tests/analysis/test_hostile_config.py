"""A repository's own repotoire.toml cannot pin a worker: its globs are matched in linear time,
and globs that cannot be used fail the run with CONFIG_INVALID."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from analysis import services
from analysis.models import AnalysisRun
from analysis.services import worker
from tests.analysis.conftest import commit_files, git
from tests.factories import AnalysisRunFactory

HOSTILE_GLOB = "*a" * 12 + "*b"  # minutes to hours per long name under a backtracking regex


def _repo(tmp_path: Path, files: dict[str, str]) -> Path:
    path = tmp_path / "hostile"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    commit_files(path, files, "initial")
    return path


def _run(member, org, path: Path, django_capture_on_commit_callbacks) -> AnalysisRun:
    repo = services.repository_create(organization=org, name="hostile", clone_url=str(path))
    with django_capture_on_commit_callbacks(execute=True):
        response = member.client.post("/api/v1/analysis/trigger", {"repository_id": str(repo.pk)}, format="json")
    assert response.status_code == 202, response.json()
    return AnalysisRun.objects.get(pk=response.json()["id"])


def test_a_backtracking_exclude_glob_completes_within_the_run_time_limit(
    member, org, tmp_path, q_sync, settings, django_capture_on_commit_callbacks
):
    settings.REPOTOIRE_ANALYSIS_TIMEOUT_SECONDS = 60
    long = "a" * 60
    path = _repo(
        tmp_path,
        {
            "repotoire.toml": f'exclude = ["{HOSTILE_GLOB}"]\n',
            f"{long}.py": "def f():\n    return 1\n",
            f"{long}/{long}.py": "def g():\n    return 2\n",
            "a" * 12 + "b/skipped.py": "def h():\n    return 3\n",
        },
    )
    run = _run(member, org, path, django_capture_on_commit_callbacks)
    assert run.status == "completed", (run.error_code, run.error_message)
    assert run.files_analyzed == 2


def test_an_unusable_exclude_glob_fails_the_run_with_config_invalid(
    member, org, tmp_path, q_sync, django_capture_on_commit_callbacks
):
    path = _repo(tmp_path, {"repotoire.toml": 'exclude = ["[z-a]"]\n', "m.py": "x = 1\n"})
    run = _run(member, org, path, django_capture_on_commit_callbacks)
    assert run.status == "failed"
    assert run.error_code == "CONFIG_INVALID"
    assert "exclude" in run.error_message


def _busy_engine_stage(seconds: float) -> None:
    """A stage that computes without ever reporting progress, swallowing errors as a careless
    detector would; it only ends by its cap or by an exception that is not an ``Exception``."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        try:
            sum(range(10_000))
        except Exception:  # noqa: BLE001, S110 - the point: the engine's broad handlers
            pass


def _claimed_run(org, sample_repo):
    repo = services.repository_create(organization=org, name="busy", clone_url=str(sample_repo))
    claimed = worker._claim(AnalysisRunFactory(repository=repo).pk)
    assert claimed is not None
    return claimed


def test_cancel_stops_an_engine_stage_that_never_reports_progress(transactional_db, org, sample_repo):
    run = _claimed_run(org, sample_repo)
    heartbeat = worker._Heartbeat(run.pk, interval=0.1, deadline=time.monotonic() + 300)
    heartbeat.start()
    services.analysis_cancel(run=run)
    try:
        with pytest.raises(worker._RunAborted):
            _busy_engine_stage(60)  # before: ran its full minute, the cancel unseen
    finally:
        heartbeat.stop()
    assert heartbeat.lost
    assert AnalysisRun.objects.get(pk=run.pk).status == "cancelled"


def test_the_time_limit_stops_an_engine_stage_that_never_reports_progress(transactional_db, org, sample_repo):
    run = _claimed_run(org, sample_repo)
    heartbeat = worker._Heartbeat(run.pk, interval=5, deadline=time.monotonic() + 0.5)
    heartbeat.start()
    try:
        with pytest.raises(worker._Deadline):
            _busy_engine_stage(60)
    finally:
        heartbeat.stop()


@pytest.mark.parametrize("name", ["repotoire.toml", "pyproject.toml"])
def test_a_deeply_nested_config_file_fails_the_run_with_config_invalid(
    name, member, org, tmp_path, q_sync, django_capture_on_commit_callbacks
):
    # A few kilobytes that exhaust tomllib's recursion (RecursionError, once an INTERNAL failure).
    deep = "[tool.repotoire]\n" if name == "pyproject.toml" else ""
    deep += "exclude = " + "[" * 5000 + "]" * 5000 + "\n"
    path = _repo(tmp_path, {name: deep, "m.py": "x = 1\n"})
    run = _run(member, org, path, django_capture_on_commit_callbacks)
    assert run.status == "failed"
    assert run.error_code == "CONFIG_INVALID", run.error_message
    assert run.error_message.startswith(f"{name}: ") and "nested too deeply" in run.error_message


def test_a_file_name_that_is_not_utf8_is_skipped_and_reported(member, org, tmp_path, q_sync, django_capture_on_commit_callbacks):
    path = _repo(tmp_path, {"m.py": "def f():\n    return 1\n"})
    (path / os.fsdecode(b"caf\xe9.py")).write_text("x = 1\n")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "a Latin-1 file name")
    run = _run(member, org, path, django_capture_on_commit_callbacks)
    assert run.status == "completed", (run.error_code, run.error_message)
    assert run.files_analyzed == 1
    assert run.warnings == ["Skipped caf\\xe9.py: its name is not valid UTF-8"]
    status = member.client.get(f"/api/v1/analysis/{run.pk}/status").json()
    assert status["warnings"] == run.warnings
    report = member.client.get(f"/api/v1/analysis/{run.pk}/report", {"format": "json"}).json()
    assert report["warnings"] == run.warnings and report["skipped"]["undecodable_name"] == 1
