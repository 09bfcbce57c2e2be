"""django-q2 tasks of the analysis app: thin, they take ids and call one service."""

from __future__ import annotations

from analysis import services


def analysis_execute_task(run_id: str) -> str | None:
    """Claim and run the queued analysis ``run_id`` (a no-op when it is no longer queued or its
    organisation has no free slot); returns the final status (a worker told to stop puts the run
    back in the queue: see repotoire.qworker)."""
    run = services.analysis_execute(run_id=run_id)
    return run.status if run is not None else None


def analysis_sweep_task() -> dict[str, int]:
    """Scheduled: recover runs whose worker died or that ran out of time."""
    return services.analysis_sweep_stale()
