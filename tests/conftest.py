"""Shared fixtures: personas (owner, admin, member, viewer, outsider) with API keys, and clients.

Every test talks to the real embedded PostgreSQL (the settings start it), the real cache table
and the real django-q2 ORM broker; only outside services are stood in for, on 127.0.0.1.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from rest_framework.test import APIClient

    from accounts.models import Organization, User

# Django models are imported inside the fixtures, so that the Django-free engine tests can run
# with `-p no:django` too.


@dataclass
class Persona:
    user: User
    organization: Organization
    role: str
    key: str
    client: APIClient


def make_persona(org: Organization, role: str) -> Persona:
    from rest_framework.test import APIClient

    from accounts import services as account_services
    from tests.factories import MembershipFactory

    membership = MembershipFactory(organization=org, role=role)
    _, raw = account_services.apikey_create(organization=org, created_by=membership.user, name=f"{role} key", role=role)
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw)
    return Persona(user=membership.user, organization=org, role=role, key=raw, client=client)


@pytest.fixture
def org(db) -> Organization:
    from tests.factories import OrganizationFactory

    return OrganizationFactory(name="Acme", slug="acme", plan="pro")


@pytest.fixture
def other_org(db) -> Organization:
    from tests.factories import OrganizationFactory

    return OrganizationFactory(name="Globex", slug="globex", plan="pro")


@pytest.fixture
def owner(org) -> Persona:
    return make_persona(org, "owner")


@pytest.fixture
def admin_user(org) -> Persona:
    return make_persona(org, "admin")


@pytest.fixture
def member(org) -> Persona:
    return make_persona(org, "member")


@pytest.fixture
def viewer(org) -> Persona:
    return make_persona(org, "viewer")


@pytest.fixture
def outsider(other_org) -> Persona:
    """An owner of another organisation: must never see or touch ``org``'s data."""
    return make_persona(other_org, "owner")


@pytest.fixture
def anon() -> APIClient:
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def q_sync(monkeypatch):
    """Run django-q2 tasks in-process, synchronously, through django-q2's own code path
    (``async_task`` → task function → result row). For tests that don't need a separate worker."""
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", True)


@pytest.fixture
def qcluster(transactional_db):
    """A real ``manage.py qcluster`` worker process on the test database (needs committed data,
    hence transactional_db). Stopped with SIGINT at the end of the test."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from django.db import connection

    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "REPOTOIRE_ENV": "test", "REPOTOIRE_DB_NAME": connection.settings_dict["NAME"], "Q_WORKERS": "1"}
    log = open(root / "var" / f"qcluster-test-{os.getpid()}.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    # The background cluster (indexing, embedding, automatic fixes), as `make run` starts it.
    embed_env = {**env, "Q_CLUSTER_NAME": "background", "Q_BACKGROUND_WORKERS": "1"}
    embed = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"], cwd=root, env=embed_env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        yield proc
    finally:
        from tests.asgi import stop_processes

        stop_processes(proc, embed)
        log.close()


@pytest.fixture
def redis_url(monkeypatch):
    """A Redis database of its own on the machine's Redis (``REPOTOIRE_TEST_REDIS``, default
    redis://127.0.0.1:6379), set as ``REDIS_URL`` for the worker and server processes started after
    it (request it first). The first of databases 8-15 not claimed by another test run is taken,
    emptied before and after. Skips, saying so, where no Redis answers; CI starts one (.ci/run)."""
    import redis

    base = os.environ.get("REPOTOIRE_TEST_REDIS", "redis://127.0.0.1:6379").rstrip("/")
    claim = "repotoire:test-claim"
    for number in range(8, 16):
        client = redis.Redis.from_url(f"{base}/{number}", socket_connect_timeout=2)
        try:
            claimed = client.set(claim, os.getpid(), nx=True, ex=1800)
        except redis.ConnectionError as exc:
            if os.environ.get("REPOTOIRE_REQUIRE_REDIS"):
                pytest.fail(f"No Redis answers at {base} ({exc}) and REPOTOIRE_REQUIRE_REDIS is set (CI)")
            pytest.skip(f"No Redis answers at {base} ({exc}); CI starts one (.ci/run), or set REPOTOIRE_TEST_REDIS")
        if claimed:
            break
    else:
        pytest.fail(f"Redis databases 8-15 at {base} are all claimed by other test runs")
    client.flushdb()
    client.set(claim, os.getpid(), ex=1800)
    url = f"{base}/{number}"
    monkeypatch.setenv("REDIS_URL", url)
    try:
        yield url
    finally:
        client.flushdb()
        client.close()


@pytest.fixture(autouse=True)
def _steady_rate_limit_window(monkeypatch):
    """Rate-limit windows are fixed clock windows; a test that makes 60 requests must not see
    the counter reset because a minute boundary passed on a slow machine. Freeze the clock that
    django-ratelimit and our headers read (nothing else)."""
    import time as real_time
    import types

    from django.conf import settings

    if not settings.configured:  # engine-only runs with -p no:django
        return
    import django_ratelimit.core as rl_core

    now = real_time.time()
    frozen = types.SimpleNamespace(time=lambda: now)
    monkeypatch.setattr(rl_core, "time", frozen)
    import repotoire.api.ratelimit as ours

    monkeypatch.setattr(ours, "time", frozen)
