"""The site's front door: a landing page at ``/`` and the favicon."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import Resolver404, resolve
from django.views.decorators.http import require_GET

DASHBOARD_PATH = "/app/"

# The docs pages load only what this server serves: Swagger UI and Redoc come from
# drf-spectacular-sidecar, and the browser refuses what they would fetch elsewhere (Redoc's footer
# logo from its CDN). Inline scripts and styles: the pages' init script and Redoc's styled-components.
OFFLINE_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "frame-ancestors 'none'",
    ]
)


def offline_csp(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer ``view`` with a Content-Security-Policy that allows this origin only."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = OFFLINE_CSP
        return response

    return wrapper


def _resolves(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    """Links to what a person can open: the dashboard (once it exists), the API docs, the admin."""
    context = {
        "dashboard_url": DASHBOARD_PATH if _resolves(DASHBOARD_PATH) else "",
        "base_url": request.build_absolute_uri("/").rstrip("/"),
        "debug": settings.DEBUG,
    }
    return render(request, "repotoire/landing.html", context)


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    # Browsers ask for /favicon.ico on pages that name no icon (JSON, the SSE stream).
    return redirect(static("repotoire/favicon.svg"), permanent=True)
