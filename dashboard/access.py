"""Who is signed in, in which organisation, with which role: the dashboard's tenancy.

Every page is an ``OrgView``: anonymous people are sent to the sign-in page (or signed in from
Clerk's ``__session`` cookie when Clerk is configured, with the API's RS256 verification); the
organisation is the one chosen in the switcher (``SESSION_ORG_KEY``), resolved once per request
like the API's credential; reads need ``read_role``, POSTs ``write_role``. Domain errors keep
the API's wording: an ``ApplicationError`` or a 404 becomes an error page with its ``detail``.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import jwt
from django.conf import settings
from django.contrib.auth import login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views import View
from rest_framework import serializers

from accounts.models import Membership, Organization, Role, role_at_least
from accounts.selectors import SESSION_ORG_KEY, membership_for_session, memberships_of
from accounts.services import principal_provision_from_clerk
from repotoire.api.authentication import decode_clerk_token, org_claims
from repotoire.api.exceptions import ApplicationError, NotFound, validation_failed

logger = logging.getLogger("repotoire.dashboard")

CLERK_COOKIE = "__session"
# Dashboard pages load only this server's scripts (no inline script, no CDN); inline style
# attributes are allowed (a few layout tweaks in the templates).
DASHBOARD_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
    ]
)


def with_csp(response: HttpResponse) -> HttpResponse:
    response.setdefault("Content-Security-Policy", DASHBOARD_CSP)
    return response


LOGIN_URL = "/app/login/"


def safe_next(request: HttpRequest, default: str = "/app/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/app/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def clerk_sign_in(request: HttpRequest) -> bool:
    """Sign the browser in from Clerk's session cookie (same verification as the API's Bearer)."""
    token = request.COOKIES.get(CLERK_COOKIE)
    if not token or not (settings.CLERK_JWKS_URL or settings.CLERK_JWT_KEY):
        return False
    try:
        claims = decode_clerk_token(token)
    except (jwt.PyJWTError, ValueError) as exc:
        logger.info("Clerk session cookie refused: %s", exc)
        return False
    org_id, org_role, org_slug = org_claims(claims)
    user, org, _ = principal_provision_from_clerk(
        sub=str(claims["sub"]), org_id=org_id, org_role=org_role, org_slug=org_slug, email=claims.get("email")
    )
    if not user.is_active:
        return False
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[SESSION_ORG_KEY] = str(org.pk)
    return True


def error_page(request: HttpRequest, status: int, detail: str, *, title: str | None = None) -> HttpResponse:
    titles = {400: "Invalid request", 402: "Plan limit", 403: "Not allowed", 404: "Not found", 409: "Conflict", 429: "Slow down"}
    context = {"status": status, "detail": detail, "title": title or titles.get(status, "Error")}
    return render(request, "dashboard/error.html", context, status=status)


def validated(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    """Validate form/query data with the API's input serializer; the API's 400 on failure."""
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        raise validation_failed(serializer.errors)
    return dict(serializer.validated_data)


def form_data(request: HttpRequest, *, lists: tuple[str, ...] = ()) -> dict[str, Any]:
    """POST/GET fields with empty values dropped (an empty form field means "not given")."""
    source = request.POST if request.method == "POST" else request.GET
    out: dict[str, Any] = {}
    for key in source:
        if key == "csrfmiddlewaretoken":
            continue
        values = [v for v in source.getlist(key) if v.strip()]
        if values:
            out[key] = values if key in lists else values[-1].strip()
    return out


class OrgView(View):
    """A dashboard page of the current organisation."""

    nav: str = ""
    read_role: str = Role.VIEWER
    write_role: str = Role.MEMBER
    request: HttpRequest
    membership: Membership
    org: Organization
    role: str

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return with_csp(self.dispatch_in_org(request, *args, **kwargs))

    def dispatch_in_org(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated and not clerk_sign_in(request):
            return HttpResponseRedirect(f"{LOGIN_URL}?{urlencode({'next': request.get_full_path()})}")
        membership = membership_for_session(user=request.user, org_id=request.session.get(SESSION_ORG_KEY))
        if membership is None:
            return error_page(request, 403, "Your user belongs to no organisation", title="No organisation")
        self.membership, self.org, self.role = membership, membership.organization, membership.role
        if request.session.get(SESSION_ORG_KEY) != str(self.org.pk):
            request.session[SESSION_ORG_KEY] = str(self.org.pk)
        needed = self.read_role if request.method in ("GET", "HEAD") else self.write_role
        if not role_at_least(self.role, needed):
            return error_page(request, 403, "Your role does not allow this action")
        try:
            return super().dispatch(request, *args, **kwargs)
        except Http404 as exc:
            return error_page(request, 404, str(exc) if str(exc) and "No " not in str(exc) else "Not found")
        except ApplicationError as exc:
            return error_page(request, exc.status_code, exc.detail)
        except PermissionDenied as exc:
            return error_page(request, 403, str(exc) or "You do not have permission to do this")

    def can(self, role: str) -> bool:
        return role_at_least(self.role, role)

    def render(self, template: str, context: dict[str, Any] | None = None, *, status: int = 200) -> HttpResponse:
        return render(self.request, template, self.page_context(context or {}), status=status)

    def page_context(self, context: dict[str, Any]) -> dict[str, Any]:
        return {
            "org": self.org,
            "nav": self.nav,
            "memberships": memberships_of(user=self.request.user),
            "role": self.role,
            "can_write": self.can(Role.MEMBER),
            "can_admin": self.can(Role.ADMIN),
            "can_bill": self.can(Role.OWNER),
            **context,
        }

    def get_object_or_404(self, queryset: Any, message: str, **lookup: Any) -> Any:
        """``queryset.for_org(current organisation)`` by ``lookup``; another organisation's is a 404."""
        obj = queryset.for_org(self.org).filter(**lookup).first()
        if obj is None:
            raise NotFound(message)
        return obj


def parse_uuid(value: Any, message: str) -> uuid.UUID:
    """An id from a form field; anything that is not one is the same 404 as an unknown id."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(message) from None


def redirect_to(name: str, *args: Any, query: dict[str, Any] | None = None) -> HttpResponseRedirect:
    url = reverse(name, args=args)
    if query:
        url += "?" + urlencode(query)
    return HttpResponseRedirect(url)
