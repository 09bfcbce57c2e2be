"""Repositories and analysis runs: every write and side effect of the analysis app.

A run moves queued → running → completed | failed | cancelled. ``analysis_trigger`` creates it
queued; ``analysis_start_next_queued`` enqueues the oldest queued runs of an organisation while
it has free concurrency slots; the worker task calls ``analysis_execute``, which claims the run
with a conditional update (under a per-organisation advisory lock, so the plan's concurrency
limit holds across workers), fetches the code, runs the engine with a progress callback that
updates the row and NOTIFYs SSE listeners, and persists the results. ``analysis_sweep_stale``
(scheduled) recovers runs whose worker died.

Modules: ``repositories`` (CRUD, clone directory, clone credentials), ``scheduling`` (trigger,
rerun, concurrency, dispatch, cancel), ``worker`` (the runtime of one run), ``facts`` (stored
facts and reports), ``events`` (NOTIFY and customer webhooks), ``recovery`` (the sweeper).
"""

from __future__ import annotations

from analysis.services.events import NOTIFY_CHANNEL, progress_payload
from analysis.services.facts import StoredFacts, analysis_previous_result, facts_dump, facts_load, facts_of, report_result
from analysis.services.recovery import SWEEP_TASK, analysis_sweep_stale
from analysis.services.repositories import (
    repository_auth_headers,
    repository_clone_dir,
    repository_create,
    repository_delete,
    repository_update,
)
from analysis.services.scheduling import (
    EXECUTE_TASK,
    analysis_cancel,
    analysis_rerun,
    analysis_start_next_queued,
    analysis_trigger,
    concurrency_usage,
)
from analysis.services.worker import SEVERITIES, analysis_execute

__all__ = [
    "EXECUTE_TASK",
    "NOTIFY_CHANNEL",
    "SEVERITIES",
    "SWEEP_TASK",
    "StoredFacts",
    "analysis_cancel",
    "analysis_execute",
    "analysis_previous_result",
    "analysis_rerun",
    "analysis_start_next_queued",
    "analysis_sweep_stale",
    "analysis_trigger",
    "concurrency_usage",
    "facts_dump",
    "facts_load",
    "facts_of",
    "progress_payload",
    "report_result",
    "repository_auth_headers",
    "repository_clone_dir",
    "repository_create",
    "repository_delete",
    "repository_update",
]
