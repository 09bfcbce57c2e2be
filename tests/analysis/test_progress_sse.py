"""The SSE progress stream: served by uvicorn (the ASGI server of ``make run``), pushed by
PostgreSQL LISTEN/NOTIFY, followed to the end with a real worker."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest

from analysis import services
from analysis.models import AnalysisRun
from analysis.services import worker
from tests.analysis.conftest import parse_sse
from tests.factories import AnalysisRunFactory, RepositoryFactory

pytestmark = [pytest.mark.slow]


class StreamReader(threading.Thread):
    """Reads an SSE response in the background; ``events`` fills as they arrive."""

    def __init__(self, url: str, key: str) -> None:
        super().__init__(daemon=True)
        self.url, self.key = url, key
        self.raw = ""
        self.status_code: int | None = None
        self.headers: httpx.Headers | None = None
        self.connected = threading.Event()
        self.done = threading.Event()

    def run(self) -> None:
        try:
            with httpx.stream(
                "GET", self.url, headers={"X-API-Key": self.key, "Accept": "text/event-stream"}, timeout=120
            ) as response:
                self.status_code, self.headers = response.status_code, response.headers
                for chunk in response.iter_text():
                    self.raw += chunk
                    self.connected.set()
        finally:
            self.connected.set()
            self.done.set()

    @property
    def events(self) -> list[dict]:
        return parse_sse(self.raw)

    def progress(self) -> list[dict]:
        return [e["data"] for e in self.events if e.get("event") == "progress"]


def wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


def test_finished_run_gets_its_final_event_at_once_and_the_stream_closes(transactional_db, member, org):
    run = AnalysisRunFactory(repository=RepositoryFactory(organization=org), status="completed", progress_percent=100)
    response = member.client.get(f"/api/v1/analysis/{run.pk}/progress", HTTP_ACCEPT="text/event-stream")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    assert response["Cache-Control"] == "no-cache"
    assert response.is_async

    async def body() -> bytes:
        return b"".join([chunk async for chunk in response.streaming_content])

    events = parse_sse(asyncio.run(body()).decode())
    progress = [e for e in events if e.get("event") == "progress"]
    assert len(progress) == 1
    assert progress[0]["data"]["status"] == "completed"
    assert progress[0]["data"]["analysis_id"] == str(run.pk)
    assert set(progress[0]["data"]) == {"analysis_id", "status", "progress_percent", "stage", "message", "timestamp"}


def test_stream_under_uvicorn_pushes_changes_heartbeats_and_ends_with_the_terminal_event(asgi_server, member, org):
    run = AnalysisRunFactory(repository=RepositoryFactory(organization=org))
    reader = StreamReader(f"{asgi_server}/api/v1/analysis/{run.pk}/progress", member.key)
    reader.start()
    wait_for(lambda: len(reader.progress()) >= 1)
    assert reader.status_code == 200
    assert reader.headers["content-type"].startswith("text/event-stream")
    assert reader.progress()[0]["status"] == "queued"

    claimed = worker._claim(run.pk)  # the worker's claim NOTIFYs "running"
    wait_for(lambda: any(p["status"] == "running" for p in reader.progress()))
    writer = worker._ProgressWriter(claimed, timeout=60)
    writer("parse", 42, "Parsed 42/100 files")
    wait_for(lambda: any(p["progress_percent"] == 42 for p in reader.progress()))
    # heartbeat comments (every second in this server) while nothing happens
    wait_for(lambda: any("comment" in e for e in reader.events), timeout=10)
    assert not reader.done.is_set()

    services.analysis_cancel(run=AnalysisRun.objects.get(pk=run.pk))
    assert reader.done.wait(15), "the stream did not close after the terminal event"
    assert reader.progress()[-1]["status"] == "cancelled"
    assert [p["progress_percent"] for p in reader.progress() if p["status"] == "running"][-1] == 42


def test_stream_errors_keep_the_envelope_under_uvicorn(asgi_server, org, outsider):
    run = AnalysisRunFactory(repository=RepositoryFactory(organization=org))
    url = f"{asgi_server}/api/v1/analysis/{run.pk}/progress"
    anonymous = httpx.get(url, headers={"Accept": "text/event-stream"})
    assert anonymous.status_code == 401
    assert anonymous.json()["error_code"] == "UNAUTHORIZED"
    other = httpx.get(url, headers={"Accept": "text/event-stream", "X-API-Key": outsider.key})
    assert other.status_code == 404
    assert other.json()["error_code"] == "NOT_FOUND"


def test_many_listeners_share_one_database_listener(asgi_server, member, org):
    """Twenty clients on one run: each gets the terminal event; the server holds one LISTEN
    connection (plus one for state reads), not one per client."""
    from django.db import connection

    run = AnalysisRunFactory(repository=RepositoryFactory(organization=org))
    readers = [StreamReader(f"{asgi_server}/api/v1/analysis/{run.pk}/progress", member.key) for _ in range(20)]
    for reader in readers:
        reader.start()
    wait_for(lambda: all(len(r.progress()) >= 1 for r in readers))
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN analysis_progress%%'"
        )
        listeners = cur.fetchone()[0]
    assert listeners == 1
    services.analysis_cancel(run=AnalysisRun.objects.get(pk=run.pk))
    for reader in readers:
        assert reader.done.wait(15)
        assert reader.progress()[-1]["status"] == "cancelled"


def test_end_to_end_with_a_real_worker_following_the_stream(worker_env, qcluster, asgi_server, member, org, sample_repo):
    """Trigger through the API of the ASGI server, a ``qcluster`` worker runs the analysis, the
    SSE stream follows it to completion; then status and report agree."""
    follow_an_analysis_end_to_end(asgi_server, member, org, sample_repo)


def follow_an_analysis_end_to_end(asgi_server: str, member, org, sample_repo) -> str:  # type: ignore[no-untyped-def]
    """Trigger, follow the SSE stream to ``completed``, check status and SARIF; returns the run id."""

    repo = services.repository_create(organization=org, name="sample", clone_url=str(sample_repo))
    headers = {"X-API-Key": member.key}
    response = httpx.post(f"{asgi_server}/api/v1/analysis/trigger", json={"repository_id": str(repo.pk)}, headers=headers)
    assert response.status_code == 202, response.text
    run_id = response.json()["id"]
    reader = StreamReader(f"{asgi_server}/api/v1/analysis/{run_id}/progress", member.key)
    reader.start()
    assert reader.done.wait(120), "the stream did not end: " + reader.raw[-500:]
    progress = reader.progress()
    assert progress[-1]["status"] == "completed", progress
    assert progress[-1]["progress_percent"] == 100
    percents = [p["progress_percent"] for p in progress if p["status"] == "running"]
    assert percents == sorted(percents)

    status = httpx.get(f"{asgi_server}/api/v1/analysis/{run_id}/status", headers=headers).json()
    assert status["status"] == "completed"
    assert status["findings_counts"]["total"] == 3
    assert status["findings_counts"]["critical"] + status["findings_counts"]["high"] >= 1
    sarif = httpx.get(f"{asgi_server}/api/v1/analysis/{run_id}/report?format=sarif", headers=headers)
    assert sarif.status_code == 200
    assert {r["ruleId"] for r in sarif.json()["runs"][0]["results"]} == {
        "code-injection",
        "bare-or-swallowed-except",
        "unused-import",
    }
    return run_id


def test_stream_without_a_database_listener_asks_the_client_to_retry(db, monkeypatch):
    from analysis import sse

    real = sse._conninfo()
    monkeypatch.setattr(sse, "_conninfo", lambda: {**real, "dbname": "repotoire_no_such_database"})

    async def body() -> bytes:
        return b"".join([chunk async for chunk in sse.progress_stream("00000000-0000-0000-0000-000000000000", heartbeat=1)])

    text = asyncio.run(body()).decode()
    assert text.startswith("retry: 3000")
    assert "event:" not in text
