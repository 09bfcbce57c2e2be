"""Previewing a proposal in a sandbox (one preview per organisation at a time)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from analysis.models import AnalysisRun
from fixes.models import (
    OPEN_STATUSES,
    FixProposal,
    FixStatus,
)
from fixes.sandbox import (
    sandbox_check,
)
from fixes.services.after_analysis import _changed_files, _current_hashes
from fixes.services.generation import _stored_previous
from fixes.services.states import _lock, _transition
from repotoire.api.exceptions import (
    Conflict,
    RateLimitExceeded,
)

logger = logging.getLogger("repotoire.fixes")


def base_changed(proposal: FixProposal) -> list[str]:
    """Files of the proposal that changed in the repository's latest completed analysis."""
    latest = (
        AnalysisRun.objects.filter(repository_id=proposal.repository_id, status="completed")
        .order_by("-finished_at", "-queued_at")
        .first()
    )
    if latest is None or latest.commit_sha == proposal.base_commit:
        return []
    hashes = _current_hashes(latest)
    return _changed_files(proposal, hashes) if hashes is not None else []


@contextmanager
def _preview_slot(organization_id: Any) -> Iterator[None]:
    """One of ``REPOTOIRE_FIXES_PREVIEW_CONCURRENCY`` sandbox slots of the organisation
    (session advisory locks, released at the end or when the connection drops); 429 when all
    are busy, so previews cannot pile up analyses on the web workers."""
    slots = max(1, int(settings.REPOTOIRE_FIXES_PREVIEW_CONCURRENCY))
    with connection.cursor() as cur:
        for slot in range(slots):
            cur.execute("SELECT pg_try_advisory_lock(hashtext('fixes.preview'), hashtext(%s))", [f"{organization_id}:{slot}"])
            if cur.fetchone()[0]:
                break
        else:
            raise RateLimitExceeded("Too many sandbox previews are running for this organisation", retry_after=10)
    try:
        yield
    finally:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(hashtext('fixes.preview'), hashtext(%s))", [f"{organization_id}:{slot}"])


def fix_preview(*, proposal: FixProposal, actor: User | None = None) -> dict[str, Any]:
    """Re-check the proposal in a fresh sandbox and store the result; a pending/approved
    proposal whose base files changed since becomes stale."""
    if proposal.status == FixStatus.GENERATING or not proposal.diff:
        raise Conflict("This fix has no diff yet", extra={"status": proposal.status})
    changed = base_changed(proposal)
    with _preview_slot(proposal.organization_id):
        result = sandbox_check(
            repository=proposal.repository,
            commit=proposal.base_commit,
            diff=proposal.diff,
            fingerprint=proposal.finding.fingerprint,
            previous=_stored_previous(proposal.repository),
        )
    result["base_changed"] = changed
    with transaction.atomic():
        locked = _lock(proposal)
        locked.preview = result
        locked.previewed_at = timezone.now()
        locked.save(update_fields=["preview", "previewed_at", "updated_at"])
        if changed and locked.status in OPEN_STATUSES:
            _transition(locked, FixStatus.STALE, actor=actor, reason=f"{', '.join(changed)} changed since the base commit")
        proposal.refresh_from_db()
    return result
