"""Reads of the history app: the snapshot an API page or the dashboard shows."""

from __future__ import annotations

from typing import Any

from accounts.models import Organization
from analysis.models import Repository
from history.models import HistorySnapshot
from repotoire.api.exceptions import NotFound


def history_snapshot(*, organization: Organization, repository: Repository, analysis_id: Any = None) -> HistorySnapshot | None:
    """The snapshot of ``analysis_id`` (404 when that run is not the repository's or has none),
    else of the repository's latest run that has one."""
    snapshots = HistorySnapshot.objects.for_org(organization).filter(repository=repository)
    if analysis_id is not None:
        snapshot = snapshots.filter(run_id=analysis_id).first()
        if snapshot is None:
            raise NotFound("No history for this analysis")
        return snapshot
    return snapshots.order_by("-created_at").first()


def history_top_hotspots(*, organization: Organization, repository: Repository, limit: int = 10) -> list[dict[str, Any]]:
    """The first ``limit`` hotspots of the latest snapshot ([] without one)."""
    snapshot = history_snapshot(organization=organization, repository=repository)
    return list(snapshot.hotspots[:limit]) if snapshot is not None else []
