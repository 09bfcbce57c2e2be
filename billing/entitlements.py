"""Entitlements: the organisation's effective plan and the checks every limit goes through."""

from __future__ import annotations

from typing import TYPE_CHECKING

from billing.plans import Plan, get_plan

if TYPE_CHECKING:
    from accounts.models import Organization


def effective_plan(org: Organization) -> Plan:
    """The plan whose limits apply to ``org`` now."""
    return get_plan(org.plan)


def has_feature(org: Organization, feature: str) -> bool:
    return feature in effective_plan(org).features
