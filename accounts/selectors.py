"""Composite reads of accounts: which organisation a signed-in person is acting in."""

from __future__ import annotations

from typing import Any

from accounts.models import Membership, User

# The session key where the dashboard keeps the organisation a person switched to; the API's
# session authentication reads it too, so the browser's API calls (the progress stream, report
# links) act in the organisation the page shows.
SESSION_ORG_KEY = "repotoire_org_id"


def membership_for_session(*, user: User, org_id: Any = None) -> Membership | None:
    """The membership of ``user`` in ``org_id`` when they have one, else their first one."""
    memberships = Membership.objects.select_related("organization").filter(user=user)
    if org_id:
        chosen = memberships.filter(organization_id=org_id).first()
        if chosen is not None:
            return chosen
    return memberships.order_by("created_at").first()


def memberships_of(*, user: User) -> list[Membership]:
    """Every organisation ``user`` belongs to, by name (the organisation switcher)."""
    return list(Membership.objects.select_related("organization").filter(user=user).order_by("organization__name"))
