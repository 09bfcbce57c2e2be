"""What a run tells the outside: NOTIFY for SSE listeners, and the data of its customer webhook events."""

from __future__ import annotations

import json
from typing import Any

from django.db import connection
from django.utils import timezone

from analysis.models import AnalysisRun

NOTIFY_CHANNEL = "analysis_progress"


# --- notifications and events --------------------------------------------------------------------
def progress_payload(run: AnalysisRun) -> dict[str, Any]:
    return {**run.progress_payload(), "timestamp": timezone.now().isoformat()}


def _notify(run: AnalysisRun) -> None:
    """NOTIFY SSE listeners of ``run``'s state; inside a transaction it is delivered at commit."""
    payload = json.dumps(progress_payload(run))
    with connection.cursor() as cur:
        cur.execute("SELECT pg_notify(%s, %s)", [NOTIFY_CHANNEL, payload])


def _event_data(run: AnalysisRun) -> dict[str, Any]:
    return {
        "analysis_id": str(run.pk),
        "repository": run.repository.brief(),
        "status": run.status,
        "trigger": run.trigger,
        "branch": run.branch,
        "commit_sha": run.commit_sha,
        "pull_request_number": run.pull_request_number,
    }
