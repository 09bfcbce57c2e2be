"""Shared fixtures: personas (owner, admin, member, viewer, outsider) with API keys, and clients.

Every test talks to the real embedded PostgreSQL (the settings start it), the real cache table
and the real django-q2 ORM broker; only outside services are stood in for, on 127.0.0.1.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from accounts import services as account_services
from accounts.models import Organization, Role, User
from tests.factories import MembershipFactory, OrganizationFactory


@dataclass
class Persona:
    user: User
    organization: Organization
    role: str
    key: str
    client: APIClient


def make_persona(org: Organization, role: str) -> Persona:
    membership = MembershipFactory(organization=org, role=role)
    _, raw = account_services.apikey_create(organization=org, created_by=membership.user, name=f"{role} key", role=role)
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw)
    return Persona(user=membership.user, organization=org, role=role, key=raw, client=client)


@pytest.fixture
def org(db) -> Organization:
    return OrganizationFactory(name="Acme", slug="acme", plan="pro")


@pytest.fixture
def other_org(db) -> Organization:
    return OrganizationFactory(name="Globex", slug="globex", plan="pro")


@pytest.fixture
def owner(org) -> Persona:
    return make_persona(org, Role.OWNER)


@pytest.fixture
def admin_user(org) -> Persona:
    return make_persona(org, Role.ADMIN)


@pytest.fixture
def member(org) -> Persona:
    return make_persona(org, Role.MEMBER)


@pytest.fixture
def viewer(org) -> Persona:
    return make_persona(org, Role.VIEWER)


@pytest.fixture
def outsider(other_org) -> Persona:
    """An owner of another organisation: must never see or touch ``org``'s data."""
    return make_persona(other_org, Role.OWNER)


@pytest.fixture
def anon() -> APIClient:
    return APIClient()
