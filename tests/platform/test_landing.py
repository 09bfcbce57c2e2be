"""The front door: ``/`` is a small HTML page with links that work, and there is a favicon."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import clear_url_caches, path

from repotoire import urls as root_urls

pytestmark = pytest.mark.django_db


def test_landing_page_links_to_docs_redoc_and_admin():
    response = Client().get("/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    for href in ('href="/docs"', 'href="/redoc"', 'href="/admin/"', 'href="/openapi.json"'):
        assert href in html
    assert "repotoire/favicon" in html


def test_landing_page_links_to_the_dashboard_only_when_it_exists(settings):
    if any(str(p.pattern) == "app/" for p in root_urls.urlpatterns):
        assert 'href="/app/"' in Client().get("/").content.decode()
        return
    assert 'href="/app/"' not in Client().get("/").content.decode()
    settings.ROOT_URLCONF = type(
        "urls", (), {"urlpatterns": [*root_urls.urlpatterns, path("app/", lambda request: HttpResponse("dashboard"))]}
    )
    clear_url_caches()
    try:
        assert 'href="/app/"' in Client().get("/").content.decode()
    finally:
        clear_url_caches()


def test_favicon_redirects_to_the_static_icon():
    response = Client().get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("repotoire/favicon.svg")


@pytest.mark.parametrize("url", ["/docs", "/redoc"])
def test_docs_pages_allow_only_this_origin(url):
    response = Client().get(url)
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "img-src 'self' data: blob:" in csp
    assert "fonts.googleapis" not in response.content.decode()
