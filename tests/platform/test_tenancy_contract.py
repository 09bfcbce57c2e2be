"""The tenancy contract, walked over every organisation-scoped route of the URLconf.

Another organisation's rows are never listed; its objects are 404 on read, update, delete and
actions; anonymous is 401; bad, expired and revoked keys are 401.
"""

from __future__ import annotations

import importlib
import pkgutil
from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

import tests
from accounts import services
from repotoire.api.viewsets import OrgScopedViewSet
from tests.tenancy import ROUTES

for _pkg in pkgutil.iter_modules(tests.__path__):
    try:
        importlib.import_module(f"tests.{_pkg.name}.tenancy")
    except ModuleNotFoundError as exc:
        if exc.name != f"tests.{_pkg.name}.tenancy":
            raise


def _served_org_viewsets() -> set[str]:
    found: set[str] = set()

    def walk(patterns):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns)
            elif isinstance(p, URLPattern):
                cls = getattr(p.callback, "cls", None)
                if cls is not None and issubclass(cls, OrgScopedViewSet):
                    found.add(cls.__name__)

    walk(get_resolver().url_patterns)
    return found


def _api_routes() -> list[str]:
    """Every /api/v1 path, with a made-up UUID in place of each parameter."""
    paths: list[str] = []

    def walk(patterns, prefix: str):
        for p in patterns:
            route = str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + route)
            else:
                full = "/" + prefix + route
                full = full.replace("^", "").replace("$", "").replace("\\Z", "").replace("\\.", ".")
                import re

                full = re.sub(r"<[^>]+>|\(\?P<[^>]+>[^)]*\)", "00000000-0000-0000-0000-000000000000", full)
                if full.startswith("/api/v1/") and "(" not in full and "format" not in full:
                    paths.append(full)

    walk(get_resolver().url_patterns, "")
    return sorted(set(paths))


PUBLIC_API_PATHS = {"/api/v1/billing/plans", "/api/v1/github/webhook", "/api/v1/github/setup"}


def test_every_org_scoped_viewset_is_in_the_contract():
    missing = _served_org_viewsets() - set(ROUTES)
    assert not missing, f"Add these viewsets to a tests/<app>/tenancy.py: {sorted(missing)}"


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(ROUTES))
def test_other_orgs_objects_are_invisible(name, owner, other_org):
    route = ROUTES[name]
    theirs = route.make(other_org)
    client = owner.client
    if route.list_url:
        response = client.get(route.list_url, {"page_size": 100})
        assert response.status_code == 200, response.content
        body = response.json()
        rows = body["results"] if isinstance(body, dict) and "results" in body else body
        assert str(theirs.pk) not in {str(r.get("id")) for r in rows}
    detail = route.detail(theirs)
    if route.retrievable:
        assert client.get(detail).status_code == 404
    if route.update is not None:
        response = client.patch(detail, route.update, format="json")
        assert response.status_code == 404 and response.json()["error_code"] == "NOT_FOUND"
    if route.deletable:
        assert client.delete(detail).status_code == 404
        assert type(theirs).objects.filter(pk=theirs.pk).exists()
    for action in route.extra_detail_posts:
        assert client.post(f"{detail}/{action}", {}, format="json").status_code == 404


@pytest.mark.django_db
def test_anonymous_gets_401_on_every_api_route():
    client = APIClient()
    paths = _api_routes()
    assert "/api/v1/me" in paths
    for path in paths:
        if path in PUBLIC_API_PATHS or path.startswith("/api/v1/stripe"):
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            assert response.status_code == 401, (method, path, response.status_code)
            assert response.json()["error_code"] == "UNAUTHORIZED"


@pytest.mark.django_db
@pytest.mark.parametrize("problem", ["unknown", "revoked", "expired"])
def test_bad_keys_get_401(problem, org, owner):
    if problem == "unknown":
        raw = "rpt_deadbeef_" + "x" * 32
    else:
        key, raw = services.apikey_create(organization=org, created_by=owner.user, name=problem)
        if problem == "revoked":
            services.apikey_revoke(key=key)
        else:
            type(key).objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw)
    for path in ["/api/v1/me", *[r.list_url for r in ROUTES.values() if r.list_url]]:
        response = client.get(path)
        assert response.status_code == 401, (problem, path)
        assert response.json()["error_code"] == "UNAUTHORIZED"
