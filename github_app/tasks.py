"""django-q2 tasks of the GitHub App: thin, they take ids and call one service."""

from __future__ import annotations

from typing import Any

from github_app import services


def github_process_delivery_task(delivery_pk: int) -> str:
    """Handle one verified webhook delivery."""
    return services.github_delivery_process(delivery_pk=delivery_pk)


def github_dispatch_pending_task(github_repository_id: str) -> str:
    """Start the next waiting push or pull-request analysis of a GitHub repository."""
    return services.github_dispatch_pending(github_repository_id=github_repository_id)


def github_after_analysis_task(run_id: str) -> str:
    """Post-analysis hook (analysis.hooks): report PR runs, start what waits."""
    return services.github_after_analysis(run_id=run_id)


def github_sweep_task() -> dict[str, Any]:
    """Scheduled: close checks of failed runs and start analyses that waited for a busy repository."""
    return services.github_sweep()
