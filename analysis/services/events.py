"""What a run tells the outside: NOTIFY for SSE listeners and customer webhook events."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from analysis.models import (
    AnalysisRun,
)

logger = logging.getLogger("repotoire.analysis")


NOTIFY_CHANNEL = "analysis_progress"


# --- notifications and events --------------------------------------------------------------------
def progress_payload(run: AnalysisRun) -> dict[str, Any]:
    return {**run.progress_payload(), "timestamp": timezone.now().isoformat()}


def _notify(run: AnalysisRun) -> None:
    """NOTIFY SSE listeners of ``run``'s state; inside a transaction it is delivered at commit."""
    payload = json.dumps(progress_payload(run))
    with connection.cursor() as cur:
        cur.execute("SELECT pg_notify(%s, %s)", [NOTIFY_CHANNEL, payload])


def _emit(run: AnalysisRun, event_type: str, data: dict[str, Any]) -> None:
    """Customer webhook event, after commit; a webhook problem never affects the run."""

    def send() -> None:
        try:
            from webhooks.services import webhook_emit

            webhook_emit(organization=run.organization, event_type=event_type, data=data, repository=run.repository)
        except Exception:  # noqa: BLE001 - webhooks are best effort from the run's point of view
            logger.exception("Could not emit %s for analysis %s", event_type, run.pk)

    transaction.on_commit(send)


def _event_data(run: AnalysisRun) -> dict[str, Any]:
    return {
        "analysis_id": str(run.pk),
        "repository": {"id": str(run.repository_id), "name": run.repository.name},
        "status": run.status,
        "trigger": run.trigger,
        "branch": run.branch,
        "commit_sha": run.commit_sha,
        "pull_request_number": run.pull_request_number,
    }
