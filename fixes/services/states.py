"""The review state machine: locked transitions recorded as events, with the customer webhook
they emit, and the review actions (approve, reject, reopen)."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from fixes.models import (
    ALLOWED_TRANSITIONS,
    FixProposal,
    FixProposalEvent,
    FixStatus,
)
from repotoire.api.exceptions import (
    Conflict,
)

logger = logging.getLogger("repotoire.fixes")


def _record(
    proposal: FixProposal, old: str, new: str, *, actor: Any = None, reason: str = "", data: dict[str, Any] | None = None
) -> None:
    FixProposalEvent.objects.create(
        organization_id=proposal.organization_id,
        proposal=proposal,
        actor=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
        from_status=old,
        to_status=new,
        reason=reason,
        data=data or {},
    )


_VERBS = {
    FixStatus.APPROVED: "approved",
    FixStatus.REJECTED: "rejected",
    FixStatus.PENDING: "reopened for review",
    FixStatus.APPLIED: "applied",
    FixStatus.FAILED: "marked failed",
    FixStatus.STALE: "marked stale",
    FixStatus.INVALID: "marked invalid",
}


def _lock(proposal: FixProposal) -> FixProposal:
    return FixProposal.objects.select_for_update().select_related("repository", "finding", "organization").get(pk=proposal.pk)


def _check(proposal: FixProposal, to: str) -> None:
    if (proposal.status, to) not in ALLOWED_TRANSITIONS:
        raise Conflict(
            f"A {proposal.status} fix cannot be {_VERBS.get(FixStatus(to), to)}",
            extra={"status": proposal.status},
        )


def _transition(
    proposal: FixProposal, to: str, *, actor: Any = None, reason: str = "", data: dict[str, Any] | None = None, **fields: Any
) -> FixProposal:
    """Move a locked proposal to ``to`` (409 when the pair is not allowed) and record it."""
    _check(proposal, to)
    old = proposal.status
    proposal.status = to
    for name, value in fields.items():
        setattr(proposal, name, value)
    proposal.save()
    _record(proposal, old, to, actor=actor, reason=reason, data=data)
    return proposal


# --- review ------------------------------------------------------------------------------------------
def fix_approve(*, proposal: FixProposal, actor: User) -> FixProposal:
    with transaction.atomic():
        locked = _lock(proposal)
        _check(locked, FixStatus.APPROVED)
        if not locked.validation:
            raise Conflict("This fix has no validation evidence yet")
        return _transition(locked, FixStatus.APPROVED, actor=actor, approved_by=_user(actor), approved_at=timezone.now())


def fix_reject(*, proposal: FixProposal, actor: User, reason: str = "") -> FixProposal:
    with transaction.atomic():
        locked = _lock(proposal)
        return _transition(
            locked,
            FixStatus.REJECTED,
            actor=actor,
            reason=reason,
            rejected_by=_user(actor),
            rejected_at=timezone.now(),
            rejection_reason=reason,
        )


def fix_reopen(*, proposal: FixProposal, actor: User, reason: str = "") -> FixProposal:
    """A rejected proposal back to review (its validation evidence is kept)."""
    with transaction.atomic():
        locked = _lock(proposal)
        return _transition(locked, FixStatus.PENDING, actor=actor, reason=reason)


def _user(actor: Any) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None
