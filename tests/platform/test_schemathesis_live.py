"""Schemathesis against the live server: uvicorn serving ``repotoire.asgi`` with the web role's
options, every operation of the ``/openapi.json`` it serves, authenticated with a real owner API
key (an enterprise organisation, so the rate limit is not what answers).

Every answer must be documented (status, content type, body schema), no 500 ever, and every error
the envelope. Bounded and derandomised: ``REPOTOIRE_FUZZ_EXAMPLES`` examples per operation (default
5, a CI run well under two minutes; 100 for a deeper local run). The run's counts (operations,
calls, failures, seconds) are printed at the end of the module.

Routes that send a request to a stored webhook URL are included: the fuzzer never learns a stored
id, and generated hosts do not resolve here.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.asgi import asgi_server

# The item is marked so that the test database is set up; the server and its data are per module.
pytestmark = pytest.mark.django_db(transaction=True)
FUZZ_EXAMPLES = int(os.environ.get("REPOTOIRE_FUZZ_EXAMPLES", "5"))
ENVELOPE_KEYS = {"error", "detail", "error_code"}


@dataclass
class LiveApi:
    base: str
    key: str
    operations: set[str] = field(default_factory=set)
    calls: int = 0
    failures: list[str] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)


@pytest.fixture(scope="module")
def live_api(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[LiveApi]:
    from accounts.models import Organization, User
    from tests.conftest import make_persona
    from tests.factories import OrganizationFactory

    with django_db_blocker.unblock():
        org = OrganizationFactory(name="Live fuzz", slug="live-fuzz", plan="enterprise")
        owner = make_persona(org, "owner")
    try:
        with asgi_server(tmp_path_factory.mktemp("fuzz"), REPOTOIRE_WEBHOOK_ALLOW_PRIVATE_TARGETS="false") as base:
            api = LiveApi(base=base, key=owner.key)
            yield api
    finally:
        with django_db_blocker.unblock():
            # Everything the fuzzer created belongs to the organisation; the test database is shared.
            user_ids = list(org.memberships.values_list("user_id", flat=True))
            Organization.objects.filter(pk=org.pk).delete()
            User.objects.filter(pk__in=user_ids).delete()


def _check(case, api: LiveApi) -> None:
    response = case.call(headers={"X-API-Key": api.key}, timeout=30)
    api.statuses[response.status_code] += 1
    assert response.status_code != 500, (case.method, case.formatted_path, response.text[:500])
    if response.status_code >= 400:
        body = response.json()
        assert ENVELOPE_KEYS <= set(body), (case.method, case.formatted_path, response.text[:500])
    case.validate_response(response, checks=[status_code_conformance, content_type_conformance, response_schema_conformance])


def _runner(operation, name: str, api: LiveApi):
    @given(case=operation.as_strategy())
    @settings(
        max_examples=FUZZ_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        api.calls += 1
        try:
            _check(case, api)
        except Exception:
            api.failures.append(name)
            raise

    return run


def test_live_server_answers_every_operation_as_documented(live_api: LiveApi, capsys):
    # One test over every operation (schemathesis' lazy ``from_fixture`` does not run on pytest 9),
    # each with its own bounded Hypothesis run; every operation runs, the failures are listed.
    started = time.monotonic()
    schema = schemathesis.openapi.from_url(f"{live_api.base}/openapi.json")
    failing: dict[str, str] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        name = f"{operation.method.upper()} {operation.path}"
        live_api.operations.add(name)
        try:
            _runner(operation, name, live_api)()
        except Exception as exc:  # noqa: BLE001 - collected, reported below
            failing[name] = str(exc)[:1500]
    with capsys.disabled():
        print(
            f"\nschemathesis (live server): {len(live_api.operations)} operations, {live_api.calls} calls "
            f"({FUZZ_EXAMPLES} examples per operation), {len(live_api.failures)} failing calls in "
            f"{len(failing)} operations, statuses {dict(sorted(live_api.statuses.items()))}, "
            f"{time.monotonic() - started:.1f} s"
        )
    assert not failing, "\n\n".join(f"{name}: {error}" for name, error in failing.items())
